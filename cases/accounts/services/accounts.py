"""Accounts: keep track of a user's login sessions, and end all their access when they are deactivated.

Deactivation is defence in depth. Django's ModelBackend already refuses inactive users (at login and when a
session is loaded) and the API refuses tokens of inactive users. On top of that, deactivating a user deletes
their sessions and revokes their API tokens, so that reactivating the account later does not bring an old
session or a leaked key back to life.

Deactivation is noticed however it happens through the ORM's save(): the admin's user page, or
`deactivate_user()` below (cases/signals.py). A queryset `.update(is_active=False)` sends no signal: use
`deactivate_user()` instead.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.core import clock
from cases.core.roles import ADMINISTRATOR, has_role
from cases.models import ApiToken, UserSession

log = logging.getLogger("patuh.security")

# The session keys registered (by us) on the session itself: a different key means it was rotated.
REGISTERED_KEY = "_patuh_session_key"


@dataclass(frozen=True)
class AccessEnded:
    sessions: int
    tokens: int


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def register_session(user, session, *, prune: bool = False) -> None:
    """Remember that `session` belongs to `user` (at login, and whenever its key rotates)."""
    key = session.session_key
    if not key:
        return
    previous = session.get(REGISTERED_KEY)
    if previous and previous != key:
        UserSession.objects.filter(session_key=previous).delete()
    try:
        with transaction.atomic():
            UserSession.objects.update_or_create(session_key=key, defaults={"user": user})
    except IntegrityError:  # pragma: no cover - the same key registered by a concurrent request
        pass
    session[REGISTERED_KEY] = key
    if prune:
        # No session outlives its absolute lifetime plus one idle period (cases.middleware), so older rows
        # name sessions that are gone. Pruned per user at login: the table stays as small as the live sessions.
        horizon = timezone.now() - timedelta(seconds=settings.SESSION_ABSOLUTE_AGE + settings.SESSION_COOKIE_AGE)
        UserSession.objects.filter(user=user, created_at__lt=horizon).delete()


def forget_session(session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_sessions(user) -> int:
    """Delete every login session of `user`. Returns how many were registered."""
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    store = _session_store()
    for key in keys:  # through the session engine, so database, cache and cached_db sessions all go
        store(session_key=key).delete()
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def revoke_tokens(user, *, actor=None) -> int:
    """Revoke every API token of `user` that is not revoked yet. Returns how many."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=clock.now(), revoked_by=actor if getattr(actor, "pk", None) else None
    )


def end_access(user, *, actor=None, reason: str = "deactivated") -> AccessEnded:
    """End all of `user`'s sessions and revoke all their API tokens, and log it (never a key)."""
    ended = AccessEnded(sessions=end_sessions(user), tokens=revoke_tokens(user, actor=actor))
    log.warning(
        "user %s (id %s) %s: %d session(s) ended, %d API token(s) revoked, by %s",
        user.get_username(), user.pk, reason, ended.sessions, ended.tokens,
        actor.get_username() if getattr(actor, "pk", None) else "the system",
    )
    return ended


@transaction.atomic
def deactivate_user(user, *, actor=None) -> AccessEnded:
    """Deactivate `user` and end their sessions and tokens at once.

    `actor` must be an administrator; None means the system itself (a management command, a script).
    """
    if actor is not None and not has_role(actor, ADMINISTRATOR):
        raise PermissionDenied(_("Only administrators may deactivate users."))
    user.is_active = False
    user._patuh_deactivated_by = actor  # read by the post_save receiver in cases/signals.py
    user.save(update_fields=["is_active"])
    ended = user.__dict__.pop("_patuh_access_ended", None)
    if ended is None:  # it was inactive already: still make sure nothing of theirs works
        ended = end_access(user, actor=actor)
    return ended
