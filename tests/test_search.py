"""Searching cases by a piece of their location, in both consoles and the API: the same rows as a plain
substring match, whatever shortcut the database takes (cases/cases/search.py)."""

import pytest

from cases.cases.search import TAIL
from cases.models import Case

URLS = [
    "https://t.me/jihad_news/4242", "https://t.me/jihad_news/14242", "https://t.me/JIHAD_NEWS/4242?x=1",
    "https://t.me/other/4242", "https://t.me/jihad_news/4243", "https://facebook.com/groups/slot88/posts/4242",
    "https://facebook.com/groups/slot88%/posts/1", "https://facebook.com/groups/slot_88/posts/1",
]
TERMS = ["jihad_news/4242", "JIHAD_NEWS/424", "t.me/jihad", "4242", "slot88%", "slot_88", "groups/slot88/posts/4242",
         "news/4243", "no such thing at all", "/4242", "e"]


@pytest.fixture
def located(make_case, platform_b):
    return [make_case(url=url, platform=platform_b if "facebook" in url else None, submit=True) for url in URLS]


def _expected(term: str) -> set[str]:
    return {c.reference for c in Case.objects.all() if term.lower() in c.location_url.lower()}


@pytest.mark.parametrize("term", TERMS)
def test_the_search_finds_exactly_the_cases_that_contain_the_term(located, term):
    assert any(len(t) > TAIL for t in TERMS) and any(len(t) <= TAIL for t in TERMS)
    found = set(Case.objects.filter(location_url__locates=term).values_list("reference", flat=True))
    assert found == _expected(term)


def test_the_analyst_searches_in_the_console_and_the_api(client, analyst, located):
    client.force_login(analyst)
    page = client.get("/admin/cases/case/", {"q": "jihad_news/4242"})
    assert page.status_code == 200
    shown = {c.reference for c in page.context["cl"].result_list}
    assert shown == _expected("jihad_news/4242") and len(shown) >= 2
    api = client.get("/api/v1/cases/", {"q": "jihad_news/4242"})
    assert {c["reference"] for c in api.json()["results"]} == shown


def test_a_liaison_finds_only_their_own_platforms_cases(client, liaison_b, located):
    client.force_login(liaison_b)
    page = client.get("/platform/cases/case/", {"q": "/posts/4242"})
    assert {c.reference for c in page.context["cl"].result_list} == _expected("/posts/4242")
    assert client.get("/platform/cases/case/", {"q": "jihad_news/4242"}).context["cl"].result_count == 0
