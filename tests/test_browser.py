"""The whole order in a real browser: analyst submits, liaison acknowledges and reports, analyst verifies.

Runs Debian's Chromium (/usr/bin/chromium) through Playwright; Playwright's own browser download is never
used. Screenshots land in tests/screenshots/ (ignored by git). Without Chromium the test is skipped,
except under CI=true, where a missing browser is a failure.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.db import connections

from cases.core.choices import CaseStatus, Category
from cases.models import Case

CHROMIUM = os.environ.get("PATUH_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct-horse-battery"  # tests/conftest.py make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

if not shutil.which(CHROMIUM):
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI needs Chromium at {CHROMIUM} for the browser test (apt-get install chromium)")
    pytest.skip(f"Chromium not found at {CHROMIUM}", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SHOTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
        # ORM calls made while Playwright's loop runs get their own connection (Django's connection store is
        # context-local); close them here, or PostgreSQL refuses to drop the test database afterwards.
        connections.close_all()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _login(page, base, site, username):
    page.goto(f"{base}/{site}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(rf".*/{site}/$"))


def _kpi(page, label):
    text = page.locator(".patuh-kpi", has_text=label).first.inner_text()
    return int(text.split()[0])


def test_an_order_travels_from_analyst_to_platform_and_back(live_server, browser, analyst, liaison_a, make_case):
    base = live_server.url
    case = make_case(category=Category.TERRORISM, url="https://t.me/propaganda_channel/42")

    # 1. The analyst logs in, opens the case and submits it.
    analyst_page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(analyst_page, base, "admin", analyst.username)
    open_before = _kpi(analyst_page, "open cases")
    analyst_page.screenshot(path=SHOTS / "1-ministry-dashboard-before.png", full_page=True)
    analyst_page.goto(f"{base}/admin/cases/case/")
    analyst_page.click(f"text={case.reference}")
    analyst_page.click("text=Submit to platform")
    analyst_page.fill("textarea[name=note]", "Urgent: terrorist propaganda, 4-hour deadline.")
    analyst_page.click("input[type=submit][value='Submit to platform']")
    assert "done" in analyst_page.inner_text(".messagelist")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
    analyst_page.screenshot(path=SHOTS / "2-ministry-case-submitted.png", full_page=True)

    # 2. The liaison sees it in the inbox, acknowledges it and reports it removed.
    liaison_page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(liaison_page, base, "platform", liaison_a.username)
    liaison_page.click("text=Inbox")
    row = liaison_page.locator("#result_list tr", has_text=case.reference)
    assert "left" in row.inner_text()  # time left on the deadline
    liaison_page.screenshot(path=SHOTS / "3-platform-inbox.png", full_page=True)
    row.locator("a").first.click()
    liaison_page.click("text=Acknowledge")
    liaison_page.click("input[type=submit][value='Acknowledge']")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACKNOWLEDGED
    liaison_page.click("text=Report action taken")
    liaison_page.select_option("select[name=action_taken]", "removed")
    from django.utils import timezone

    from cases.core import clock

    liaison_page.fill("input[name=action_taken_at]", timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"))
    liaison_page.fill("textarea[name=note]", "Channel closed.")
    liaison_page.click("input[type=submit][value='Report action taken']")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ACTIONED
    liaison_page.screenshot(path=SHOTS / "4-platform-case-actioned.png", full_page=True)

    # 3. The analyst verifies it.
    analyst_page.goto(f"{base}/admin/cases/case/{case.pk}/change/")
    assert "Channel closed." in analyst_page.inner_text(".patuh-timeline")
    analyst_page.click("text=Verify and close")
    analyst_page.click("input[type=submit][value='Verify and close']")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.VERIFIED

    # 4. The dashboard counts changed: submitted then closed, actioned within the deadline.
    analyst_page.goto(f"{base}/admin/")
    assert _kpi(analyst_page, "open cases") == open_before
    assert "100%" in analyst_page.inner_text(".patuh-charts")  # Telegram: 1 of 1 within the deadline
    analyst_page.screenshot(path=SHOTS / "5-ministry-dashboard-after.png", full_page=True)
    kinds = list(Case.objects.get(pk=case.pk).events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "submitted", "acknowledged", "action_reported", "verified"]
