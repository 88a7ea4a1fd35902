"""Figures for dashboards, scorecards and the reporting API.

Every function takes an already scoped queryset (`Case.objects.visible_to(user)`), so who-sees-what is
decided once, by the caller, through the one scoping rule. Each runs a fixed number of queries whatever
the data size.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Aggregate, CharField, Count, F, FloatField, Func, Max, Min, Q, QuerySet, Sum, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import clock
from cases.choices import AWAITING_ACTION_STATUSES, CLOSED_STATUSES, CaseStatus

DUE_SOON = timedelta(hours=1)

# --- periods: Jakarta calendar days -----------------------------------------------------------------
# Every period a report, a filter or a dashboard takes is a run of whole Jakarta days. Days outside this
# range are refused up front: nobody means them, and at the edges of the calendar the day's first instant
# (or the next day) overflows.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_day(day: date) -> date:
    """`day`, if reports and filters can take it; ValidationError otherwise (the one rule for both)."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(
            _("Give a day between %(first)s and %(last)s."),
            code="out_of_range", params={"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()},
        )
    return day


def day_start(day: date) -> datetime:
    """The first instant of a Jakarta calendar day."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) of the Jakarta days `first` to `last`, both included."""
    return day_start(first), day_start(last + timedelta(days=1))


def last_days(days: int, *, last: date | None = None) -> tuple[date, date]:
    """The `days` Jakarta days ending with `last` (default: today), today included: "the last 30 days"
    of the reports and of the consoles alike."""
    last = last or timezone.localdate(clock.now())
    return last - timedelta(days=days - 1), last


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
    """The filter for one deadline state; the list filter, the dashboards and the API share it.

    Overdue is the stored fact the sweeper wrote (`overdue_at`), not a fresh guess from `due_at`: every
    screen then agrees with the events and the sanction proposals. A deadline that passed in the last
    minute, before the sweeper ran, counts as "due within 1 h".
    """
    now = now or clock.now()
    awaiting = Q(status__in=AWAITING_ACTION_STATUSES)
    if state == DeadlineState.OVERDUE:
        return awaiting & Q(overdue_at__isnull=False)
    if state == DeadlineState.DUE_SOON:
        return awaiting & Q(overdue_at__isnull=True, due_at__lte=now + DUE_SOON)
    if state == DeadlineState.ON_TIME:
        return awaiting & Q(overdue_at__isnull=True, due_at__gt=now + DUE_SOON)
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
    objected: int = 0  # of which objected

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
            objected=Count("id", filter=Q(status=CaseStatus.OBJECTED)),
        )
        .order_by("platform__name")
    )
    return [PlatformOpen(r["platform__name"], r["overdue"], r["due_soon"], r["on_time"], r["with_ministry"],
                         r["objected"]) for r in rows]


def compliance_counts(now: datetime) -> dict:
    """The counts behind every compliance figure, as aggregates: the dashboards and the API share them."""
    return {
        "received": Count("id"),
        "acknowledged": Count("id", filter=Q(acknowledged_at__isnull=False)),
        "actioned": Count("id", filter=Q(actioned_at__isnull=False)),
        "on_time": Count("id", filter=Q(actioned_at__isnull=False, is_late=False)),
        "overdue_now": Count("id", filter=deadline_state_q(DeadlineState.OVERDUE, now)),
        "objected": Count("id", filter=Q(objected_at__isnull=False)),
        "withdrawn": Count("id", filter=Q(status=CaseStatus.WITHDRAWN)),
        "open": Count("id", filter=~Q(status__in=CLOSED_STATUSES)),
    }


@dataclass(frozen=True)
class Day:
    day: date
    received: int
    actioned: int
    overdue: int


def daily_series_from_cases(cases: QuerySet, *, days: int = 90) -> list[Day]:
    """Received, actioned and newly overdue per Jakarta calendar day: three grouped queries over the cases.

    The reference computation of `daily_series` (which reads the rollups), kept for the tests.
    """
    tz = timezone.get_current_timezone()
    first, _last = last_days(days)
    start = day_start(first)

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
    """'3 h 20 min', '2 d 4 h' (Indonesian: '3 jam 20 menit', '2 hari 4 jam'): compact, for deadline columns."""
    from django.utils.translation import gettext

    minutes = int(abs(delta).total_seconds() // 60)
    d, rem = divmod(minutes, 24 * 60)
    h, m = divmod(rem, 60)
    if d:
        return gettext("%(d)d d %(h)d h") % {"d": d, "h": h}
    if h:
        return gettext("%(h)d h %(m)d min") % {"h": h, "m": m}
    return gettext("%(m)d min") % {"m": m}


# --- the reporting API ------------------------------------------------------------------------------------
# Percentiles are computed by the database where it can: PostgreSQL's percentile_cont. SQLite has no
# ordered-set aggregates, so there the durations of each group are fetched and the same interpolation is
# done in Python (`percentile_cont`), giving the same figures.

PERCENTILES = {"median": 0.5, "p90": 0.9}
# (start, end) of each measured duration; both are fixed points kept on the case.
DURATIONS = {
    "ack": ("submitted_at", "acknowledged_at"),  # time to acknowledge
    "action": ("submitted_at", "actioned_at"),  # time to action (when the action was reported)
}


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY expr)`; NULLs are ignored."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        fraction = float(fraction)
        if not 0 <= fraction <= 1:
            raise ValueError(fraction)
        super().__init__(expression, fraction=repr(fraction), **extra)


class EpochSeconds(Func):
    """An interval in seconds, as double precision (PostgreSQL)."""

    template = "CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision)"
    output_field = FloatField()


def percentile_cont(values, fraction: float) -> float | None:
    """percentile_cont in Python, step for step as PostgreSQL computes it (linear interpolation)."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    first, second = math.floor(position), math.ceil(position)
    if first == second:
        return ordered[first]
    return ordered[first] + (ordered[second] - ordered[first]) * (position - first)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 4)


def duration_percentiles(cases: QuerySet, groupings: list[tuple[str, ...]]) -> list[dict[tuple, dict]]:
    """For each grouping (a tuple of field names; () for the whole set): {group values: {figure: hours}}.

    Figures are `<duration>_<percentile>_hours`, e.g. `ack_median_hours`, `action_p90_hours`.
    """
    # Only cases with a duration count (the percentiles ignore the others); this condition also lets
    # PostgreSQL read the covering partial index `case_durations` instead of the table.
    cases = cases.filter(Q(acknowledged_at__isnull=False) | Q(actioned_at__isnull=False))
    if connection.vendor == "postgresql":
        out = []
        aggregates = {
            f"{name}_{label}": PercentileCont(EpochSeconds(F(end) - F(start)), fraction)
            for name, (start, end) in DURATIONS.items() for label, fraction in PERCENTILES.items()
        }
        for group in groupings:
            if group:
                rows = cases.values(*group).annotate(**aggregates).order_by()
                out.append({tuple(r[g] for g in group): _as_hours(r) for r in rows})
            else:
                out.append({(): _as_hours(cases.aggregate(**aggregates))})
        return out
    # SQLite (and anything else): one fetch, grouped and interpolated in Python.
    fields = sorted({g for group in groupings for g in group})
    stamps = sorted({f for pair in DURATIONS.values() for f in pair})
    seconds: list[dict[tuple, dict[str, list[float]]]] = [{} for _g in groupings]
    rows = cases.values(*fields, *stamps)
    for row in rows.order_by().iterator(chunk_size=5000):
        for i, group in enumerate(groupings):
            bucket = seconds[i].setdefault(tuple(row[g] for g in group), {n: [] for n in DURATIONS})
            for name, (start, end) in DURATIONS.items():
                if row[start] is not None and row[end] is not None:
                    bucket[name].append((row[end] - row[start]).total_seconds())
    return [
        {key: _as_hours({f"{name}_{label}": percentile_cont(values[name], fraction)
                         for name in DURATIONS for label, fraction in PERCENTILES.items()})
         for key, values in per_group.items()}
        for per_group in seconds
    ]


def _as_hours(row: dict) -> dict:
    return {f"{name}_{label}_hours": _hours(row.get(f"{name}_{label}"))
            for name in DURATIONS for label in PERCENTILES}


EMPTY_DURATIONS = _as_hours({})


def decided(figures: dict) -> int:
    """Cases whose outcome against the deadline is known: actioned, or overdue without action."""
    return figures["actioned"] + figures["overdue_now"]


def on_time_share(figures: dict) -> float | None:
    """on_time / (actioned + overdue_now), None when nothing is decided yet."""
    n = decided(figures)
    return round(figures["on_time"] / n, 4) if n else None


def _figures(counts: dict, durations: dict | None, *, with_durations: bool = True) -> dict:
    figures = {k: counts.get(k, 0) for k in compliance_counts(clock.now())}
    figures["on_time_share"] = on_time_share(figures)
    return {**figures, **(durations or EMPTY_DURATIONS)} if with_durations else figures


def submitted_between(cases: QuerySet, start: datetime | None, end: datetime | None) -> QuerySet:
    """The cases submitted in [start, end): the cohort every period report counts."""
    cohort = cases.filter(submitted_at__isnull=False)
    if start is not None:
        cohort = cohort.filter(submitted_at__gte=start)
    if end is not None:
        cohort = cohort.filter(submitted_at__lt=end)
    return cohort


def compliance_report_from_cases(cases: QuerySet, *, start: datetime | None = None, end: datetime | None = None,
                                 durations: bool = True) -> dict:
    """The reference computation of `compliance_report`, counting the cases table itself.

    Per platform (and in total), for cases submitted in [start, end): received, acknowledged, actioned,
    objected, withdrawn, still open, overdue now, the share actioned within the deadline, and the median
    and p90 of the hours to acknowledge and to action; with a breakdown by category. `cases` is already
    scoped (`Case.objects.visible_to(user)`). Four grouped queries whatever the size, but each reads every
    case of the period: too slow at millions of cases. The screens and the API read `compliance_report`
    (the rollups); this stays as the definition the rollups are tested against (tests/test_rollups.py).
    """
    now = clock.now()
    cohort = submitted_between(cases, start, end)
    keys = ("platform__slug", "platform__name", "category")
    counted = list(cohort.values(*keys).annotate(**compliance_counts(now)).order_by(*keys))
    found = duration_percentiles(cohort, DURATION_GROUPINGS) if durations else None
    return _assemble(counted, found)


# The groupings of a compliance report's durations: per platform, per platform and category, in total.
DURATION_GROUPINGS = [("platform__slug",), ("platform__slug", "category"), ()]


def _assemble(counted: list[dict], found: list[dict] | None) -> dict:
    """A compliance report from its counts per (platform, category) and, unless None, its durations per
    `DURATION_GROUPINGS`."""
    by_platform, by_category, overall = found if found is not None else ({}, {}, {})

    def figures(counts: dict, durations: dict | None) -> dict:
        return _figures(counts, durations, with_durations=found is not None)

    count_fields = list(compliance_counts(clock.now()))
    platforms: dict[str, dict] = {}
    totals = dict.fromkeys(count_fields, 0)
    for row in counted:
        slug = row["platform__slug"]
        entry = platforms.setdefault(slug, {"platform": slug, "platform_name": row["platform__name"],
                                            "counts": dict.fromkeys(count_fields, 0), "categories": []})
        for f in count_fields:
            entry["counts"][f] += row[f]
            totals[f] += row[f]
        entry["categories"].append(
            {"category": row["category"], **figures(row, by_category.get((slug, row["category"])))})
    return {
        "platforms": [
            {"platform": e["platform"], "platform_name": e["platform_name"],
             **figures(e["counts"], by_platform.get((e["platform"],))), "categories": e["categories"]}
            for e in platforms.values()
        ],
        "total": figures(totals, overall.get(()) if counted else None),
    }


def daily_by_platform_from_cases(cases: QuerySet, *, first: date, last: date) -> list[dict]:
    """Per platform per Jakarta day in [first, last]: received, actioned, became overdue, actioned late.

    Dense over the days for every platform with any activity in the period. Three grouped queries over
    the cases: the reference computation of `daily_by_platform` (which reads the rollups).
    """
    tz = timezone.get_current_timezone()
    start, end = day_bounds(first, last)

    def per_day(field: str, **extra) -> dict[tuple[str, date], dict]:
        rows = (
            cases.filter(**{f"{field}__gte": start, f"{field}__lt": end})
            .annotate(d=TruncDate(field, tzinfo=tz))
            .values("platform__slug", "d")
            .annotate(n=Count("id"), **extra)
            .order_by()
        )
        return {(r["platform__slug"], r["d"]): r for r in rows}

    received = per_day("submitted_at")
    actioned = per_day("actioned_at", late=Count("id", filter=Q(is_late=True)))
    overdue = per_day("overdue_at")
    slugs = sorted({slug for slug, _d in (*received, *actioned, *overdue)})
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [
        {
            "day": d, "platform": slug,
            "received": received.get((slug, d), {}).get("n", 0),
            "actioned": actioned.get((slug, d), {}).get("n", 0),
            "overdue": overdue.get((slug, d), {}).get("n", 0),
            "late": actioned.get((slug, d), {}).get("late", 0),
        }
        for slug in slugs for d in days
    ]


def sanction_counts(sanctions: QuerySet) -> list[dict]:
    """Sanctions by platform, level and status (`sanctions` already scoped)."""
    rows = (
        sanctions.values("platform__slug", "level", "status")
        .annotate(count=Count("id"))
        .order_by("platform__slug", "level", "status")
    )
    return [{"platform": r["platform__slug"], "level": r["level"], "status": r["status"], "count": r["count"]}
            for r in rows]


def commitment_figures(commitments: QuerySet, *, start: datetime, end: datetime | None = None) -> list[dict]:
    """Every commitment given (already scoped), its status, and its measure from the cases where measurable."""
    from cases.selectors import measure_commitments

    rows = list(commitments.select_related("platform", "meeting").order_by("platform__slug", "id"))
    measures = measure_commitments(rows, start=start, end=end)
    out = []
    for c in rows:
        m = measures.get(c.pk)
        out.append({
            "id": c.pk, "platform": c.platform.slug, "meeting": c.meeting.title if c.meeting else "",
            "kind": c.kind, "text": c.text, "text_en": c.text_en, "status": c.status, "due_on": c.due_on,
            "measured": m is not None,
            "measured_category": c.measured_category or None, "target_hours": c.target_hours,
            "cases": m.cases if m else None, "decided": m.decided if m else None, "met": m.met if m else None,
            "pending": m.pending if m else None, "share": m.share if m else None,
        })
    return out


def transparency_counts_from_cases(cases: QuerySet, *, start: datetime | None = None,
                                   end: datetime | None = None) -> list[dict]:
    """The public report: per platform, category and Jakarta month, counts only. No URL, handle, reference
    or evidence ever leaves through here; drafts are not counted. The reference computation of
    `transparency_counts` (which reads the rollups)."""
    tz = timezone.get_current_timezone()
    qs = submitted_between(cases, start, end)
    rows = (
        qs.annotate(month=TruncMonth("submitted_at", tzinfo=tz))
        .values("platform__name", "category", "month")
        .annotate(
            received=Count("id"),
            actioned=Count("id", filter=Q(actioned_at__isnull=False)),
            actioned_on_time=Count("id", filter=Q(actioned_at__isnull=False, is_late=False)),
            objected=Count("id", filter=Q(objected_at__isnull=False)),
            withdrawn=Count("id", filter=Q(status=CaseStatus.WITHDRAWN)),
        )
        .order_by("month", "platform__name", "category")
    )
    return [
        {"month": f"{r['month']:%Y-%m}", "platform": r["platform__name"], "category": r["category"],
         **{k: r[k] for k in ("received", "actioned", "actioned_on_time", "objected", "withdrawn")}}
        for r in rows
    ]


# --- from the rollups --------------------------------------------------------------------------------------
# What the screens and the API read. The counts come from `CaseRollup` (per Jakarta day, platform,
# category and tier), kept by `cases.services.rollups` in the transaction of every change, so a report
# sums a few hundred rows per platform and year instead of counting the cases. Each function gives
# exactly what its `*_from_cases` reference gives for the same scope and days (tests/test_rollups.py).


@dataclass(frozen=True)
class ReportScope:
    """Whose figures a report counts: a user's scope (the one scoping rule, `visible_to`), narrowed to
    some platforms, categories and a tier. The cases and both rollup tables are keyed by platform,
    category and tier, so one scope applies to each alike (`of(model)`).

    `everyone=True` counts every platform, for the public transparency report and the platform pages.
    """

    user: object = None
    platforms: tuple = ()
    categories: tuple = ()
    tier: str = ""
    everyone: bool = False

    def of(self, model) -> QuerySet:
        if self.everyone:
            qs = model.objects.all()
        elif self.user is None:
            qs = model.objects.none()
        else:
            qs = model.objects.visible_to(self.user)
        if self.platforms:
            qs = qs.filter(platform__in=self.platforms)
        if self.categories:
            qs = qs.filter(category__in=self.categories)
        if self.tier:
            qs = qs.filter(tier=self.tier)
        return qs


def _days(rows: QuerySet, first: date | None, last: date | None) -> QuerySet:
    if first is not None:
        rows = rows.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    return rows


def _bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    return (day_start(first) if first else None), (day_start(last + timedelta(days=1)) if last else None)


def compliance_report(scope: ReportScope, *, first: date | None = None, last: date | None = None,
                      durations: bool = True) -> dict:
    """`compliance_report_from_cases` for the cases of `scope` submitted on the Jakarta days [first, last]
    (None: unbounded), from the rollups.

    The API's report, the consoles' dashboards and the platform scorecard all read their figures here.
    The counts: one grouped query over `CaseRollup`. The median and p90 hours (`durations`): see
    `period_durations`. Every count is a function of the cases' stored state: "overdue now" is the
    sweeper's stored mark on a case still awaiting action, so it is counted in the rollups too.
    """
    from cases.models import CaseRollup

    keys = ("platform__slug", "platform__name", "category")
    count_fields = list(compliance_counts(clock.now()))
    counted = list(
        _days(scope.of(CaseRollup), first, last).values(*keys)
        .annotate(**{f: Sum(f) for f in count_fields}).filter(received__gt=0).order_by(*keys)
    )
    found = (period_durations(scope, first, last) if counted else ({}, {}, {})) if durations else None
    return _assemble(counted, found)


def period_durations(scope: ReportScope, first: date | None, last: date | None) -> list[dict]:
    """The median and p90 hours of a compliance report, per `DURATION_GROUPINGS`.

    Exact percentiles cannot be summed from per-day rows, so:
    - a period that covers all history (every day with a submission in `scope`) reads the histogram
      `DurationRollup`: two queries whatever the size; a percentile lands in a one-minute bucket and
      takes the bucket's mean, exact when the bucket holds one value (or equal ones), otherwise off by less
      than a minute;
    - any other period is computed exactly from its cases (`duration_percentiles`, PostgreSQL's
      percentile_cont), read through the covering index `case_durations`: a month is ~200k cases at ten
      million, an index-only scan.
    """
    from cases.models import Case, CaseRollup

    if first is not None or last is not None:
        span = scope.of(CaseRollup).filter(received__gt=0).aggregate(first=Min("day"), last=Max("day"))
        covers_all = span["first"] is None or (
            (first is None or first <= span["first"]) and (last is None or last >= span["last"]))
    else:
        covers_all = True
    if covers_all:
        return histogram_percentiles(scope)
    return duration_percentiles(submitted_between(scope.of(Case), *_bounds(first, last)), DURATION_GROUPINGS)


def histogram_percentiles(scope: ReportScope) -> list[dict]:
    """`duration_percentiles` over all history, from the `DurationRollup` histogram (see `period_durations`).

    One query per grouping: the database merges the tiers' buckets, numbers them cumulatively and returns
    only the buckets where a median or p90 lands (a few per group), not the histogram.
    """
    from cases.models import DurationRollup, Platform

    base, params = (scope.of(DurationRollup).values("platform_id", "category", "kind", "minute", "n", "total_us")
                    .order_by().query.sql_with_params())
    postgres = connection.vendor == "postgresql"
    real = "double precision" if postgres else "REAL"  # counts summed as floats: exact below 2**53, and cheap
    near = " OR ".join(f"(cum - n <= {f!r} * (total - 1) + 1 AND cum - 1 >= {f!r} * (total - 1) - 1)"
                       for f in PERCENTILES.values())
    # (level, the group's columns, what the level reports as platform and category): by platform, overall,
    # by platform and category. Level 1 is most of the rows; read in the order of the index
    # `duration_rollup_merge`, it is grouped and numbered without a sort.
    levels = ((0, "platform_id", "platform_id, ''"), (2, "", "0, ''"),
              (1, "platform_id, category", "platform_id, category"))
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL work_mem = '32MB'")
        for lvl, group, shown in levels:
            keys = f"{group}, kind" if group else "kind"
            sql = f"""
                SELECT {lvl}, {shown}, kind, cum, n, t, total FROM (
                    SELECT {keys}, n, t,
                           SUM(CAST(n AS {real})) OVER (PARTITION BY {keys} ORDER BY minute) AS cum,
                           SUM(CAST(n AS {real})) OVER (PARTITION BY {keys}) AS total
                    FROM (SELECT {keys}, minute, SUM(n) AS n, SUM(total_us) AS t
                          FROM ({base}) AS b GROUP BY {keys}, minute) AS merged
                    WHERE n > 0
                ) AS ranked WHERE {near}"""  # noqa: S608 - built from the ORM's own SQL and constants
            if postgres and lvl == 1:
                # The planner guesses a tenth of the groups there are and would hash and sort them.
                cursor.execute("SET LOCAL enable_hashagg = off")
            cursor.execute(sql, [*params])
            rows.extend(cursor.fetchall())
    # grouping -> group -> kind -> (total, [(cumulative count, count, total microseconds)])
    found: list[dict] = [{} for _g in DURATION_GROUPINGS]
    slugs = dict(Platform.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "slug")) if rows else {}
    for lvl, platform_id, category, kind, cum, n, t, total in rows:
        slug = slugs.get(platform_id, "")
        key = ((slug,), (slug, category), ())[lvl]
        found[lvl].setdefault(key, {}).setdefault(kind, (int(total), []))[1].append((int(cum), int(n), int(t)))
    return [
        {key: _as_hours({f"{kind}_{label}": histogram_percentile(*by_kind[kind], fraction) if kind in by_kind else None
                         for kind in DURATIONS for label, fraction in PERCENTILES.items()})
         for key, by_kind in per_group.items()}
        for per_group in found
    ]


def histogram_percentile(n: int, buckets: list[tuple[int, int, int]], fraction: float) -> float | None:
    """`percentile_cont` over `n` values held in histogram buckets [(cumulative count, count, total
    microseconds)] (at least those where the percentile lands). Each value is taken as its bucket's mean,
    in seconds; the interpolation is percentile_cont's."""
    if not n:
        return None
    position = fraction * (n - 1)
    low, high = math.floor(position), math.ceil(position)

    def value(rank: int) -> float:
        count, total = next((count, total) for cum, count, total in buckets if cum - count <= rank < cum)
        return total / (count * 1_000_000)

    if low == high:
        return value(low)
    return value(low) + (value(high) - value(low)) * (position - low)


def daily_series(scope: ReportScope, *, days: int = 90) -> list[Day]:
    """Received, actioned and newly overdue per Jakarta calendar day, the `days` days ending today: one
    grouped query over the rollups (reference: `daily_series_from_cases`)."""
    from cases.models import CaseRollup

    first, _last = last_days(days)
    rows = {
        r["day"]: r for r in scope.of(CaseRollup).filter(day__gte=first).values("day").annotate(
            received=Sum("received"), actioned=Sum("actioned_on_day"), overdue=Sum("overdue_on_day")).order_by()
    }
    empty = {"received": 0, "actioned": 0, "overdue": 0}
    return [
        Day(d, rows.get(d, empty)["received"], rows.get(d, empty)["actioned"], rows.get(d, empty)["overdue"])
        for d in (first + timedelta(days=i) for i in range(days))
    ]


def daily_by_platform(scope: ReportScope, *, first: date, last: date) -> list[dict]:
    """Per platform per Jakarta day in [first, last]: received, actioned, became overdue, actioned late.

    Dense over the days for every platform with any activity in the period. One grouped query over the
    rollups (reference: `daily_by_platform_from_cases`).
    """
    from cases.models import CaseRollup

    figures = {"received": "received", "actioned": "actioned_on_day", "overdue": "overdue_on_day",
               "late": "late_on_day"}
    rows = {
        (r["platform__slug"], r["day"]): r
        for r in _days(scope.of(CaseRollup), first, last).values("platform__slug", "day")
        .annotate(**{name: Sum(column) for name, column in figures.items()}).order_by()
    }
    slugs = sorted({slug for (slug, _d), r in rows.items() if any(r[name] for name in figures)})
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [
        {"day": d, "platform": slug, **{name: rows.get((slug, d), {}).get(name, 0) for name in figures}}
        for slug in slugs for d in days
    ]


def transparency_counts(scope: ReportScope, *, first: date | None = None, last: date | None = None) -> list[dict]:
    """The public report: per platform, category and Jakarta month, counts only, for the cases submitted
    on the days [first, last]. No URL, handle, reference or evidence ever leaves through here; drafts are
    not counted. One grouped query over the rollups (reference: `transparency_counts_from_cases`)."""
    from cases.models import CaseRollup

    figures = {"received": "received", "actioned": "actioned", "actioned_on_time": "on_time",
               "objected": "objected", "withdrawn": "withdrawn"}
    rows = (
        _days(scope.of(CaseRollup), first, last).annotate(month=TruncMonth("day"))
        .values("platform__name", "category", "month")
        .annotate(**{name: Sum(column) for name, column in figures.items()})
        .filter(received__gt=0)
        .order_by("month", "platform__name", "category")
    )
    return [
        {"month": f"{r['month']:%Y-%m}", "platform": r["platform__name"], "category": r["category"],
         **{name: r[name] for name in figures}}
        for r in rows
    ]
