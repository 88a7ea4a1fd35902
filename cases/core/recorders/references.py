"""Human case references, PTH-2026-000123: unique even when many processes create cases at once."""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cases.core import clock
from cases.models import ReferenceCounter


def format_reference(year: int, number: int) -> str:
    return f"{settings.PATUH['REFERENCE_PREFIX']}-{year}-{number:06d}"


def allocate_references(count: int = 1) -> list[str]:
    """Hand out `count` consecutive references for the current (Jakarta) year.

    The counter row is incremented with one UPDATE, which locks it until the caller's transaction
    ends: concurrent creators queue on that row, so no two get the same number, and a rolled-back
    creation hands its numbers back.
    """
    if count < 1:
        return []
    year = timezone.localtime(clock.now()).year
    with transaction.atomic():
        ReferenceCounter.objects.get_or_create(year=year)
        ReferenceCounter.objects.filter(year=year).update(last=F("last") + count)
        last = ReferenceCounter.objects.filter(year=year).values_list("last", flat=True).get()
    return [format_reference(year, n) for n in range(last - count + 1, last + 1)]
