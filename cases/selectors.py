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
    if not commitment.is_measured:
        return None
    now = clock.now()
    target = timedelta(hours=commitment.target_hours)
    qs = Case.objects.filter(
        platform_id=commitment.platform_id,
        category=commitment.measured_category,
        submitted_at__gte=start,
    ).exclude(status=CaseStatus.WITHDRAWN)
    if end is not None:
        qs = qs.filter(submitted_at__lt=end)
    met_q = Q(actioned_at__isnull=False, actioned_at__lte=F("submitted_at") + target)
    pending_q = Q(actioned_at__isnull=True, submitted_at__gt=now - target)
    figures = qs.aggregate(cases=Count("id"), met=Count("id", filter=met_q), pending=Count("id", filter=pending_q))
    return CommitmentMeasure(
        cases=figures["cases"], met=figures["met"], pending=figures["pending"],
        decided=figures["cases"] - figures["pending"],
    )
