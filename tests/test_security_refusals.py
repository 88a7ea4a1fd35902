"""Every 404 served to a signed-in user on the consoles, the API and downloads is logged: who, what, when."""

import logging

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MIDDLEWARE_PATH = "cases.accounts.refusals.RefusalLoggingMiddleware"


@pytest.fixture
def refusal_logging(settings):
    if MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE_PATH]


def test_a_liaison_probing_another_platforms_case_is_logged(client, make_case, platform_b, liaison_a, caplog,
                                                            refusal_logging):
    other = make_case(platform=platform_b, submit=True, url="https://facebook.com/secret/1")
    client.force_login(liaison_a)
    with caplog.at_level(logging.WARNING, logger="patuh.security"):
        url = reverse("platform:cases_case_change", args=[other.pk])
        assert client.get(url + "?q=https://facebook.com/secret/1").status_code == 404
        assert client.get(f"/api/v1/cases/{other.reference}/").status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "patuh.security"]
    assert any(f"user liaison_a (id {liaison_a.pk}) GET {url}" in line for line in lines)
    assert any(f"/api/v1/cases/{other.reference}/" in line for line in lines)
    assert not any("facebook.com/secret" in line for line in lines)  # the query string stays out


def test_anonymous_404s_and_ordinary_pages_are_not_logged(client, caplog, refusal_logging):
    with caplog.at_level(logging.WARNING, logger="patuh.security"):
        client.get("/api/v1/cases/PTH-2026-999999/")
        client.get("/no/such/page/")
    assert not [r for r in caplog.records if "refused" in r.getMessage()]


def test_the_middleware_is_installed():
    from django.conf import settings

    assert MIDDLEWARE_PATH in settings.MIDDLEWARE


