"""The one clock services read.

Why: the demo replays 90 days of history through the real services, and tests move time. Both set
the clock here instead of passing timestamps into services that the API could then be tricked into
backdating.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

_frozen: ContextVar[datetime | None] = ContextVar("patuh_frozen_now", default=None)


def now() -> datetime:
    return _frozen.get() or timezone.now()


@contextmanager
def frozen(at: datetime) -> Iterator[datetime]:
    """Make `now()` return `at` inside the block (this thread/context only)."""
    if timezone.is_naive(at):
        raise ValueError("frozen() needs an aware datetime")
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)


# The range of moments Patuh accepts from outside (capture times, action times, filters): nothing it handles
# happened before 1990, and a time ahead of the server by more than the clock skew has not happened yet.
# Python can hold the year 153, but Jakarta's offset then was local mean time (+07:07:12), which RFC 3339
# cannot write, and year-1 times overflow when converted between zones.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_FILTER = datetime(2100, 12, 31, tzinfo=UTC)  # for filters, where a time to come is a fair question
CLOCK_SKEW = timedelta(minutes=5)


def moment_problem(moment: datetime, *, future_ok: bool = False) -> str | None:
    """Why `moment` cannot be taken (a sentence), or None."""
    if moment < EARLIEST:
        return _("Give a time on or after %(first)s.") % {"first": EARLIEST.date().isoformat()}
    if future_ok and moment > LATEST_FILTER:
        return _("Give a time before %(last)s.") % {"last": LATEST_FILTER.date().isoformat()}
    if not future_ok and moment > now() + CLOCK_SKEW:
        return _("The time is in the future.")
    return None
