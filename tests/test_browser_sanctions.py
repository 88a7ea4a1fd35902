"""A supervisor proposes a sanction and issues it, by clicking in the ministry console (Chromium, as in
tests/test_browser.py): the proposal must name its basis; the issue page shows the cited cases and the fine
preview; issuing writes the audited steps."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.db.models import F
from django.utils import timezone

from cases.core.choices import Category, SanctionLevel
from cases.models import Case, Letter, Sanction, SanctionEvent
from tests.test_browser import SHOTS, _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_proposes_and_issues_a_warning(live_server, browser, supervisor, liaison_a, make_case, platform_a,
                                                    settings, tmp_path):
    settings.PATUH = {**settings.PATUH, "LETTERS": True}  # the warning letter is produced, and downloaded below
    settings.EVIDENCE_ROOT = tmp_path / "private"
    case = make_case(submit=True, category=Category.TERRORISM, url="https://t.me/propaganda_channel/9")
    # Its deadline passed an hour ago, unanswered.
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - timedelta(hours=1), overdue_at=F("due_at"))
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    _login(page, base, "admin", supervisor.username)

    # 1. Propose without a basis: refused, with the sentence on the form.
    page.goto(f"{base}/admin/cases/sanction/add/")
    page.select_option("select[name=platform]", str(platform_a.pk))
    page.select_option("select[name=level]", str(SanctionLevel.WARNING_1))
    page.fill("textarea[name=reason]", "Terror channel left up past its deadline.")
    page.click("input[type=submit][name=_save]")
    assert "content basis" in page.inner_text("#content")
    assert not Sanction.objects.exists()

    # 2. Cite the overdue case: proposed.
    page.fill("input[name=cases]", case.reference)
    page.click("input[type=submit][name=_save]")
    proposal = Sanction.objects.get()
    assert list(proposal.cases.all()) == [case]

    # 3. The sanction page shows the grounds; "Issue" opens the step with the cited case in view.
    page.goto(f"{base}/admin/cases/sanction/{proposal.pk}/change/")
    assert case.reference in page.inner_text("body")
    page.click("a.patuh-action:has-text('Issue')")
    assert case.reference in page.inner_text(".patuh-citations")
    assert "past the deadline" in page.inner_text(".patuh-citations")
    # The letter reference is left to Patuh's numbering.
    page.screenshot(path=SHOTS / "sanction-issue.png", full_page=True)
    page.click("input[type=submit].default")
    assert "done" in page.inner_text(".messagelist")

    proposal.refresh_from_db()
    assert proposal.status == "issued" and proposal.issued_by == supervisor
    assert proposal.letter_reference == "ST1/TELEGRAM/2026/001"
    kinds = list(SanctionEvent.objects.filter(sanction=proposal).order_by("id").values_list("kind", flat=True))
    assert kinds == ["propose", "issue", "letter"]  # the letter's job ran after the commit

    # 4. The liaison downloads the warning letter in the platform console: the first download is the receipt.
    liaison = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    _login(liaison, base, "platform", liaison_a.username)
    liaison.goto(f"{base}/platform/cases/letter/")
    assert "ST1/TELEGRAM/2026/001" in liaison.inner_text("#result_list")
    liaison.screenshot(path=SHOTS / "platform-letters.png", full_page=True)
    with liaison.expect_download() as download:
        liaison.click("a.patuh-letter")
    assert download.value.suggested_filename == "ST1-TELEGRAM-2026-001-id.pdf"
    assert Path(download.value.path()).read_bytes()[:5] == b"%PDF-"
    letter = Letter.objects.get(sanction=proposal)
    assert letter.received_by == liaison_a
    assert SanctionEvent.objects.filter(sanction=proposal, kind="letter_downloaded").get().data["receipt"] is True


def test_an_administrator_edits_a_letter_template(live_server, browser, administrator):
    from cases.models import LetterTemplate
    from cases.sanctions.services.letters import current_template

    v1 = current_template("st1", "id")
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US").new_page()
    _login(page, base, "admin", administrator.username)
    page.goto(f"{base}/admin/cases/lettertemplate/")
    page.click(f"a[href$='/lettertemplate/{v1.pk}/change/']")
    body = page.input_value("textarea[name=body]")
    # An unknown field: refused on save, with the error and the fields one may use.
    page.fill("textarea[name=body]", body + "<p>{{ sanction.penalty_points }}</p>")
    page.click("input[type=submit][name=_save]")
    assert "does not render" in page.inner_text("#content") and "sanction (level_label" in page.inner_text("#content")
    assert LetterTemplate.objects.filter(kind="st1").count() == 1
    page.screenshot(path=SHOTS / "letter-template-refused.png", full_page=True)
    # A good edit: saved as version 2; version 1 stays for the letters made from it.
    page.fill("textarea[name=body]", body.replace("Dengan hormat,", "Yang terhormat Pimpinan {{ addressee.name }},"))
    page.click("input[type=submit][name=_save]")
    assert list(LetterTemplate.objects.filter(kind="st1").order_by("version").values_list("version", flat=True)) == [
        1, 2]
    assert "Yang terhormat Pimpinan" in LetterTemplate.objects.get(kind="st1", version=2).body
    assert current_template("st1", "id").version == 2
