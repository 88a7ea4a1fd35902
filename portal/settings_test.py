"""Settings for the test suite: the normal (production, DEBUG off) settings with a throwaway key, fast hashing,
and plain HTTP.

The test client and the live server speak HTTP, so the transport settings that only make sense over HTTPS
(redirect to HTTPS, Secure and `__Host-` cookies) are switched off here. Their production values are kept in
PRODUCTION_TRANSPORT, which tests/test_security_*.py apply with override_settings to check them. Everything
else (CSP, frame, referrer and sniffing headers, session lifetimes, login lockout) runs as in production.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "patuh-test-only-key-not-secret")
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test`: each worker its own evidence, mail and static folders
    os.environ["PATUH_VAR_DIR"] = tempfile.mkdtemp(prefix=f"patuh-test-{os.environ['PYTEST_XDIST_WORKER']}-")
else:
    os.environ.setdefault("PATUH_VAR_DIR", tempfile.mkdtemp(prefix="patuh-test-"))

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
LANGUAGE_CODE = "en"

_TRANSPORT = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "LANGUAGE_COOKIE_SECURE",
              "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME")
PRODUCTION_TRANSPORT = {name: globals()[name] for name in _TRANSPORT if name in globals()}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = False
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
# Two-step login is off for the suite, as in the debug demo, so the other tests log in with a password alone;
# tests/test_security_twofactor.py switches it on with override_settings. PATUH_REQUIRE_2FA=1 runs all with it.
# Letters (PDFs) are produced only where a test asks for them (tests/test_letters.py): rendering every order's
# PDF would slow the whole suite for nothing.
PATUH = {**PATUH, "REQUIRE_2FA": env_bool("PATUH_REQUIRE_2FA", False), "LETTERS": False}  # noqa: F405

# A "replica" alias mirroring default (the same test database), for the router's tests in
# tests/test_scaling_settings.py. No router is installed here, so nothing else ever reads from it.
DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})  # noqa: F405

# Jobs run in the test process, at once, when the transaction that queued them commits (tests that want them
# wrap the work in django_capture_on_commit_callbacks(execute=True)). The integration tests start real worker
# processes on the database backend (tests/test_webhooks_worker.py).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                     "QUEUES": ["default", "webhooks"]}}

# Each test starts with empty rate-limit counters (tests/test_api_support.py clears the cache); the tests of the
# shared caches (tests/test_hardening_processes.py) start servers with the production settings.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
