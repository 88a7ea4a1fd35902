"""API tokens: bearer authentication, refusals, hashing, scoping, and their management in both consoles."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from cases.api.services.tokens import create_token, revoke_token
from cases.core import clock
from cases.models import ApiToken
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db

KEY_RE = re.compile(r"pth_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def bearer(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_it_authenticates_with_a_bearer_token(analyst, make_case):
    make_case()
    key = create_token(actor=analyst, name="crawler").key
    response = bearer(key).get("/api/v1/cases/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert ApiToken.objects.get().last_used_at is not None


def test_it_answers_401_without_credentials_and_says_how_to_authenticate(db):
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer pth_0123456789ab_wrongsecret", "Bearer a b"])
def test_it_refuses_unknown_or_malformed_keys_with_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/cases/").status_code == 401


def test_it_refuses_a_right_prefix_with_a_wrong_secret(analyst):
    key = create_token(actor=analyst, name="x").key
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    assert bearer(forged).get("/api/v1/cases/").status_code == 401


def test_it_refuses_a_revoked_token(analyst):
    issued = create_token(actor=analyst, name="x")
    revoke_token(issued.token, actor=analyst)
    response = bearer(issued.key).get("/api/v1/cases/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_it_refuses_an_expired_token(analyst):
    issued = create_token(actor=analyst, name="x", expires_at=clock.now() + timedelta(hours=1))
    assert bearer(issued.key).get("/api/v1/cases/").status_code == 200
    with clock.frozen(clock.now() + timedelta(hours=2)):
        assert bearer(issued.key).get("/api/v1/cases/").status_code == 401


def test_it_refuses_the_token_of_an_inactive_user(analyst):
    key = create_token(actor=analyst, name="x").key
    get_user_model().objects.filter(pk=analyst.pk).update(is_active=False)
    assert bearer(key).get("/api/v1/cases/").status_code == 401


def test_it_stores_only_a_prefix_and_a_hash(analyst):
    issued = create_token(actor=analyst, name="crawler")
    assert KEY_RE.fullmatch(issued.key)
    row = ApiToken.objects.values().get()
    assert row["key_hash"] == hashlib.sha256(issued.key.encode()).hexdigest()
    secret = issued.key.split("_", 2)[2]
    for value in row.values():
        assert secret not in str(value)
    assert issued.key.split("_")[1] == row["prefix"]


def test_a_liaison_token_sees_only_its_platform(liaison_a, liaison_b, make_case, platform_b, analyst):
    mine = make_case(submit=True)
    theirs = make_case(submit=True, platform=platform_b, url="https://facebook.com/groups/x/posts/1")
    client = bearer(create_token(actor=liaison_a, name="sync").key)
    listed = [c["reference"] for c in client.get("/api/v1/cases/").json()["results"]]
    assert listed == [mine.reference]
    assert client.get(f"/api/v1/cases/{theirs.reference}/").status_code == 404
    assert client.get(f"/api/v1/cases/{mine.reference}/").status_code == 200


def test_nobody_without_a_role_may_hold_a_token(db):
    from django.core.exceptions import PermissionDenied

    nobody = get_user_model().objects.create_user("nobody", password="x")
    with pytest.raises(PermissionDenied):
        create_token(actor=nobody, name="x")


def test_only_the_owner_or_an_administrator_may_revoke(analyst, supervisor, administrator):
    from django.core.exceptions import PermissionDenied

    token = create_token(actor=analyst, name="x").token
    with pytest.raises(PermissionDenied):
        revoke_token(token, actor=supervisor)
    revoke_token(token, actor=administrator)
    token.refresh_from_db()
    assert token.revoked_by == administrator


def test_session_auth_needs_csrf_for_writes(analyst, platform_a):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(analyst)
    assert client.get("/api/v1/cases/").status_code == 200
    response = client.post("/api/v1/cases/", {"platform": "telegram"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_it_throttles_per_user_with_429_and_retry_after(settings, analyst):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "user": "2/minute"}}
    cache.clear()
    client = bearer(create_token(actor=analyst, name="x").key)
    assert [client.get("/api/v1/platforms/").status_code for _ in range(3)] == [200, 200, 429]
    response = client.get("/api/v1/platforms/")
    assert response.json()["error"]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_bulk_has_its_own_stricter_limit(settings, analyst, platform_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                                                          "bulk": "1/minute"}}
    cache.clear()
    client = bearer(create_token(actor=analyst, name="x").key)
    assert client.post("/api/v1/cases/bulk/", {"items": []}, format="json").status_code == 200
    assert client.post("/api/v1/cases/bulk/", {"items": []}, format="json").status_code == 429
    assert client.get("/api/v1/platforms/").status_code == 200  # other endpoints unaffected


# --- the consoles --------------------------------------------------------------------------------------


def _created_key(response) -> str:
    match = KEY_RE.search(response.content.decode())
    assert match, response.content[:500]
    return match.group(0)


def test_an_analyst_creates_a_token_in_the_ministry_console_and_sees_the_key_once(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("admin:cases_apitoken_add"), {"name": "AIS crawler"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = _created_key(response)
    token = ApiToken.objects.get()
    assert token.user == analyst and token.name == "AIS crawler"
    assert bearer(key).get("/api/v1/cases/").status_code == 200
    # Never shown again: not on the list, not on the token's page.
    for url in (reverse("admin:cases_apitoken_changelist"), reverse("admin:cases_apitoken_change", args=[token.pk])):
        page = client.get(url)
        assert page.status_code == 200
        assert key not in page.content.decode()
        assert token.prefix in page.content.decode()


def test_a_liaison_creates_and_revokes_a_token_in_the_platform_console(client, liaison_a):
    client.force_login(liaison_a)
    key = _created_key(client.post(reverse("platform:cases_apitoken_add"), {"name": "moderation sync"}))
    token = ApiToken.objects.get()
    assert bearer(key).get("/api/v1/platforms/").json()["results"][0]["slug"] == "telegram"
    response = client.post(reverse("platform:cases_apitoken_changelist"),
                           {"action": "revoke_selected", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.is_revoked
    assert bearer(key).get("/api/v1/platforms/").status_code == 401


def test_users_see_only_their_own_tokens_and_administrators_see_all(client, analyst, supervisor, administrator):
    mine = create_token(actor=analyst, name="mine").token
    theirs = create_token(actor=supervisor, name="theirs").token
    client.force_login(analyst)
    page = client.get(reverse("admin:cases_apitoken_changelist")).content.decode()
    assert mine.prefix in page and theirs.prefix not in page
    assert client.get(reverse("admin:cases_apitoken_change", args=[theirs.pk])).status_code == 404
    # Revoking someone else's through a crafted action post does nothing: it is out of scope.
    client.post(reverse("admin:cases_apitoken_changelist"), {"action": "revoke_selected",
                                                            "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert not theirs.is_revoked
    client.force_login(administrator)
    page = client.get(reverse("admin:cases_apitoken_changelist")).content.decode()
    assert mine.prefix in page and theirs.prefix in page
    client.post(reverse("admin:cases_apitoken_changelist"), {"action": "revoke_selected",
                                                            "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.is_revoked


def test_an_expiry_in_the_past_is_refused_in_the_console(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("admin:cases_apitoken_add"), {"name": "x", "expires_at_0": "2001-01-01",
                                                                  "expires_at_1": "00:00"})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()
