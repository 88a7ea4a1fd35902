"""Lockout after repeated failed logins (django-axes), in both consoles, keyed on username AND client IP.

Axes runs enabled here exactly as in production (settings pinned below so the env cannot change the test).
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("platform_a"),
]

PASSWORD = "correct-horse-battery"  # tests/conftest.py make_user
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 16:00 WIB
LOCKOUT = override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=timedelta(minutes=15))

SITES = [
    pytest.param("admin", "analyst", id="ministry console"),
    pytest.param("platform", "liaison_a", id="platform console"),
]


def _login(client, site, username, password, ip="10.1.1.1"):
    return client.post(f"/{site}/login/", {"username": username, "password": password, "next": f"/{site}/"},
                       REMOTE_ADDR=ip)


def _fail(client, site, username, times, ip="10.1.1.1"):
    return [_login(client, site, username, f"wrong-guess-{i}", ip) for i in range(times)]


@pytest.fixture
def people(analyst, liaison_a, liaison_b, supervisor):
    return {"analyst": analyst, "liaison_a": liaison_a, "liaison_b": liaison_b, "supervisor": supervisor}


@LOCKOUT
@pytest.mark.parametrize("site, username", SITES)
def test_five_failures_lock_the_username_from_that_ip_with_a_clear_message(client, people, site, username):
    with time_machine.travel(T0, tick=False):
        responses = _fail(client, site, username, 5)
        assert [r.status_code for r in responses[:4]] == [200] * 4  # the form again, with its error
        locked = responses[4]
        assert locked.status_code == 429
        page = locked.content.decode()
        assert "Too many failed logins" in page
        assert "16:15 WIB" in page and "15 minutes" in page  # when they can try again
        assert f'href="/{site}/login/"' in page
        # The right password does not help while locked: still the lockout page, and nobody is logged in.
        again = _login(client, site, username, PASSWORD)
        assert again.status_code == 429
        assert "_auth_user_id" not in client.session


@LOCKOUT
@pytest.mark.parametrize("site, username", SITES)
def test_the_lock_is_per_username_and_ip(client, people, site, username):
    other_user = "supervisor" if site == "admin" else "liaison_b"
    if other_user == "liaison_b":
        from cases.models import PlatformMembership

        assert PlatformMembership.objects.filter(user=people["liaison_b"]).exists()
    with time_machine.travel(T0, tick=False):
        _fail(client, site, username, 5, ip="10.1.1.1")
        assert _login(client, site, username, PASSWORD, ip="10.1.1.1").status_code == 429
        # The same username from another address logs in.
        ok = _login(client, site, username, PASSWORD, ip="10.2.2.2")
        assert ok.status_code == 302 and ok["Location"] == f"/{site}/"
        client.logout()
        # Another username from the locked address logs in too.
        ok = _login(client, site, other_user, PASSWORD, ip="10.1.1.1")
        assert ok.status_code == 302 and ok["Location"] == f"/{site}/"


@LOCKOUT
@pytest.mark.parametrize("site, username", SITES)
def test_the_lock_lifts_after_the_cool_off(client, people, site, username):
    with time_machine.travel(T0, tick=False) as clock:
        _fail(client, site, username, 5)
        clock.shift(timedelta(minutes=14))
        assert _login(client, site, username, PASSWORD).status_code == 429  # and this restarts the wait
        clock.shift(timedelta(minutes=14))
        assert _login(client, site, username, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=15, seconds=1))
        ok = _login(client, site, username, PASSWORD)
        assert ok.status_code == 302 and ok["Location"] == f"/{site}/"


@LOCKOUT
def test_a_success_clears_earlier_failures(client, people):
    with time_machine.travel(T0, tick=False):
        _fail(client, "admin", "analyst", 4)
        assert _login(client, "admin", "analyst", PASSWORD).status_code == 302
        client.logout()
        responses = _fail(client, "admin", "analyst", 4)
        assert all(r.status_code == 200 for r in responses)  # counting started again


@LOCKOUT
def test_an_unknown_username_is_locked_the_same_way(client, db):
    """The lock says nothing about whether an account exists."""
    responses = _fail(client, "admin", "nobody-by-this-name", 5)
    assert responses[-1].status_code == 429
    assert "Too many failed logins" in responses[-1].content.decode()


@LOCKOUT
def test_failed_logins_and_lockouts_are_logged_without_the_password(client, people, caplog):
    caplog.set_level("DEBUG")
    _fail(client, "platform", "liaison_a", 5, ip="10.9.9.9")
    _login(client, "platform", "liaison_a", PASSWORD, ip="10.9.9.9")
    text = caplog.text
    assert 'username: "liaison_a"' in text and "10.9.9.9" in text and "/platform/login/" in text
    assert "login locked out: username 'liaison_a' from 10.9.9.9" in text
    assert "wrong-guess" not in text and PASSWORD not in text


@LOCKOUT
def test_the_attempts_axes_keeps_hold_no_password_or_csrf_token(client, people):
    from axes.models import AccessAttempt

    _fail(client, "admin", "analyst", 2)
    attempt = AccessAttempt.objects.get(username="analyst")
    assert attempt.failures_since_start == 2 and attempt.ip_address == "10.1.1.1"
    assert "wrong-guess" not in attempt.post_data
    assert "password=****" in attempt.post_data


def test_axes_guards_both_consoles_from_the_settings(settings):
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
