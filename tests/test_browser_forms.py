"""The forms beside Django's change form, clicked in Chromium (issue 13).

The comment form on the case page and the progress form on the commitment page used to sit inside the change
form; a browser drops a nested <form>, so the click posted the change form instead (an analyst got 403 on a
submitted case, on a draft the click saved the case and lost the comment, a liaison got 404). These tests click
the buttons as each persona and check what reached the database.
"""

import pytest

from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.models import Case, CaseEvent, Commitment, CommitmentUpdate, Meeting
from tests.test_browser import _login
from tests.test_browser import browser as browser  # noqa: F401 - its fixture; skips like it without Chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _page(browser):
    return browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()


def _comments(case):
    return list(CaseEvent.objects.filter(case=case, kind=EventKind.COMMENT).values_list("note", "visibility"))


def test_comments_are_added_by_clicking_as_analyst_and_liaison(live_server, browser, analyst, liaison_a,
                                                                make_case):
    base = live_server.url
    submitted = make_case(submit=True)
    draft = make_case(handle="original handle")

    page = _page(browser)
    _login(page, base, "admin", analyst.username)
    # A submitted case: the comment is recorded, internal by default (was: 403 Forbidden).
    page.goto(f"{base}/admin/cases/case/{submitted.pk}/change/")
    page.fill("form.patuh-comment textarea[name=text]", "Checked the channel again: still up.")
    page.click("form.patuh-comment input[type=submit]")
    assert "Comment added." in page.inner_text(".messagelist")
    assert _comments(submitted) == [("Checked the channel again: still up.", Visibility.INTERNAL)]
    assert "Checked the channel again" in page.inner_text(".patuh-timeline")

    # A draft, with an unsaved edit in the case form: the comment is recorded and the edit is not saved (was:
    # the click saved the edit and lost the comment).
    page.goto(f"{base}/admin/cases/case/{draft.pk}/change/")
    page.fill("input[name=handle]", "an edit not meant to be saved")
    page.fill("form.patuh-comment textarea[name=text]", "Waiting for the legal review.")
    page.select_option("form.patuh-comment select[name=visibility]", Visibility.SHARED)
    page.click("form.patuh-comment input[type=submit]")
    assert "Comment added." in page.inner_text(".messagelist")
    assert _comments(draft) == [("Waiting for the legal review.", Visibility.SHARED)]
    draft.refresh_from_db()
    assert draft.handle == "original handle" and draft.status == CaseStatus.DRAFT

    # The liaison of A comments on A's submitted case from the platform console (was: 404); always shared.
    liaison = _page(browser)
    _login(liaison, base, "platform", liaison_a.username)
    liaison.goto(f"{base}/platform/cases/case/{submitted.pk}/change/")
    assert liaison.locator("form.patuh-comment select").count() == 0
    liaison.fill("form.patuh-comment textarea[name=text]", "Escalated to our legal team.")
    liaison.click("form.patuh-comment input[type=submit]")
    assert "Comment added." in liaison.inner_text(".messagelist")
    assert ("Escalated to our legal team.", Visibility.SHARED) in _comments(submitted)
    assert Case.objects.get(pk=submitted.pk).status == CaseStatus.SUBMITTED
    # The analyst's internal comment never reached the liaison's page.
    assert "still up" not in liaison.inner_text("#content")


def test_commitment_progress_is_posted_by_clicking_as_liaison_and_analyst(live_server, browser, analyst,
                                                                          liaison_a, platform_a):
    base = live_server.url
    meeting = Meeting.objects.create(title="Rapat koordinasi", held_on="2026-08-01")
    meeting.platforms.set([platform_a])
    commitment = Commitment.objects.create(platform=platform_a, meeting=meeting, text="Respond within 24 hours")

    liaison = _page(browser)
    _login(liaison, base, "platform", liaison_a.username)
    liaison.goto(f"{base}/platform/cases/commitment/{commitment.pk}/change/")
    liaison.fill(".patuh-progress textarea[name=note]", "New escalation rota in place.")
    liaison.fill(".patuh-progress input[name=progress_percent]", "40")
    liaison.click(".patuh-progress input[type=submit]")
    assert "Progress recorded." in liaison.inner_text(".messagelist")
    update = CommitmentUpdate.objects.get(commitment=commitment)
    assert (update.note, update.progress_percent, update.author_id) == ("New escalation rota in place.", 40,
                                                                         liaison_a.pk)

    page = _page(browser)
    _login(page, base, "admin", analyst.username)
    page.goto(f"{base}/admin/cases/commitment/{commitment.pk}/change/")
    page.fill(".patuh-progress textarea[name=note]", "Checked at the quarterly review.")
    page.click(".patuh-progress input[type=submit]")
    assert "Progress recorded." in page.inner_text(".messagelist")
    assert CommitmentUpdate.objects.filter(commitment=commitment, author=analyst,
                                           note="Checked at the quarterly review.").exists()
