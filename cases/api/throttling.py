"""Rate limits per user, per client IP, and a stricter one for bulk intake.

Rates are read from settings at request time (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], filled from the
environment), so tests and operators can change them without re-importing anything.

Counting: DRF keeps a list of timestamps per client and writes it back after reading it, so two workers (or two
threads) reading at once both admit a request the limit should refuse. Here each window of the rate's length
has one counter, raised with the cache's atomic `incr` in the cache all workers share (cases/core/cache.py), and the
previous window still counts for the part of it that lies within the last period (a sliding window): at most
the rate is admitted in any period, however many workers serve it. A refused request is taken off the count.
"""

import math

from django.conf import settings
from rest_framework import throttling


class _SettingsRate:
    def get_rate(self):
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}).get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window, position = divmod(now, self.duration)
        window = int(window)
        current = f"{self.key}:{window}"
        hit = getattr(self.cache, "hit", None)
        if hit is not None:  # the database cache: the same, in one transaction (cases/core/cache.py)
            previous, count = hit(current, f"{self.key}:{window - 1}", timeout=2 * self.duration + 1)
        else:
            previous = self.cache.get(f"{self.key}:{window - 1}", 0)
            self.cache.add(current, 0, timeout=2 * self.duration + 1)
            try:
                count = self.cache.incr(current)
            except ValueError:  # expired between add and incr (a clock at the window's edge)
                self.cache.set(current, 1, timeout=2 * self.duration + 1)
                count = 1
        carried = previous * (1 - position / self.duration)
        if math.floor(carried) + count <= self.num_requests:
            return True
        self.cache.decr(current)
        count -= 1
        # When enough of the previous window has slid out (or, if this window alone is full, when it ends).
        if previous and count < self.num_requests:
            needed = 1 - (self.num_requests - count) / previous
            self.wait_seconds = max(1.0, (needed * self.duration) - position)
        else:
            self.wait_seconds = max(1.0, self.duration - position)
        return False

    def wait(self):
        return getattr(self, "wait_seconds", None)


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
