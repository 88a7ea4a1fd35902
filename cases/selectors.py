"""Reads that more than one caller needs. Writes live in `cases.services`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, Q

from cases import clock
from cases.choices import CaseStatus
from cases.models import Case, Commitment


@dataclass(frozen=True)
class CommitmentMeasure:
    """A measured commitment over a period: cases decided, how many met the target, and the share."""

    cases: int  # submitted in the period and not withdrawn
    decided: int  # actioned, or past the target without action
    met: int  # actioned within the target hours of submission
    pending: int  # still inside the target with no action yet

    @property
    def share(self) -> float | None:
        return round(self.met / self.decided, 4) if self.decided else None


def measure_commitment(
    commitment: Commitment, *, start: datetime, end: datetime | None = None
) -> CommitmentMeasure | None:
    """Measure from the cases, not from anyone's say-so. None for a commitment with no measurable target."""
    return measure_commitments([commitment], start=start, end=end).get(commitment.pk)


def measure_commitments(commitments, *, start: datetime, end: datetime | None = None) -> dict[int, CommitmentMeasure]:
    """The measure of every measurable commitment given, in one query whatever their number.

    A case counts for a commitment when it is on the commitment's platform and in its category, was
    submitted in the period and not withdrawn; it met the target when the action was reported within the
    target hours of submission, and is pending while it is still inside them with no action.
    """
    measured = [c for c in commitments if c.is_measured]
    if not measured:
        return {}
    now = clock.now()
    qs = Case.objects.filter(submitted_at__gte=start).exclude(status=CaseStatus.WITHDRAWN)
    if end is not None:
        qs = qs.filter(submitted_at__lt=end)
    scope = Q()
    aggregates = {}
    for c in measured:
        target = timedelta(hours=c.target_hours)
        mine = Q(platform_id=c.platform_id, category=c.measured_category)
        scope |= mine
        aggregates[f"cases_{c.pk}"] = Count("id", filter=mine)
        aggregates[f"met_{c.pk}"] = Count(
            "id", filter=mine & Q(actioned_at__isnull=False, actioned_at__lte=F("submitted_at") + target))
        aggregates[f"pending_{c.pk}"] = Count(
            "id", filter=mine & Q(actioned_at__isnull=True, submitted_at__gt=now - target))
    figures = qs.filter(scope).aggregate(**aggregates)
    return {
        c.pk: CommitmentMeasure(
            cases=figures[f"cases_{c.pk}"], met=figures[f"met_{c.pk}"], pending=figures[f"pending_{c.pk}"],
            decided=figures[f"cases_{c.pk}"] - figures[f"pending_{c.pk}"],
        )
        for c in measured
    }
