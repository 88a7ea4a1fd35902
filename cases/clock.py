"""The one clock services read.

Why: the demo replays 90 days of history through the real services, and tests move time. Both set
the clock here instead of passing timestamps into services that the API could then be tricked into
backdating.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

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
