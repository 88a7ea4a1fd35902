"""Signal receivers for login, logout, lockout and deactivation (wired in CasesConfig.ready()).

What is logged, to the "patuh.security" logger: who (username, user id, client IP), what, and where; the
formatter adds when. Passwords, API keys and session keys are never logged. django-axes logs every failed
login on its own ("AXES: ... login failure by {username, ip_address, user_agent, path_info}").
"""

import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver

from cases.accounts.services import accounts
from cases.middleware import LOGIN_AT, client_ip, epoch_now

log = logging.getLogger("patuh.security")


def _where(request) -> str:
    return getattr(request, "path", "") if request is not None else ""


@receiver(user_logged_in, dispatch_uid="patuh_user_logged_in")
def on_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        session[LOGIN_AT] = epoch_now()  # the 12-hour clock starts here (cases.middleware)
        accounts.register_session(user, session, prune=True)
    log.info("login: user %s (id %s) from %s at %s", user.get_username(), user.pk, client_ip(request),
             _where(request))


@receiver(user_logged_out, dispatch_uid="patuh_user_logged_out")
def on_logout(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None:
        accounts.forget_session(session.session_key)
    if user is not None:
        log.info("logout: user %s (id %s) from %s", user.get_username(), user.pk, client_ip(request))


@receiver(user_locked_out, dispatch_uid="patuh_user_locked_out")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    log.warning(
        "login locked out: username %r from %s at %s after %s failures; %s minutes' cool-off from now",
        username, ip_address, _where(request), settings.AXES_FAILURE_LIMIT,
        int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    )


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="patuh_user_pre_save")
def notice_deactivation(sender, instance, raw=False, update_fields=None, **kwargs):
    """Flag a save that turns an active user inactive (one query, only when the instance says inactive)."""
    if raw or instance.pk is None or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    if sender._default_manager.filter(pk=instance.pk, is_active=True).exists():
        instance._patuh_deactivating = True


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="patuh_user_post_save")
def end_access_of_deactivated(sender, instance, raw=False, **kwargs):
    if raw or not instance.__dict__.pop("_patuh_deactivating", False):
        return
    actor = instance.__dict__.pop("_patuh_deactivated_by", None)
    instance._patuh_access_ended = accounts.end_access(instance, actor=actor)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="patuh_user_pre_delete")
def end_sessions_of_deleted(sender, instance, **kwargs):
    """A deleted user's tokens go with the row (CASCADE); their sessions are deleted here."""
    accounts.end_sessions(instance)
