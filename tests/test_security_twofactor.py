"""Two-step login (TOTP + backup codes, django-otp): required for ministry staff when PATUH["REQUIRE_2FA"] is on,
optional for liaisons unless PATUH["LIAISON_2FA"], always asked once set up, and counted by the lockout.

The suite runs with it off (portal/settings_test.py, like the debug demo); each test here sets it.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.accounts.services import twofactor

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # tests/conftest.py make_user
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def patuh(require=True, liaison=False):
    return override_settings(PATUH={**settings.PATUH, "REQUIRE_2FA": require, "LIAISON_2FA": liaison},
                             AXES_ENABLED=True, AXES_FAILURE_LIMIT=5, AXES_COOLOFF_TIME=timedelta(minutes=15))


def code_for(device):
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(client, site, username, code=None, ip="10.1.1.1"):
    data = {"username": username, "password": PASSWORD, "next": f"/{site}/"}
    if code is not None:
        data["otp_token"] = code
    return client.post(f"/{site}/login/", data, REMOTE_ADDR=ip)


def failures(username):
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def enrol(client, site, user, clock):
    """Walk the set-up page with a right code; returns (device, backup codes)."""
    page = client.get(f"/{site}/two-step/set-up/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(f"/{site}/two-step/set-up/", {"otp_token": code_for(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
    clock.shift(timedelta(seconds=31))  # the next login needs the next time step's code
    return TOTPDevice.objects.get(user=user, confirmed=True), codes


MINISTRY = ["analyst", "supervisor", "administrator", "auditor"]


@pytest.mark.parametrize("persona", MINISTRY)
def test_ministry_user_without_a_device_is_forced_into_enrolment(client, request, persona):
    user = request.getfixturevalue(persona)
    with patuh(require=True):
        ok = login(client, "admin", user.username)
        assert ok.status_code == 302  # the password alone logs in ...
        for url in ("/admin/", "/admin/cases/case/", "/admin/password_change/", "/admin/two-step/"):
            response = client.get(url)
            assert response.status_code == 302 and response["Location"] == "/admin/two-step/set-up/", url
        api = client.get("/api/v1/cases/")
        assert api.status_code == 403
        page = client.get("/admin/two-step/set-up/")  # ... but only enrolment (and logout) is open
        assert page.status_code == 200
        assert "no-store" in page["Cache-Control"]
        body = page.content.decode()
        assert "<svg" in body and "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        assert twofactor.secret_base32(device) in body
        assert client.post("/admin/logout/").status_code in (200, 302)


def test_enrolment_wrong_code_fails_right_code_confirms_and_shows_ten_backup_codes(client, analyst, caplog):
    caplog.set_level("DEBUG")
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        client.get("/admin/two-step/set-up/")
        device = TOTPDevice.objects.get(user=analyst, confirmed=False)
        good = code_for(device)
        wrong = client.post("/admin/two-step/set-up/", {"otp_token": f"{(int(good) + 1) % 1000000:06d}"})
        assert wrong.status_code == 400 and "not right" in wrong.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        assert client.get("/admin/").status_code == 302  # still gated
        clock.shift(timedelta(seconds=5))  # django-otp throttles a device for a moment after a failure
        done = client.post("/admin/two-step/set-up/", {"otp_token": code_for(device)})
        assert done.status_code == 200 and "no-store" in done["Cache-Control"]
        codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", done.content.decode())
        assert len(codes) == len(set(codes)) == 10
        assert "offline" in done.content.decode()
        device.refresh_from_db()
        assert device.confirmed
        assert sorted(StaticToken.objects.filter(device__user=analyst).values_list("token", flat=True)) == sorted(codes)
        assert client.get("/admin/").status_code == 200  # the session is verified now
        assert client.get("/admin/two-step/set-up/")["Location"] == "/admin/two-step/"  # codes shown once only
    assert device.key not in caplog.text and twofactor.secret_base32(device).replace(" ", "") not in caplog.text
    assert not any(c in caplog.text for c in codes)


def test_after_enrolment_login_needs_the_code_and_wrong_codes_count_for_the_lockout(client, analyst):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        device, _codes = enrol(client, "admin", analyst, clock)
        client.post("/admin/logout/")

        missing = login(client, "admin", "analyst")
        assert missing.status_code == 200 and "Please enter the correct" in missing.content.decode()
        assert "_auth_user_id" not in client.session
        assert failures("analyst") == 1
        clock.shift(timedelta(seconds=5))
        good = code_for(device)
        wrong = login(client, "admin", "analyst", f"{(int(good) + 1) % 1000000:06d}")
        assert wrong.status_code == 200 and "Please enter the correct" in wrong.content.decode()
        assert "_auth_user_id" not in client.session
        assert failures("analyst") == 2
        attempt = AccessAttempt.objects.get(username="analyst")
        assert good not in attempt.post_data and f"{(int(good) + 1) % 1000000:06d}" not in attempt.post_data

        clock.shift(timedelta(seconds=5))
        ok = login(client, "admin", "analyst", code_for(device))
        assert ok.status_code == 302 and ok["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
        assert failures("analyst") == 0  # a success clears them, as for passwords


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, analyst):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        device, _codes = enrol(client, "admin", analyst, clock)
        client.post("/admin/logout/")
        responses = [login(client, "admin", "analyst", "000000") for _ in range(5)]
        assert [r.status_code for r in responses] == [200] * 4 + [429]
        clock.shift(timedelta(seconds=40))
        assert login(client, "admin", "analyst", code_for(device)).status_code == 429  # locked, right code or not


def test_a_backup_code_works_once(client, supervisor):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "supervisor")
        _device, codes = enrol(client, "admin", supervisor, clock)
        client.post("/admin/logout/")
        ok = login(client, "admin", "supervisor", codes[0].upper())
        assert ok.status_code == 302
        assert client.get("/admin/").status_code == 200
        client.post("/admin/logout/")
        assert not StaticToken.objects.filter(token=codes[0]).exists()
        clock.shift(timedelta(seconds=5))
        again = login(client, "admin", "supervisor", codes[0])
        assert again.status_code == 200 and "_auth_user_id" not in client.session
        clock.shift(timedelta(seconds=5))
        assert login(client, "admin", "supervisor", codes[1]).status_code == 302


def test_new_backup_codes_invalidate_the_old_ones_and_need_a_current_code(client, analyst):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        device, old = enrol(client, "admin", analyst, clock)
        refused = client.post("/admin/two-step/backup-codes/", {"otp_token": "000000"})
        assert refused.status_code == 400
        clock.shift(timedelta(seconds=5))
        fresh = client.post("/admin/two-step/backup-codes/", {"otp_token": code_for(device)})
        assert fresh.status_code == 200 and "no-store" in fresh["Cache-Control"]
        new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", fresh.content.decode())
        assert len(new) == 10 and not set(new) & set(old)
        assert twofactor.backup_codes_left(analyst) == 10
        assert twofactor.verify_code(analyst, old[1]) is None


def test_removing_the_device_needs_a_code_then_enrolment_starts_again(client, analyst):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        device, _codes = enrol(client, "admin", analyst, clock)
        assert client.post("/admin/two-step/remove/", {"otp_token": "000000"}).status_code == 400
        assert twofactor.is_enrolled(analyst)
        clock.shift(timedelta(seconds=5))
        done = client.post("/admin/two-step/remove/", {"otp_token": code_for(device)})
        assert done.status_code == 302 and done["Location"] == "/admin/two-step/set-up/"
        assert not twofactor.is_enrolled(analyst) and twofactor.backup_codes_left(analyst) == 0
        assert client.get("/admin/")["Location"] == "/admin/two-step/set-up/"


def test_a_device_but_an_unverified_session_goes_to_the_verify_page(client, analyst):
    with patuh(require=True), time_machine.travel(T0, tick=False) as clock:
        login(client, "admin", "analyst")
        device, _codes = enrol(client, "admin", analyst, clock)
        client.logout()
        client.force_login(analyst)  # logged in some other way than the form
        response = client.get("/admin/cases/case/")
        assert response.status_code == 302
        assert response["Location"] == "/admin/two-step/verify/?next=%2Fadmin%2Fcases%2Fcase%2F"
        assert client.get("/admin/two-step/set-up/").status_code == 302
        assert client.post("/admin/two-step/verify/", {"otp_token": "000000"}).status_code == 400
        clock.shift(timedelta(seconds=5))
        ok = client.post("/admin/two-step/verify/", {"otp_token": code_for(device), "next": "https://evil.example/"})
        assert ok.status_code == 302 and ok["Location"] == "/admin/"
        assert client.get("/admin/cases/case/").status_code == 200


def test_liaison_is_not_forced_when_liaison_2fa_is_off_but_must_use_a_device_once_enrolled(client, liaison_a):
    with patuh(require=True, liaison=False), time_machine.travel(T0, tick=False) as clock:
        assert login(client, "platform", "liaison_a").status_code == 302
        assert client.get("/platform/").status_code == 200  # not forced
        assert "Set up two-step login" in client.get("/platform/two-step/").content.decode()
        device, _codes = enrol(client, "platform", liaison_a, clock)
        client.post("/platform/logout/")
        refused = login(client, "platform", "liaison_a")
        assert refused.status_code == 200 and "_auth_user_id" not in client.session
        assert failures("liaison_a") == 1
        clock.shift(timedelta(seconds=5))
        ok = login(client, "platform", "liaison_a", code_for(device))
        assert ok.status_code == 302 and client.get("/platform/").status_code == 200


def test_liaison_is_forced_when_liaison_2fa_is_on(client, liaison_a):
    with patuh(require=False, liaison=True):
        login(client, "platform", "liaison_a")
        assert client.get("/platform/")["Location"] == "/platform/two-step/set-up/"
        assert client.get("/platform/two-step/set-up/").status_code == 200


@pytest.mark.parametrize("persona, site", [("analyst", "admin"), ("liaison_a", "platform")])
def test_not_required_means_the_password_login_is_unchanged(client, request, persona, site):
    request.getfixturevalue(persona)
    with patuh(require=False, liaison=False):
        ok = login(client, site, persona)
        assert ok.status_code == 302 and ok["Location"] == f"/{site}/"
        assert client.get(f"/{site}/").status_code == 200
    client.logout()
    page = client.get(f"/{site}/login/").content.decode()  # the code field is there, and optional
    assert 'name="otp_token"' in page and 'autocomplete="one-time-code"' in page


@pytest.mark.slow
def test_default_follows_debug():
    import os
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.PATUH['REQUIRE_2FA'], settings.PATUH['LIAISON_2FA'])"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PATUH_REQUIRE", "PATUH_LIAISON", "DJANGO_"))}
    base.update(DJANGO_SETTINGS_MODULE="portal.settings", DJANGO_SECRET_KEY="x" * 50,
                PATUH_VAR_DIR=str(settings.VAR_DIR))
    args = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    prod = subprocess.run(args, env=base, capture_output=True, text=True, check=True, cwd=settings.BASE_DIR)
    debug = subprocess.run(args, env={**base, "DJANGO_DEBUG": "1"}, capture_output=True, text=True, check=True,
                           cwd=settings.BASE_DIR)
    forced = subprocess.run(args, env={**base, "DJANGO_DEBUG": "1", "PATUH_REQUIRE_2FA": "1",
                                       "PATUH_LIAISON_2FA": "1"},
                            capture_output=True, text=True, check=True, cwd=settings.BASE_DIR)
    assert prod.stdout.split() == ["True", "False"]
    assert debug.stdout.split() == ["False", "False"]
    assert forced.stdout.split() == ["True", "True"]
