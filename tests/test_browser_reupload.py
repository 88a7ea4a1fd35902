"""Re-upload matching in a real browser: the analyst opens a case with a possible re-upload, sees both images side
by side, confirms one match and dismisses another by clicking, and finds the case under "re-upload of an earlier
case". Runs Debian's Chromium through Playwright, as tests/test_browser.py does."""

import time

import pytest

from cases.core.choices import EventKind, Visibility
from cases.evidence.services import hashing
from cases.models import Case, CaseEvent, HashMatch, MatchDecision
from tests.reupload_images import encode, jpeg_q40, poster, resized
from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture; skips without Chromium
from tests.test_evidence_support import upload, use_temporary_evidence_root  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
LOADED = "() => [...document.querySelectorAll('#reupload-matches img')].every(i => i.complete && i.naturalWidth > 0)"


class Previews:
    """Holds the browser's requests for match previews and sends them on one at a time.

    Each preview writes to the chain of custody. The suite's SQLite database lives in memory with a shared cache,
    where a second writer fails at once ("database table is locked") instead of waiting as it does on the file
    database of `make run` and on PostgreSQL; the browser asks for all the previews of a page at once.
    """

    def __init__(self, page):
        self.page, self.held = page, []
        page.route("**/hashmatch/*/image/*/", lambda route: self.held.append(route))

    def goto(self, url: str, previews: int):
        self.page.goto(url, wait_until="domcontentloaded")
        self.serve(previews)

    def click(self, target, previews: int):
        """Click a link or button (a selector or a locator) that opens a page showing this many previews."""
        locator = self.page.locator(target) if isinstance(target, str) else target
        with self.page.expect_navigation(wait_until="domcontentloaded"):
            locator.click()
        self.serve(previews)

    def serve(self, previews: int):
        deadline = time.monotonic() + 30
        while previews:
            assert time.monotonic() < deadline, f"{previews} previews never asked for"
            self.page.wait_for_timeout(20)  # lets the browser's requests arrive
            while self.held:
                route = self.held.pop(0)
                route.fulfill(response=route.fetch())
                previews -= 1
        self.page.wait_for_function(LOADED)  # every preview served and decoded


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
    previews = Previews(page)
    # Both images of each match are loaded (served to ministry staff only, as re-encoded previews).
    previews.goto(f"{live_server.url}/admin/cases/case/{later.pk}/change/", 4)
    block = page.locator("#reupload-matches")
    text = block.inner_text()
    assert f"possibly the same content as {earlier.reference} (distance {to_confirm.distance})" in text
    images = block.locator("img")
    assert images.count() == 4
    images.first.hover()
    page.screenshot(path=SHOTS / "reupload-1-case-page.png", full_page=True)

    # Confirm: the button opens a small form showing both images again, with a note.
    previews.click(block.locator(f"[data-match='{to_confirm.pk}'] [data-decision=confirmed]"), 2)
    assert page.locator(".patuh-match-images img").count() == 2
    page.fill("textarea[name=note]", "Same flyer, re-encoded.")
    previews.click("input[type=submit][value='Confirm: same content']", 4)
    assert "Confirmed: the same content as" in page.inner_text(".messagelist")
    assert page.url.endswith(f"/admin/cases/case/{later.pk}/change/")  # back on the case page
    # Dismiss the other.
    previews.click(f"#reupload-matches [data-match='{to_dismiss.pk}'] [data-decision=dismissed]", 2)
    previews.click("input[type=submit][value='Dismiss: different content']", 4)
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


def test_the_auditor_reads_matches_and_a_liaison_sees_none_in_indonesian(live_server, browser, analyst,  # noqa: F811
                                                                        auditor, liaison_a, make_case, platform_b):
    flyer = poster(53)
    earlier = make_case(submit=True, url="https://t.me/first_channel/5")
    later = make_case(submit=True, url="https://t.me/reposted_channel/6")
    elsewhere = make_case(submit=True, platform=platform_b, url="https://facebook.com/reposted/7")
    hashing.hash_evidence(upload(earlier, analyst, "flyer.png", encode(flyer), visibility=Visibility.SHARED).pk)
    hashing.hash_evidence(upload(later, analyst, "repost.jpg", jpeg_q40(flyer), visibility=Visibility.SHARED).pk)
    hashing.hash_evidence(upload(elsewhere, analyst, "repost.png", resized(flyer), visibility=Visibility.SHARED).pk)
    confirmed = HashMatch.objects.get(evidence__case=later, matched_evidence__case=earlier)
    hashing.decide_match(confirmed, actor=analyst, decision=MatchDecision.CONFIRMED, note="Pamflet yang sama.")
    pending = HashMatch.objects.get(evidence__case=elsewhere, matched_evidence__case=later)

    # The auditor, in Indonesian: the block, both images, the decision and who took it; no buttons to decide.
    page = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="id-ID").new_page()
    _login(page, live_server.url, "admin", auditor.username)
    previews = Previews(page)
    previews.goto(f"{live_server.url}/admin/cases/case/{later.pk}/change/", 4)
    block = page.locator("#reupload-matches")
    text = block.inner_text()
    assert "Kemungkinan unggahan ulang" in text
    assert f"kemungkinan konten yang sama dengan {earlier.reference} (jarak {confirmed.distance})" in text
    assert f"buka {earlier.reference}" in text  # the link, "open" as a verb
    assert "Dikonfirmasi: konten sama" in text and "Menunggu peninjauan" in text  # pending: re-uploaded elsewhere
    assert block.locator("[data-decision]").count() == 0
    assert block.locator("img").count() == 4
    timeline = page.inner_text(".patuh-timeline")
    assert "Unggahan ulang dikonfirmasi" in timeline and "Pamflet yang sama." in timeline
    page.screenshot(path=SHOTS / "reupload-3-auditor-id.png", full_page=True)
    # The review queue, then the pending match's own page: the same images, still nothing to click.
    page.goto(f"{live_server.url}/admin/cases/hashmatch/?decision__exact=pending")
    previews.click(f"#result_list a[href*='/hashmatch/{pending.pk}/change/']", 2)
    assert f"{elsewhere.reference} ~ {later.reference}" in page.inner_text("#content h2")
    assert page.locator("#reupload-matches img").count() == 2
    assert page.locator("#reupload-matches [data-decision]").count() == 0

    # Telegram's liaison: the confirmed match between two of its cases is in the API, never in pictures; nothing
    # of Facebook's case, and no ministry preview.
    page = browser.new_context(viewport={"width": 1366, "height": 1000}, locale="id-ID").new_page()
    _login(page, live_server.url, "platform", liaison_a.username)
    page.goto(f"{live_server.url}/platform/cases/case/{later.pk}/change/")
    assert later.reference in page.inner_text("#content")
    assert page.locator("#reupload-matches").count() == 0 and page.locator("img[src*='hashmatch']").count() == 0
    response = page.goto(f"{live_server.url}/admin/cases/hashmatch/{confirmed.pk}/image/earlier/")
    assert response.status == 404
    evidence = later.evidence.get()
    body = page.goto(f"{live_server.url}/api/v1/evidence/{evidence.pk}/").text()
    assert earlier.reference in body and elsewhere.reference not in body
