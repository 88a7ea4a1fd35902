"""API tokens: issue, check and revoke the keys machines present as `Authorization: Bearer <key>`.

A key looks like `pth_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
compared in constant time. The key itself is returned once, by `create_token`, and stored nowhere.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.core import clock
from cases.core.roles import ADMINISTRATOR, has_role, is_ministry, liaison_platform_ids
from cases.models import ApiToken

KEY_PREFIX = "pth"
PREFIX_BYTES = 6  # 12 hex characters: enough to find the row, not a secret
SECRET_BYTES = 32  # 256 bits
# `last_used_at` is written at most this often per token, so a busy machine does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once, never stored


class InvalidToken(Exception):
    """The key is unknown, malformed, revoked, expired, or its user is inactive. One answer for all."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _parse(key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or len(parts[1]) != PREFIX_BYTES * 2 or not parts[2]:
        return None
    return parts[1]


def may_hold_token(user) -> bool:
    """Tokens are for people who can use the API: ministry staff and active liaisons."""
    return bool(user is not None and user.is_active and (is_ministry(user) or liaison_platform_ids(user)))


@transaction.atomic
def create_token(*, actor, name: str, expires_at: datetime | None = None) -> IssuedToken:
    """Issue a token for `actor` themself (nobody issues keys in another person's name)."""
    if not may_hold_token(actor):
        raise PermissionDenied(_("Only ministry staff and platform liaisons may hold API tokens."))
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Name the token after what will use it.")})
    if expires_at is not None and expires_at <= clock.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    for _attempt in range(3):
        prefix = secrets.token_hex(PREFIX_BYTES)
        key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        token = ApiToken(user=actor, name=name[:100], prefix=prefix, key_hash=hash_key(key),
                         created_at=clock.now(), expires_at=expires_at)
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:  # pragma: no cover - a 48-bit prefix collision
            continue
        return IssuedToken(token=token, key=key)
    raise RuntimeError("could not allocate a token prefix")  # pragma: no cover


@transaction.atomic
def revoke_token(token: ApiToken, *, actor) -> ApiToken:
    """Revoke a token. Its owner may, and administrators may revoke anyone's. Revoking twice is harmless."""
    if token.user_id != getattr(actor, "pk", None) and not has_role(actor, ADMINISTRATOR):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = clock.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
    token.revoked_at, token.revoked_by = locked.revoked_at, locked.revoked_by
    return locked


def authenticate_key(key: str):
    """The (user, token) a key belongs to, or InvalidToken. Records when the token was last used."""
    prefix = _parse(key)
    if prefix is None:
        raise InvalidToken
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, hash_key(key)):
        raise InvalidToken
    if not token.is_usable or not token.user.is_active:
        raise InvalidToken
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token
