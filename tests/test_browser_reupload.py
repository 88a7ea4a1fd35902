"""Re-upload matching in a real browser: the analyst opens a case with a possible re-upload, sees both images side
by side, confirms one match and dismisses another by clicking, and finds the case under "re-upload of an earlier
case". Runs Debian's Chromium through Playwright, as tests/test_browser.py does."""

import pytest

from cases.choices import EventKind, Visibility
from cases.models import Case, CaseEvent, HashMatch, MatchDecision
from cases.services import hashing
from tests.reupload_images import encode, jpeg_q40, poster, resized
from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture; skips without Chromium
from tests.test_evidence_support import upload, use_temporary_evidence_root  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_analyst_confirms_and_dismisses_possible_reuploads_by_clicking(live_server, browser, analyst,  # noqa: F811
                                                                           make_case):
    flyer, other = poster(51), poster(52)
    earlier = make_case(submit=True, url="https://t.me/first_channel/1")
    unrelated_earlier = make_case(submit=True, url="https://t.me/second_channel/2")
    hashing.hash_evidence(upload(earlier, analyst, "flyer.png", encode(flyer), visibility=Visibility.SHARED).pk)
    hashing.hash_evidence(upload(unrelated_earlier, analyst, "other.png", encode(other)).pk)
    later = make_case(url="https://t.me/reposted_channel/3")
    hashing.hash_evidence(upload(later, analyst, "repost.jpg", jpeg_q40(flyer)).pk)
    hashing.hash_evidence(upload(later, analyst, "repost-2.png", resized(other, 0.6)).pk)
    to_confirm = HashMatch.objects.get(matched_evidence__case=earlier)
    to_dismiss = HashMatch.objects.get(matched_evidence__case=unrelated_earlier)

    page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
    _login(page, live_server.url, "admin", analyst.username)
    page.goto(f"{live_server.url}/admin/cases/case/{later.pk}/change/")
    block = page.locator("#reupload-matches")
    text = block.inner_text()
    assert f"possibly the same content as {earlier.reference} (distance {to_confirm.distance})" in text
    # Both images of each match are loaded (served to ministry staff only, as re-encoded previews).
    images = block.locator("img")
    assert images.count() == 4
    for i in range(4):
        assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    images.first.hover()
    page.screenshot(path=SHOTS / "reupload-1-case-page.png", full_page=True)

    # Confirm: the button opens a small form showing both images again, with a note.
    block.locator(f"[data-match='{to_confirm.pk}'] [data-decision=confirmed]").click()
    assert page.locator(".patuh-match-images img").count() == 2
    page.fill("textarea[name=note]", "Same flyer, re-encoded.")
    page.click("input[type=submit][value='Confirm: same content']")
    assert "Confirmed: the same content as" in page.inner_text(".messagelist")
    assert page.url.endswith(f"/admin/cases/case/{later.pk}/change/")  # back on the case page
    # Dismiss the other.
    page.locator(f"#reupload-matches [data-match='{to_dismiss.pk}'] [data-decision=dismissed]").click()
    page.click("input[type=submit][value='Dismiss: different content']")
    assert "Dismissed" in page.inner_text(".messagelist")
    page.screenshot(path=SHOTS / "reupload-2-decided.png", full_page=True)

    assert HashMatch.objects.get(pk=to_confirm.pk).decision == MatchDecision.CONFIRMED
    assert HashMatch.objects.get(pk=to_dismiss.pk).decision == MatchDecision.DISMISSED
    kinds = set(CaseEvent.objects.filter(case=later).values_list("kind", flat=True))
    assert {EventKind.MATCH_CONFIRMED, EventKind.MATCH_DISMISSED} <= kinds
    assert "Same flyer, re-encoded." in page.inner_text(".patuh-timeline")

    # The case list's filter finds it as a re-upload of an earlier case.
    page.goto(f"{live_server.url}/admin/cases/case/")
    page.click("text=re-upload of an earlier case")
    listed = page.inner_text("#result_list")
    assert later.reference in listed and earlier.reference not in listed
    assert Case.objects.filter(pk=later.pk).exists()
