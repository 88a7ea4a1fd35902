"""Settings for the test suite: the normal settings with a throwaway key and fast hashing."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "patuh-test-only-key-not-secret")
os.environ.setdefault("PATUH_VAR_DIR", tempfile.mkdtemp(prefix="patuh-test-"))

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
LANGUAGE_CODE = "en"
