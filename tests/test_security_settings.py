"""Production settings: hashing, `check --deploy`, transport, cookies and response headers (CSP and friends)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings

from cases.accounts.security_logging import redact
from portal import settings as production  # the module the test settings extend: its values are production's

ROOT = Path(__file__).resolve().parent.parent
REQUIRED_CSP = ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                "frame-ancestors 'none'", "form-action 'self'", "img-src 'self' data:", "style-src 'self'"]


def _production_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "PATUH_"))}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
                "DJANGO_ALLOWED_HOSTS": "patuh.example", "PATUH_VAR_DIR": str(tmp_path), **extra})
    return env


def _run(args, env):
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


# --- passwords ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS)
def test_new_passwords_are_hashed_with_argon2id_and_old_hashes_upgrade_at_login():
    User = get_user_model()
    fresh = User.objects.create_user("fresh", password="a-long-enough-passphrase")
    assert fresh.password.startswith("argon2$argon2id$")
    old = User.objects.create_user("old")
    old.password = make_password("a-long-enough-passphrase", hasher="pbkdf2_sha256")
    old.save()
    assert old.check_password("a-long-enough-passphrase")  # still verifies...
    old.refresh_from_db()
    assert old.password.startswith("argon2$")  # ...and was rehashed with Argon2


def test_passwords_need_12_characters_and_are_checked_against_common_ones():
    with pytest.raises(ValidationError):
        validate_password("short-pw-1")
    with pytest.raises(ValidationError):
        validate_password("password1234")
    validate_password("a-long-enough-passphrase")


# --- the deployment check and production transport -----------------------------------------------------------


@pytest.mark.slow
def test_check_deploy_has_no_warnings_in_production(tmp_path):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.slow
def test_production_transport_settings(tmp_path):
    names = ["SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
             "SECURE_PROXY_SSL_HEADER", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE",
             "CSRF_COOKIE_SECURE", "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST"]
    code = ("import django, json; django.setup(); from django.conf import settings as s; "
            f"print(json.dumps({{k: getattr(s, k, None) for k in {names!r}}}))")
    prod = json.loads(_run(["-c", code], _production_env(tmp_path)).stdout.splitlines()[-1])
    assert prod == {
        "SECURE_SSL_REDIRECT": True, "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True, "SECURE_PROXY_SSL_HEADER": None, "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken", "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_AGE": 1800, "SESSION_SAVE_EVERY_REQUEST": True,
    }
    proxied = json.loads(_run(["-c", code], _production_env(tmp_path, PATUH_BEHIND_PROXY="1")).stdout.splitlines()[-1])
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    debug = json.loads(_run(["-c", code], _production_env(tmp_path, DJANGO_DEBUG="1")).stdout.splitlines()[-1])
    assert debug["SESSION_COOKIE_NAME"] == "sessionid" and not debug["SECURE_SSL_REDIRECT"]


# --- headers on console pages --------------------------------------------------------------------------------


def _csp(response) -> dict[str, str]:
    return {d.split()[0]: d for d in (p.strip() for p in response["Content-Security-Policy"].split(";")) if d}


def _assert_hardened(response):
    policy = _csp(response)
    for directive in REQUIRED_CSP:
        assert policy[directive.split()[0]] == directive, policy
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_production_redirects_to_https_and_sends_hsts_and_host_prefixed_secure_cookies(client):
    assert settings.PRODUCTION_TRANSPORT["SECURE_SSL_REDIRECT"] is True
    with override_settings(**settings.PRODUCTION_TRANSPORT):
        plain = client.get("/admin/login/")
        assert plain.status_code == 301 and plain["Location"] == "https://testserver/admin/login/"
        response = client.get("/admin/login/", secure=True)
        assert response.status_code == 200
        assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        _assert_hardened(response)
        assert "upgrade-insecure-requests" in response["Content-Security-Policy"]
        cookie = response.cookies["__Host-csrftoken"]
        assert cookie["secure"] and cookie["httponly"] and cookie["path"] == "/" and not cookie["domain"]
        assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
@pytest.mark.parametrize("site, persona", [("admin", "analyst"), ("platform", "liaison_a")])
def test_console_pages_carry_the_csp_and_the_other_headers(client, request, make_case, site, persona):
    user = request.getfixturevalue(persona)
    case = make_case(submit=True)
    with override_settings(**settings.PRODUCTION_TRANSPORT):
        client.force_login(user)
        # The list at the URL its filters give (the platform inbox opens at ?awaiting=true).
        for path in (f"/{site}/", f"/{site}/cases/case/?awaiting=true", f"/{site}/cases/case/{case.pk}/change/"):
            response = client.get(path, secure=True)
            assert response.status_code == 200, path
            _assert_hardened(response)
            assert response.cookies["__Host-sessionid"]["secure"]
            # Nothing the policy would block: no inline script, no event handlers, no style attributes.
            page = response.content.decode()
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
            assert not re.search(r"\son[a-z]+=", page), path
            assert not re.search(r"\sstyle=", page), path


@pytest.mark.django_db
def test_the_api_docs_run_no_inline_script_and_loosen_only_their_own_style_src(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["script-src"] == "script-src 'self'"
    assert policy["style-src"] == "style-src 'self' 'unsafe-inline'"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert "unsafe-inline" not in client.get("/admin/login/")["Content-Security-Policy"]


@pytest.mark.django_db
def test_evidence_downloads_keep_their_own_stricter_policy(client):
    """The download view sets `default-src 'none'; sandbox` itself; the site-wide policy must not replace it."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    from cases.evidence.views.evidence import EVIDENCE_CSP

    response = HttpResponse("x")
    response["Content-Security-Policy"] = EVIDENCE_CSP
    request = RequestFactory().get("/evidence/1/download/")
    middleware = CSPMiddleware(lambda r: response)
    middleware.process_request(request)
    assert middleware.process_response(request, response)["Content-Security-Policy"] == EVIDENCE_CSP


# --- logs keep no secrets ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_keys_never_reach_the_logs(analyst, caplog):
    from rest_framework.test import APIClient

    from cases.api.services.tokens import create_token

    caplog.set_level("DEBUG")
    key = create_token(actor=analyst, name="crawler").key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get("/api/v1/cases/")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}x")
    client.get("/api/v1/cases/")
    assert key.split("_", 2)[2] not in caplog.text


def test_the_log_filter_masks_passwords_keys_and_bearer_tokens():
    key = "pth_0123456789ab_" + "S3cr3t-" * 6
    line = (f"POST username=ana&password=hunter2-hunter2 Authorization: Bearer {key} "
            f"{{'api_key': 'abc123456', \"token\": \"zzz999999\"}} {key}")
    cleaned = redact(line)
    for secret in ("hunter2", "S3cr3t", "abc123456", "zzz999999"):
        assert secret not in cleaned
    assert "username=ana" in cleaned and "pth_0123456789ab_[REDACTED]" in cleaned
