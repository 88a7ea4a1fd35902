"""Secrets Patuh must read back, stored encrypted: webhook signing secrets.

Why: a signing secret cannot be hashed like a password, because Patuh signs every delivery with the secret itself
(HMAC-SHA256, Standard Webhooks). In plain text, anyone who reads the database (a backup, the reporting replica,
an SQL injection) could sign webhooks as the ministry and send a platform forged takedown orders. Sealed, the
database alone is not enough: the key is derived from SECRET_KEY, which lives in the environment, not the database.

How: Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`), with a key derived from SECRET_KEY for this one
purpose. A stored value reads `fernet:<token>`. Keys in SECRET_KEY_FALLBACKS still open values, so SECRET_KEY can
be rotated the way Django documents (new key, the old one in the fallbacks); a value is sealed again with the new
key when it is next written (a rotation of the secret does it). A value without the prefix was written before
sealing and is read as it is (migration 0020 seals those).

If SECRET_KEY changed and the old one is not in SECRET_KEY_FALLBACKS, a sealed secret cannot be opened: it reads as
"" and deliveries fail with a sentence saying to rotate the endpoint's secret (docs/webhooks.md).
"""

import base64
import hashlib
import logging

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

log = logging.getLogger(__name__)

PREFIX = "fernet:"
PURPOSE = b"patuh.webhook-signing-secrets\x00"


def _fernet(key) -> Fernet:
    raw = key.encode() if isinstance(key, str) else bytes(key)
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(PURPOSE + raw).digest()))


def _keys() -> MultiFernet:
    return MultiFernet([_fernet(settings.SECRET_KEY), *(_fernet(k) for k in settings.SECRET_KEY_FALLBACKS)])


def seal(plain: str) -> str:
    if not plain or plain.startswith(PREFIX):
        return plain
    return PREFIX + _keys().encrypt(plain.encode()).decode("ascii")


def unseal(stored: str) -> str:
    """The secret, or "" when no key in SECRET_KEY and SECRET_KEY_FALLBACKS opens it."""
    if not stored or not stored.startswith(PREFIX):
        return stored  # empty, or written before sealing
    try:
        return _keys().decrypt(stored[len(PREFIX):].encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        log.error("a sealed webhook secret cannot be opened with SECRET_KEY or SECRET_KEY_FALLBACKS")
        return ""


class SealedCharField(models.CharField):
    """A CharField stored sealed (see above). Python code reads and writes the plain value; never filter on it
    (each sealing is different)."""

    def from_db_value(self, value, expression, connection):
        return value if value is None else unseal(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return seal(value) if value else value
