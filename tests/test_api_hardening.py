"""Issue 12, hardening: each class of hostile input found over a real server answers a 4xx in the error shape
(never a 500), at the level a client meets it (an HTTP request). One section per class of the issue.

The fuzz suite (tests/test_api_fuzz.py) sends the same strings inside otherwise valid bodies; the process
tests (a killed upload, two gunicorn workers sharing the rate limits) are in tests/test_hardening_processes.py.
"""

import pytest

from cases.models import Case
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db
CASES = "/api/v1/cases/"
BULK = "/api/v1/cases/bulk/"


def order(url, **extra):
    return {"platform": "telegram", "category": "gambling", "location_url": url,
            "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling.", **extra}


def assert_error(response, status: int, *, fields: set | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if fields is not None:
        assert set(error.get("fields", {})) == fields, error
    return error


# --- 1. odd URLs: a field error per item, never a 500, and the valid items of a batch are created ----------

ODD_URLS = ["https://t.me:abc/x", "https://t.me:99999/x", "http://[::1", "https://[::1/x", "https://t.me:0/x",
            "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "ftp://t.me/x", "https://:80/x", "http://"]


@pytest.mark.parametrize("url", ODD_URLS)
def test_an_odd_url_in_a_single_order_is_a_field_error(analyst, platform_a, url):
    response = bearer_client(analyst).post(CASES, order(url), format="json")
    assert_error(response, 400, fields={"location_url"})
    assert not Case.objects.exists()


def test_odd_urls_in_a_batch_are_invalid_items_and_the_valid_ones_are_created(analyst, platform_a):
    items = [order(url) for url in ODD_URLS] + [order("https://t.me/fine/1"), order("https://t.me:8443/fine/2")]
    response = bearer_client(analyst).post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["invalid"] * len(ODD_URLS) + ["created", "created"]
    assert all(set(r["fields"]) == {"location_url"} for r in results[:len(ODD_URLS)])
    assert Case.objects.count() == 2


# --- 10. de-duplication sees through percent-encoded unreserved characters and invisible characters --------

@pytest.mark.parametrize("variant", ["https://t.me/chan/1\u200b", "https://t.me/chan/%31", "https://t.me/%63han/1",
                                     "https://t.me/chan/\ufeff1", "https://t.me/chan/1\u2060/"])
def test_trivial_variants_of_a_url_are_duplicates_and_keep_their_spelling(analyst, platform_a, variant):
    client = bearer_client(analyst)
    first = client.post(CASES, order("https://t.me/chan/1"), format="json")
    assert first.status_code == 201, first.content
    second = client.post(CASES, order(variant), format="json")
    error = assert_error(second, 409)
    assert error["existing_reference"] == first.json()["reference"]
    response = client.post(BULK, {"items": [order(variant)]}, format="json")
    assert response.json()["results"][0]["result"] == "duplicate"


def test_a_url_keeps_the_spelling_it_was_sent_with(analyst, platform_a):
    response = bearer_client(analyst).post(CASES, order("https://t.me/chan/%31"), format="json")
    assert response.status_code == 201 and response.json()["location_url"] == "https://t.me/chan/%31"


def test_escapes_of_reserved_characters_still_make_another_url(analyst, platform_a):
    client = bearer_client(analyst)
    assert client.post(CASES, order("https://example.org/a/b"), format="json").status_code == 201
    assert client.post(CASES, order("https://example.org/a%2Fb"), format="json").status_code == 201
