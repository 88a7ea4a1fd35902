"""The case lists' filters in a real browser (issue 19): the analyst and a liaison click filters and search in their
consoles, copy the address bar's query string to the API, and get the same cases. Runs Debian's Chromium through
Playwright, as tests/test_browser.py does."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.test_browser import SHOTS, _login, browser  # noqa: F401 - the fixture; skips without Chromium
from tests.test_filter_parity import cases  # noqa: F401 - the fixture: cases of A and B, by persona

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _listed(page) -> set[str]:
    if page.locator("#result_list").count() == 0:
        return set()
    return {text.strip() for text in page.locator("#result_list tbody .field-reference").all_inner_texts()}


def _api(page, base: str) -> set[str]:
    """The address bar's query string, sent to the API with the same session."""
    query = urlsplit(page.url).query
    response = page.request.get(f"{base}/api/v1/cases/?{query}")
    assert response.ok, (query, response.status)
    return {row["reference"] for row in response.json()["results"]}


def _query(page) -> dict:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def _pick(page, title: str, choice: str):
    with page.expect_navigation():
        page.locator(f'details[data-filter-title="{title}"]').get_by_role("link", name=choice, exact=True).click()


def _search(page, term: str):
    page.fill("#searchbar", term)
    with page.expect_navigation():
        page.press("#searchbar", "Enter")


def test_the_analyst_filters_and_searches_and_the_api_agrees(live_server, browser, analyst, cases):  # noqa: F811
    base = live_server.url
    page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
    _login(page, base, "admin", analyst.username)
    page.goto(f"{base}/admin/cases/case/")
    _pick(page, "deadline", "on time")
    _pick(page, "assignment", "assigned to me")
    _search(page, "jihad")
    assert _query(page) == {"assigned_to_me": ["true"], "deadline_state": ["on_time"], "q": ["jihad"]}
    shown = _listed(page)
    assert shown == {cases["a1"].reference, cases["b1"].reference}
    assert _api(page, base) == shown
    page.screenshot(path=SHOTS / "filters-1-ministry.png", full_page=True)

    # Another combination: a platform, a status, and the search kept.
    _pick(page, "assignment", "All")
    _pick(page, "deadline", "All")
    _pick(page, "platform", "Telegram")
    _pick(page, "status", "Draft")
    assert _query(page) == {"platform": ["telegram"], "status": ["draft"], "q": ["jihad"]}
    shown = _listed(page)
    assert shown == {cases["a4"].reference} and _api(page, base) == shown

    # An old bookmark (the console's parameters before issue 19) lands on the same list, under the new names.
    page.goto(f"{base}/admin/cases/case/?deadline=on_time&mine=1&q=jihad")
    assert _query(page) == {"assigned_to_me": ["true"], "deadline_state": ["on_time"], "q": ["jihad"]}
    assert _listed(page) == {cases["a1"].reference, cases["b1"].reference}


def test_a_liaison_filters_the_inbox_and_the_api_agrees(live_server, browser, liaison_a, cases):  # noqa: F811
    base = live_server.url
    page = browser.new_context(viewport={"width": 1366, "height": 1000}).new_page()
    _login(page, base, "platform", liaison_a.username)
    page.goto(f"{base}/platform/cases/case/")
    assert _query(page) == {"awaiting": ["true"]}  # the inbox says what it shows
    shown = _listed(page)
    assert shown == {cases["a1"].reference, cases["a2"].reference} and _api(page, base) == shown
    _pick(page, "awaiting", "All")
    assert _query(page) == {"awaiting": [""]}  # every case of the platform, not the inbox's default
    _search(page, "hoax_daily")
    shown = _listed(page)
    assert shown == {cases["a2"].reference, cases["a3"].reference} and _api(page, base) == shown
    _pick(page, "status", "Actioned")
    shown = _listed(page)
    assert shown == {cases["a3"].reference} and _api(page, base) == shown
    page.screenshot(path=SHOTS / "filters-2-platform.png", full_page=True)
    body = page.content()
    assert cases["b1"].reference not in body and "Draft" not in page.inner_text("#changelist-filter")
