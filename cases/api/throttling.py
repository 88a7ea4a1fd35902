"""Rate limits per user, per client IP, and a stricter one for bulk intake.

Rates are read from settings at request time (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], filled from the
environment), so tests and operators can change them without re-importing anything.
"""

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)


class UserThrottle(_SettingsRate, throttling.UserRateThrottle):
    """Per authenticated user (anonymous requests fall through to the IP limits)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonThrottle(_SettingsRate, throttling.AnonRateThrottle):
    """Per client IP, for requests without credentials (the public report, failed logins)."""

    scope = "anon"


class IPThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Per client IP, whoever is calling: caps what one address can send with many tokens."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BulkThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    """Per user, on bulk intake only: each call may create a thousand cases."""

    scope = "bulk"

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
