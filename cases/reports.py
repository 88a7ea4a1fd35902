"""Figures for dashboards, scorecards and (later) the reporting API.

Every function takes an already scoped queryset (`Case.objects.visible_to(user)`), so who-sees-what is
decided once, by the caller, through the one scoping rule. Each runs a fixed number of queries whatever
the data size.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Case as CaseWhen
from django.db.models import CharField, Count, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases import clock
from cases.choices import AWAITING_ACTION_STATUSES, CaseStatus

DUE_SOON = timedelta(hours=1)


class DeadlineState:
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    LATE = "late"
    CHOICES = (
        (ON_TIME, "on time"),
        (DUE_SOON, "due within 1 h"),
        (OVERDUE, "overdue"),
        (LATE, "late"),
    )


def deadline_state_q(state: str, now: datetime | None = None) -> Q:
    """The filter for one deadline state; the list filter and the dashboards share it."""
    now = now or clock.now()
    awaiting = Q(status__in=AWAITING_ACTION_STATUSES)
    if state == DeadlineState.OVERDUE:
        return awaiting & Q(due_at__lte=now)
    if state == DeadlineState.DUE_SOON:
        return awaiting & Q(due_at__gt=now, due_at__lte=now + DUE_SOON)
    if state == DeadlineState.ON_TIME:
        return awaiting & Q(due_at__gt=now + DUE_SOON)
    if state == DeadlineState.LATE:
        return Q(is_late=True)
    raise ValueError(state)


def deadline_state_expression(now: datetime | None = None) -> CaseWhen:
    now = now or clock.now()
    return CaseWhen(
        *(When(deadline_state_q(s, now), then=Value(s)) for s in
          (DeadlineState.OVERDUE, DeadlineState.DUE_SOON, DeadlineState.ON_TIME, DeadlineState.LATE)),
        default=Value(""),
        output_field=CharField(),
    )


@dataclass(frozen=True)
class PlatformOpen:
    platform: str
    overdue: int
    due_soon: int
    on_time: int
    with_ministry: int  # actioned or objected: the ministry's move

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon + self.on_time + self.with_ministry


def open_by_platform(cases: QuerySet) -> list[PlatformOpen]:
    now = clock.now()
    rows = (
        cases.filter(status__in=[*AWAITING_ACTION_STATUSES, CaseStatus.ACTIONED, CaseStatus.OBJECTED])
        .values("platform__name")
        .annotate(
            overdue=Count("id", filter=deadline_state_q(DeadlineState.OVERDUE, now)),
            due_soon=Count("id", filter=deadline_state_q(DeadlineState.DUE_SOON, now)),
            on_time=Count("id", filter=deadline_state_q(DeadlineState.ON_TIME, now)),
            with_ministry=Count("id", filter=Q(status__in=[CaseStatus.ACTIONED, CaseStatus.OBJECTED])),
        )
        .order_by("platform__name")
    )
    return [PlatformOpen(r["platform__name"], r["overdue"], r["due_soon"], r["on_time"], r["with_ministry"])
            for r in rows]


@dataclass(frozen=True)
class Compliance:
    platform: str
    received: int
    acknowledged: int
    actioned: int
    on_time: int
    overdue_now: int
    objected: int
    withdrawn: int

    @property
    def decided(self) -> int:
        """Cases whose outcome against the deadline is known: actioned, or overdue without action."""
        return self.actioned + self.overdue_now

    @property
    def on_time_share(self) -> float | None:
        return round(self.on_time / self.decided, 4) if self.decided else None


def compliance_by_platform(cases: QuerySet, *, since: datetime) -> list[Compliance]:
    """Per platform, for cases submitted since `since`: what happened, and how much of it within the deadline."""
    now = clock.now()
    rows = (
        cases.filter(submitted_at__gte=since)
        .values("platform__name")
        .annotate(
            received=Count("id"),
            acknowledged=Count("id", filter=Q(acknowledged_at__isnull=False)),
            actioned=Count("id", filter=Q(actioned_at__isnull=False)),
            on_time=Count("id", filter=Q(actioned_at__isnull=False, is_late=False)),
            overdue_now=Count("id", filter=deadline_state_q(DeadlineState.OVERDUE, now)),
            objected=Count("id", filter=Q(objected_at__isnull=False)),
            withdrawn=Count("id", filter=Q(status=CaseStatus.WITHDRAWN)),
        )
        .order_by("platform__name")
    )
    return [Compliance(r["platform__name"], r["received"], r["acknowledged"], r["actioned"], r["on_time"],
                       r["overdue_now"], r["objected"], r["withdrawn"]) for r in rows]


@dataclass(frozen=True)
class Day:
    day: date
    received: int
    actioned: int
    overdue: int


def daily_series(cases: QuerySet, *, days: int = 90) -> list[Day]:
    """Received, actioned and newly overdue per Jakarta calendar day: three grouped queries."""
    tz = timezone.get_current_timezone()
    today = timezone.localdate(clock.now())
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first, datetime.min.time()), tz)

    def per_day(field: str) -> dict[date, int]:
        return dict(
            cases.filter(**{f"{field}__gte": start})
            .annotate(d=TruncDate(field, tzinfo=tz))
            .values("d")
            .annotate(n=Count("id"))
            .values_list("d", "n")
        )

    received, actioned, overdue = per_day("submitted_at"), per_day("actioned_at"), per_day("overdue_at")
    return [
        Day(d, received.get(d, 0), actioned.get(d, 0), overdue.get(d, 0))
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def overdue_list(cases: QuerySet, *, limit: int = 15) -> list:
    now = clock.now()
    return list(
        cases.filter(deadline_state_q(DeadlineState.OVERDUE, now))
        .select_related("platform", "assigned_to")
        .order_by("due_at")[:limit]
    )


def humanize_delta(delta: timedelta) -> str:
    """'3 h 20 min', '2 d 4 h': compact, for deadline columns."""
    minutes = int(abs(delta).total_seconds() // 60)
    d, rem = divmod(minutes, 24 * 60)
    h, m = divmod(rem, 60)
    if d:
        return f"{d} d {h} h"
    if h:
        return f"{h} h {m} min"
    return f"{m} min"
