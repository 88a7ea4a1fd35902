"""Issue 14 in a real browser (Debian's Chromium through Playwright, as tests/test_browser.py): a supervisor
publishes a period's report by clicking through the console; a member of the public reads it on the
transparency page; the analyst sees a reopened case's two cycles on its page."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.cases.workflow import transition
from cases.core import clock
from cases.core.choices import Category
from cases.models import PublishedReport
from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_publishes_and_the_public_reads_it(live_server, browser, settings, supervisor,  # noqa: F811
                                                        liaison_a, make_case):
    settings.PATUH_PUBLIC_TRANSPARENCY = True
    for i in range(11):
        case = make_case(submit=True, url=f"https://t.me/published/{i}", category=Category.GAMBLING)
        transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    today = timezone.localdate(clock.now())  # the Jakarta day (UTC's date is a day behind after 17:00 UTC)
    base = live_server.url

    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(page, base, "admin", supervisor.username)
    page.goto(f"{base}/admin/cases/publishedreport/add/")
    page.fill("input[name=first_day]", (today - timedelta(days=1)).isoformat())
    page.fill("input[name=last_day]", today.isoformat())
    page.fill("input[name=title]", "Laporan uji")
    page.click("input[type=submit][name=_save]")
    report = PublishedReport.objects.get()
    assert report.title == "Laporan uji" and report.published_by == supervisor
    assert "Laporan uji" in page.inner_text("#result_list")
    page.screenshot(path=SHOTS / "14-published-reports.png", full_page=True)

    public = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()  # nobody signed in
    public.goto(f"{base}/transparency/")
    public.click("text=Laporan uji")
    assert report.sha256 in public.inner_text("body")
    assert public.locator("svg").count() >= 1 and public.locator("script").count() == 0
    table = public.inner_text("table")
    assert "Telegram" in table and "t.me" not in public.content()
    public.screenshot(path=SHOTS / "14-transparency.png", full_page=True)
    body = public.request.get(f"{base}/transparency/{report.pk}.json").body()
    assert hashlib.sha256(body).hexdigest() == report.sha256


def test_the_case_page_shows_every_cycle(live_server, browser, analyst, liaison_a, make_case):  # noqa: F811
    case = make_case(submit=True, url="https://t.me/reopened/1")
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    transition(case, "reopen", actor=analyst, note="Still reachable.")
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    _login(page, live_server.url, "admin", analyst.username)
    page.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    rows = page.locator(".patuh-cycles tbody tr")
    assert rows.count() == 2
    assert "removed" in rows.nth(0).inner_text().lower() or "dihapus" in rows.nth(0).inner_text().lower()
    page.screenshot(path=SHOTS / "14-case-cycles.png", full_page=True)
