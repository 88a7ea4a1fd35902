"""Session lifetime and the client address, for the security settings (portal/settings.py, "Security").

Idle expiry is Django's own: SESSION_COOKIE_AGE (30 minutes) with SESSION_SAVE_EVERY_REQUEST, enforced by
the session store on the server. The absolute limit is here: the login time is stamped in the session
(cases/signals.py) and a session older than SESSION_ABSOLUTE_AGE (12 hours) is logged out, however active.
"""

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from cases.accounts.services.accounts import REGISTERED_KEY, register_session

log = logging.getLogger("patuh.security")

LOGIN_AT = "_patuh_login_at"  # epoch seconds of the login; in the session


def epoch_now() -> int:
    return int(time.time())


def client_ip(request) -> str | None:
    """The client's address as the custody trail records it: REMOTE_ADDR, or the address the trusted proxies
    (PATUH_TRUSTED_PROXY_COUNT) saw. Also django-axes' AXES_CLIENT_IP_CALLABLE."""
    if request is None or not hasattr(request, "META"):
        return None
    from cases.evidence.views.evidence import custody_meta

    return custody_meta(request)["ip_address"] or None


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = request.session
            login_at = session.get(LOGIN_AT)
            if not isinstance(login_at, int):
                session[LOGIN_AT] = epoch_now()  # a session from before this middleware: its clock starts now
            elif epoch_now() - login_at >= settings.SESSION_ABSOLUTE_AGE:
                log.info("session ended: user %s (id %s) logged in more than %d hours ago",
                         user.get_username(), user.pk, settings.SESSION_ABSOLUTE_AGE // 3600)
                logout(request)
                messages.info(request, _("Your session ended after %(hours)d hours. Please log in again.")
                              % {"hours": settings.SESSION_ABSOLUTE_AGE // 3600})

        response = self.get_response(request)

        # A rotated session key (e.g. after a password change) is registered again, so deactivating the
        # user still finds it. No query unless the key changed.
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (user is not None and user.is_authenticated and session is not None and session.session_key
                and session.get(REGISTERED_KEY) != session.session_key):
            register_session(user, session)
        return response


# The pages a session that still owes its second factor may reach, per step (cases.accounts.services.twofactor).
_TWOFACTOR_OPEN = {"enrol": {"twofactor-enrol", "logout", "login"}, "verify": {"twofactor-verify", "logout", "login"}}
_CONSOLES = ("admin", "platform")


class TwoFactorMiddleware:
    """Keeps a session that still owes its second factor on the enrolment or verify page.

    After django_otp.middleware.OTPMiddleware (it sets `request.user.is_verified()`). The rule itself is
    `cases.accounts.services.twofactor.pending_step`. Every view is covered (both consoles, evidence downloads, the API
    through a session); bearer-token API calls carry no session user and are not affected.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        from cases.accounts.services.twofactor import pending_step

        step = pending_step(user)
        if step is None:
            return None
        match = request.resolver_match
        namespace = match.namespace if match is not None else ""
        if namespace in _CONSOLES and match.url_name in _TWOFACTOR_OPEN[step]:
            return None
        if request.path.startswith("/api/"):
            from cases.api.handlers import error_response

            return error_response("two_factor_required", _("Finish two-step login in the console first."), 403)
        if namespace not in _CONSOLES:
            from cases.core.roles import is_ministry

            namespace = "admin" if is_ministry(user) else "platform"
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode

        target = reverse(f"{namespace}:twofactor-{step}")
        if step == "verify" and request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
