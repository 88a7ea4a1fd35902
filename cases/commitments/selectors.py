"""Reads that more than one caller needs. Writes live in `cases.<domain>.services`."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils.dateparse import parse_datetime

from cases.core import clock
from cases.core.choices import CycleOutcome
from cases.core.recorders.deadlines import resume_after_objection
from cases.core.recorders.rollups import MET, MISSED, PENDING
from cases.models import Commitment, SubmissionCycle


@dataclass(frozen=True)
class CommitmentMeasure:
    """A measured commitment over a period: its cycles judged against the commitment's hours, by the rule of
    the compliance share (docs/reports.md, "Commitments")."""

    cases: int  # cycles opened in the period on the platform, in the category (not withdrawn in time)
    met: int  # action reported within the commitment's hours
    missed: int  # the hours ran out first (a late objection stays a miss)
    pending: int  # still inside the hours, no action, no objection: not decided yet
    objection_pending: int  # objected in time, awaiting the decision: neither met nor missed, counted apart

    @property
    def decided(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        return round(self.met / self.decided, 4) if self.decided else None


def measure_commitment(
    commitment: Commitment, *, start: datetime, end: datetime | None = None
) -> CommitmentMeasure | None:
    """Measure from the cycles, not from anyone's say-so. None for a commitment with no measurable target."""
    return measure_commitments([commitment], start=start, end=end).get(commitment.pk)


def deadline_for(cycle: SubmissionCycle, hours: int):
    """The deadline a cycle would have had with a window of `hours`: its opening plus the hours, moved by each
    objection rejected by the clock rule of the cycle (`resume_after_objection`)."""
    due = cycle.opened_at + timedelta(hours=hours)
    for objection in cycle.objections:
        if objection.get("outcome") == "rejected":
            due = resume_after_objection(due_at=due, lodged_at=parse_datetime(objection["lodged_at"]),
                                         decided_at=parse_datetime(objection["decided_at"]), hours=hours,
                                         rule=cycle.objection_rule).due_at
    return due


def measure_commitments(commitments, *, start: datetime, end: datetime | None = None) -> dict[int, CommitmentMeasure]:
    """The measure of every measurable commitment given, in one query whatever their number.

    A cycle counts for a commitment when its case is on the commitment's platform and in its category and it
    was opened in the period. It is judged by `verdict` (the rule of the compliance share) against the deadline
    the commitment's hours give it (`deadline_for`); the commitment has no sweeper, so its deadline counts as
    missed as soon as it passes with no action.
    """
    measured = [c for c in commitments if c.is_measured]
    if not measured:
        return {}
    now = clock.now()
    cells = Q()
    for c in measured:
        cells |= Q(case__platform_id=c.platform_id, case__category=c.measured_category)
    cycles = SubmissionCycle.objects.filter(cells, opened_at__gte=start).select_related(None)
    if end is not None:
        cycles = cycles.filter(opened_at__lt=end)
    cycles = list(cycles.annotate(platform_id=F("case__platform_id"), category=F("case__category")).only(
        "opened_at", "actioned_at", "objection_pending", "objected_at", "objections", "objection_rule", "outcome",
        "closed_at"))
    out = {}
    for c in measured:
        tally = Counter()
        for cycle in cycles:
            if (cycle.platform_id, cycle.category) != (c.platform_id, c.measured_category):
                continue
            judged = judge(cycle, deadline_for(cycle, c.target_hours), now)
            if judged != VOID:
                tally[judged] += 1
        out[c.pk] = CommitmentMeasure(cases=sum(tally.values()), met=tally[MET], missed=tally[MISSED],
                                      pending=tally[None], objection_pending=tally[PENDING])
    return out


VOID = "void"


def judge(cycle: SubmissionCycle, due, now) -> str | None:
    """`cases.core.recorders.rollups.verdict` with the deadline passing in place of the sweeper's mark: met, missed,
    a pending objection lodged in time (PENDING), VOID (ended by the ministry in time, with no action), or None
    (inside the deadline, not decided yet)."""
    if cycle.actioned_at is not None:
        return MET if cycle.actioned_at <= due else MISSED
    if cycle.objection_pending:
        return PENDING if cycle.objected_at <= due else MISSED
    if cycle.outcome:
        stopped = parse_datetime(cycle.objections[-1]["lodged_at"]) if cycle.outcome == CycleOutcome.UPHELD \
            else cycle.closed_at
        return MISSED if stopped > due else VOID
    return MISSED if now > due else None
