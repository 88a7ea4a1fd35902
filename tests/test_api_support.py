"""Shared by the API tests: clients per persona (with real bearer tokens), and no accidental throttling.

Test modules import `bearer_client` and the autouse fixture `unthrottled` from here.
"""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from cases.api.services.tokens import create_token

UNLIMITED = {"user": "100000/minute", "anon": "100000/minute", "ip": "100000/minute", "bulk": "100000/minute"}


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Tests are never throttled by accident; the throttling test sets its own rates."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict(UNLIMITED)}
    cache.clear()
    yield
    cache.clear()


def bearer_client(user) -> APIClient:
    """An APIClient that authenticates as `user` with a real bearer token (None or anonymous: no credentials)."""
    client = APIClient()
    if user is not None and user.is_authenticated:
        issued = create_token(actor=user, name=f"test token of {user.username}")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.key}")
    return client


@pytest.mark.django_db
def test_bearer_client_authenticates_as_its_user_with_a_real_token(analyst):
    client = bearer_client(analyst)
    assert client._credentials["HTTP_AUTHORIZATION"].startswith("Bearer pth_")
    assert client.get("/api/v1/platforms/").status_code == 200
    anonymous = bearer_client(None)
    response = anonymous.get("/api/v1/platforms/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="patuh"'
