"""Sessions: 30 minutes idle, 12 hours absolute; deactivating a user ends their sessions and revokes their tokens."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from cases.accounts.services.accounts import deactivate_user
from cases.api.services.tokens import create_token
from cases.models import ApiToken, UserSession

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _in(client, path="/admin/"):
    return client.get(path).status_code == 200


def _bearer(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_a_session_ends_after_30_minutes_idle_and_activity_keeps_it(client, analyst):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(analyst)
        assert _in(client)
        for _ in range(3):  # activity every 29 minutes keeps it alive
            clock.shift(timedelta(minutes=29))
            assert _in(client)
        clock.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_session_ends_12_hours_after_login_however_active(client, liaison_a):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(liaison_a)
        for _ in range(11 * 3 + 2):  # every 20 minutes until 11 h 40 min
            clock.shift(timedelta(minutes=20))
            assert _in(client, "/platform/")
        clock.shift(timedelta(minutes=20))  # 12 h
        response = client.get("/platform/", follow=True)
        assert response.redirect_chain[0][0].startswith("/platform/login/")
        assert "Your session ended after 12 hours. Please log in again." in response.content.decode()
        assert "_auth_user_id" not in client.session


def test_logging_in_again_starts_a_new_12_hours(client, analyst):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(analyst)
        clock.shift(timedelta(hours=11, minutes=50))
        client.force_login(analyst)
        clock.shift(timedelta(minutes=20))
        assert _in(client)


def test_sessions_are_registered_per_user_at_login_and_forgotten_at_logout(client, analyst):
    client.force_login(analyst)
    key = client.session.session_key
    assert UserSession.objects.filter(user=analyst, session_key=key).exists()
    client.post("/admin/logout/")
    assert not UserSession.objects.filter(session_key=key).exists()


def test_deactivating_a_user_ends_their_sessions_and_revokes_their_tokens(client, analyst, make_case):
    make_case()
    key = create_token(actor=analyst, name="AIS crawler").key
    other = APIClient()
    other.force_login(analyst)  # a second browser
    client.force_login(analyst)
    sessions = [client.session.session_key, other.session.session_key]
    assert _in(client) and _bearer(key).get("/api/v1/cases/").status_code == 200

    analyst.is_active = False
    analyst.save()  # as the console's user page does

    assert not Session.objects.filter(session_key__in=sessions).exists()
    assert not UserSession.objects.filter(user=analyst).exists()
    assert ApiToken.objects.get().revoked_at is not None
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert _bearer(key).get("/api/v1/cases/").status_code == 401
    # Reactivating the account brings neither back: the sessions are gone and the token stays revoked.
    analyst.is_active = True
    analyst.save()
    assert client.get("/admin/").status_code == 302
    assert other.get("/api/v1/cases/").status_code in (401, 403)
    assert _bearer(key).get("/api/v1/cases/").status_code == 401


def test_deactivate_user_is_for_administrators_and_reports_what_it_ended(client, analyst, administrator, liaison_a):
    create_token(actor=liaison_a, name="moderation sync")
    client.force_login(liaison_a)
    with pytest.raises(PermissionDenied):
        deactivate_user(liaison_a, actor=analyst)
    ended = deactivate_user(liaison_a, actor=administrator)
    assert (ended.sessions, ended.tokens) == (1, 1)
    liaison_a.refresh_from_db()
    assert not liaison_a.is_active
    assert ApiToken.objects.get().revoked_by == administrator
    assert client.get("/platform/").status_code == 302


def test_a_session_whose_key_rotated_is_still_found(client, analyst):
    """A password change rotates the session key; deactivation must still find the new one."""
    client.force_login(analyst)
    old = client.session.session_key
    response = client.post("/admin/password_change/", {
        "old_password": "correct-horse-battery",
        "new_password1": "a-much-longer-passphrase-2026",
        "new_password2": "a-much-longer-passphrase-2026",
    })
    assert response.status_code == 302
    new = client.session.session_key
    assert new != old
    assert list(UserSession.objects.filter(user=analyst).values_list("session_key", flat=True)) == [new]
    deactivate_user(analyst)
    assert not Session.objects.filter(session_key=new).exists()
    assert client.get("/admin/").status_code == 302


def test_deleting_a_user_ends_their_sessions(client, liaison_b):
    client.force_login(liaison_b)
    key = client.session.session_key
    liaison_b.delete()
    assert not Session.objects.filter(session_key=key).exists()


def test_saving_an_active_user_ends_nothing(client, analyst):
    create_token(actor=analyst, name="x")
    client.force_login(analyst)
    analyst.first_name = "Ana"
    analyst.save()
    assert _in(client)
    assert ApiToken.objects.get().revoked_at is None


def test_an_administrator_unticking_active_on_the_user_page_is_recorded_as_the_actor(
        client, administrator, liaison_a, caplog):
    create_token(actor=liaison_a, name="moderation sync")
    client.force_login(administrator)
    page = client.get(f"/admin/auth/user/{liaison_a.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items()
            if name not in ("is_active", "password", "last_login", "date_joined", "groups", "user_permissions")}
    data.update({"date_joined_0": "2026-01-05", "date_joined_1": "09:00:00", "last_login_0": "", "last_login_1": "",
                 "groups": [g.pk for g in liaison_a.groups.all()]})
    with caplog.at_level("WARNING", logger="patuh.security"):
        response = client.post(f"/admin/auth/user/{liaison_a.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    liaison_a.refresh_from_db()
    assert not liaison_a.is_active
    token = ApiToken.objects.get(user=liaison_a)
    assert token.revoked_at is not None and token.revoked_by == administrator
    assert "1 API token(s) revoked, by administrator" in caplog.text


def test_administrators_can_lift_a_lockout_in_the_console(client, administrator, analyst):
    client.force_login(administrator)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    client.force_login(analyst)
    assert client.get("/admin/axes/accessattempt/").status_code in (403, 404)
