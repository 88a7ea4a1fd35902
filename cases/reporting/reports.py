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
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.choices import AWAITING_ACTION_STATUSES

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


def day_bounds(first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """[start, end) of the Jakarta days `first` to `last`, both included; a missing day leaves that end open."""
    return (day_start(first) if first else None,
            day_start(last + timedelta(days=1)) if last else None)


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


# --- one case's deadline ------------------------------------------------------------------------------------
# docs/reports.md, "One case's deadline". Every screen that shows where a case stands against its deadline (the
# lists' column, the case page's header in both consoles, the dashboards' overdue list, the API's
# `deadline_state`, a sanction's grounds) reads it here; the lists' `deadline_state` filter is `deadline_state_q`,
# the same rule in SQL (tests/test_deadline_picture.py holds the two equal).


@dataclass(frozen=True)
class DeadlinePicture:
    """Where one case stands against its deadline, at `now`."""

    state: str  # a DeadlineState value, or "" (not awaiting the platform and not late), as `deadline_state_q`
    now: datetime
    status: str
    due_at: datetime | None  # the deadline in force: the current cycle's
    actioned_at: datetime | None
    missed: bool  # the current cycle's deadline was missed (`missed_deadline`)
    # Known only when the cycles were read (`history=True`):
    moved_from: datetime | None = None  # the deadline a rejected objection (lodged in time) moved to `due_at`
    earlier_missed: tuple = ()  # the deadlines earlier cycles missed, oldest first (they stay missed)

    @property
    def late(self) -> bool:
        """The action was reported after the deadline: the one "late" mark."""
        return self.state == DeadlineState.LATE

    @property
    def clock_stopped(self) -> bool:
        from cases.core.choices import CaseStatus

        return self.status == CaseStatus.OBJECTED

    @property
    def time_left(self) -> timedelta | None:
        """Until the deadline (negative: passed, not yet marked), while awaiting the platform and not overdue."""
        if self.state in (DeadlineState.ON_TIME, DeadlineState.DUE_SOON) and self.due_at:
            return self.due_at - self.now
        return None

    @property
    def late_by(self) -> timedelta | None:
        """How far past the deadline: overdue, until now; late, until the action was reported."""
        if self.state == DeadlineState.OVERDUE and self.due_at:
            return max(self.now - self.due_at, timedelta(0))
        if self.state == DeadlineState.LATE and self.due_at and self.actioned_at:
            return max(self.actioned_at - self.due_at, timedelta(0))
        return None

    @property
    def tone(self) -> str:
        """The badge's colour (a `.patuh-badge.tone-*` class)."""
        if self.state == DeadlineState.OVERDUE:
            return "red"
        if self.state == DeadlineState.DUE_SOON:
            return "amber"
        if self.state == DeadlineState.ON_TIME:
            return "blue"
        if self.state == DeadlineState.LATE:
            return "brown"
        return "grey" if self.clock_stopped else ""

    @property
    def text(self) -> str:
        """The badge's words: "overdue by 2 h 5 min", "3 h left", "due now", "late", "clock stopped", or "—"."""
        from django.utils.translation import gettext

        if self.state == DeadlineState.OVERDUE:
            return gettext("overdue by %(t)s") % {"t": humanize_delta(self.late_by)}
        if self.time_left is not None:
            if self.time_left.total_seconds() <= 0:
                return gettext("due now")
            return gettext("%(t)s left") % {"t": humanize_delta(self.time_left)}
        if self.state == DeadlineState.LATE:
            return gettext("late")
        if self.clock_stopped:
            return gettext("clock stopped")
        return "—"


def deadline_picture(case, now: datetime | None = None, *, history: bool = False) -> DeadlinePicture:
    """Where `case` stands against its deadline at `now` (default: the clock's now).

    `state` is `deadline_state_q`'s rule, row by row: awaiting the platform (submitted or acknowledged) and
    marked overdue by the sweeper: overdue; awaiting, not marked, deadline within the hour (or passed in the last
    minute, before the sweeper ran): due_soon; awaiting, deadline further away: on_time; otherwise the action
    came late: late; otherwise "". No query, unless `history`: then one, for the cycles (the earlier missed
    deadlines, and whether a rejected objection moved the current one).
    """
    now = now or clock.now()
    awaiting = case.status in AWAITING_ACTION_STATUSES
    if awaiting and case.overdue_at is not None:
        state = DeadlineState.OVERDUE
    elif awaiting and case.due_at is not None and case.due_at <= now + DUE_SOON:
        state = DeadlineState.DUE_SOON
    elif awaiting and case.due_at is not None:
        state = DeadlineState.ON_TIME
    elif case.is_late:
        state = DeadlineState.LATE
    else:
        state = ""
    found = {}
    if history:
        found = _deadline_history(case)
    return DeadlinePicture(state=state, now=now, status=case.status, due_at=case.due_at,
                           actioned_at=case.actioned_at, missed=missed_deadline(case), **found)


def missed_deadline(row) -> bool:
    """A case's (or a submission cycle's) deadline was missed: the sweeper marked it overdue, or the action came
    late. Once true for a cycle it stays true (docs/reports.md: a missed deadline stays missed)."""
    return bool(row.overdue_at or row.is_late)


def _deadline_history(case) -> dict:
    """From the case's stored cycles: the earlier cycles' missed deadlines and the deadline a rejected objection
    moved."""
    from django.utils.dateparse import parse_datetime

    from cases.models import SubmissionCycle

    if case.pk is None or not case.submission_count:
        return {}
    cycles = list(SubmissionCycle.objects.filter(case_id=case.pk).order_by("number"))
    earlier = tuple(c.due_at for c in cycles if c.number < case.submission_count and missed_deadline(c))
    current = next((c for c in cycles if c.number == case.submission_count), None)
    moved_from = None
    if current is not None:
        deadline = current.first_due_at
        for objection in current.objections:
            if objection.get("outcome") == "rejected" and objection.get("resumed") in ("remaining", "fresh"):
                moved_to = parse_datetime(objection["due_at"]) if objection.get("due_at") else None
                if moved_to is not None and moved_to != deadline:
                    moved_from, deadline = deadline, moved_to
    return {"moved_from": moved_from, "earlier_missed": earlier}


@dataclass(frozen=True)
class PlatformOpen:
    platform: str
    overdue: int
    due_soon: int
    on_time: int
    with_ministry: int  # actioned or objected: the ministry's move
    objected: int = 0  # of which objected
    slug: str = ""  # the platform's slug, for links to its lists

    @property
    def total(self) -> int:
        return self.overdue + self.due_soon + self.on_time + self.with_ministry


def open_by_platform(scope: "ReportScope") -> list[PlatformOpen]:
    """Open orders by platform and where they stand, in `scope`: the stored counts (`OpenRollup`, one row per
    platform, category and tier), with the awaiting ones due within the hour counted live (the partial index
    `case_awaiting_unmarked_due`) and taken from "on time". Two queries, whatever the number of open cases."""
    from cases.models import Case, OpenRollup

    now = clock.now()
    stored = (scope.of(OpenRollup).values("platform_id", "platform__name", "platform__slug")
              .annotate(awaiting=Sum("awaiting"), overdue=Sum("overdue"), actioned=Sum("actioned"),
                        objected=Sum("objected")))
    stored = sorted(stored, key=lambda r: r["platform__name"])
    # The awaiting cases of the platforms in scope (the rollup rows' platforms, already scoped): awaiting cases are
    # submitted ones, so this is what `scope.of(Case)` would give, without the liaison scope's `submitted_at`
    # test that keeps PostgreSQL off the partial index `case_awaiting_unmarked_due` (560 ms -> 10 ms at 10M).
    awaiting = Case.objects.filter(platform_id__in=[r["platform_id"] for r in stored])
    if scope.categories:
        awaiting = awaiting.filter(category__in=scope.categories)
    if scope.tier:
        awaiting = awaiting.filter(tier=scope.tier)
    due_soon = dict(awaiting.filter(deadline_state_q(DeadlineState.DUE_SOON, now))
                    .values("platform_id").annotate(n=Count("id")).values_list("platform_id", "n"))
    rows = []
    for r in stored:
        soon = due_soon.get(r["platform_id"], 0)
        if not (r["awaiting"] or r["overdue"] or r["actioned"] or r["objected"]):
            continue
        rows.append(PlatformOpen(r["platform__name"], overdue=r["overdue"], due_soon=soon,
                                 on_time=r["awaiting"] - soon, with_ministry=r["actioned"] + r["objected"],
                                 objected=r["objected"], slug=r["platform__slug"]))
    return rows


# The counts of a compliance report, in their order (docs/reports.md defines each).
COUNTS = ("received", "orders", "acknowledged", "actioned", "on_time", "missed", "objection_pending", "objected",
          "withdrawn", "open", "overdue_now")
DEFINITIONS_VERSION = "2026-12"  # docs/reports.md's version; a published report records it


@dataclass(frozen=True)
class Day:
    day: date
    received: int
    actioned: int
    overdue: int


def overdue_list(cases: QuerySet, *, limit: int = 15) -> list[tuple]:
    """The dashboards' overdue list: the `limit` longest overdue cases of `cases`, each with its deadline picture."""
    now = clock.now()
    rows = (cases.filter(deadline_state_q(DeadlineState.OVERDUE, now))
            .select_related("platform", "assigned_to").order_by("due_at")[:limit])
    return [(case, deadline_picture(case, now)) for case in rows]


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
# The definitions are in docs/reports.md. Durations are whole minutes from the opening of a cycle, and a
# percentile is percentile_cont's over those minutes, computed from minute histograms (exact).

PERCENTILES = {"median": 0.5, "p90": 0.9}
DURATIONS = {
    "ack": "acknowledged_at",  # time to acknowledge, from the cycle's opening
    "action": "actioned_at",  # time to act: until the action was reported
}


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


def minutes_as_hours(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 4)


def _as_hours(row: dict) -> dict:
    return {f"{name}_{label}_hours": minutes_as_hours(row.get(f"{name}_{label}"))
            for name in DURATIONS for label in PERCENTILES}


EMPTY_DURATIONS = _as_hours({})


def decided(figures: dict) -> int:
    """Cycles whose outcome against the deadline is known: met or missed."""
    return figures["on_time"] + figures["missed"]


def on_time_share(figures: dict) -> float | None:
    """on_time / (on_time + missed), None when nothing is decided yet."""
    n = decided(figures)
    return round(figures["on_time"] / n, 4) if n else None


def _figures(counts: dict, durations: dict | None, *, with_durations: bool = True) -> dict:
    figures = {k: counts.get(k, 0) for k in COUNTS}
    figures["on_time_share"] = on_time_share(figures)
    return {**figures, **(durations or EMPTY_DURATIONS)} if with_durations else figures


# The groupings of a compliance report's durations: per platform, per platform and category, in total.
DURATION_GROUPINGS = [("platform__slug",), ("platform__slug", "category"), ()]


def _assemble(counted: list[dict], found: list[dict] | None) -> dict:
    """A compliance report from its counts per (platform, category) and, unless None, its durations per
    `DURATION_GROUPINGS`."""
    by_platform, by_category, overall = found if found is not None else ({}, {}, {})

    def figures(counts: dict, durations: dict | None) -> dict:
        return _figures(counts, durations, with_durations=found is not None)

    platforms: dict[str, dict] = {}
    totals = dict.fromkeys(COUNTS, 0)
    for row in counted:
        slug = row["platform__slug"]
        entry = platforms.setdefault(slug, {"platform": slug, "platform_name": row["platform__name"],
                                            "counts": dict.fromkeys(COUNTS, 0), "categories": []})
        for f in COUNTS:
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


def sanction_counts(sanctions: QuerySet, *, start: datetime | None = None, end: datetime | None = None,
                    counted_by: str = "proposed") -> list[dict]:
    """Sanctions by platform, level and status (`sanctions` already scoped), of those proposed (or issued,
    `counted_by="issued"`) in [start, end)."""
    field = "issued_at" if counted_by == "issued" else "proposed_at"
    if start is not None:
        sanctions = sanctions.filter(**{f"{field}__gte": start})
    if end is not None:
        sanctions = sanctions.filter(**{f"{field}__lt": end})
    if counted_by == "issued":
        sanctions = sanctions.filter(issued_at__isnull=False)
    rows = (
        sanctions.values("platform__slug", "level", "status")
        .annotate(count=Count("id"))
        .order_by("platform__slug", "level", "status")
    )
    return [{"platform": r["platform__slug"], "level": r["level"], "status": r["status"], "count": r["count"],
             "counted_by": counted_by} for r in rows]


def commitment_figures(commitments: QuerySet, *, start: datetime, end: datetime | None = None) -> list[dict]:
    """Every commitment given (already scoped), its status, and its measure from the cycles where measurable."""
    from cases.commitments.selectors import measure_commitments

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
            "missed": m.missed if m else None, "pending": m.pending if m else None,
            "objection_pending": m.objection_pending if m else None, "share": m.share if m else None,
        })
    return out


# --- from the rollups --------------------------------------------------------------------------------------
# What the screens and the API read. The counts come from `CaseRollup` (per Jakarta day, platform,
# category and tier), kept by `cases.core.recorders.rollups` in the transaction of every change, so a report
# sums a few hundred rows per platform and year instead of counting the cycles. tests/test_reports_reference.py
# holds every figure equal to a reference that replays the case events.


@dataclass(frozen=True)
class ReportScope:
    """Whose figures a report counts: a user's scope (the one scoping rule, `visible_to`), narrowed to
    some platforms, categories and a tier. The cases and the rollup tables are keyed by platform,
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

    def platform_list(self) -> list:
        """The platforms in scope, by slug: the rows of a dense report (a quiet platform gets its zeros)."""
        from cases.models import Platform

        if self.everyone:
            qs = Platform.objects.all()
        elif self.user is None:
            qs = Platform.objects.none()
        else:
            qs = Platform.objects.visible_to(self.user)
        if self.platforms:
            qs = qs.filter(pk__in=[getattr(p, "pk", p) for p in self.platforms])
        return list(qs.order_by("slug").values_list("slug", flat=True))


def _days(rows: QuerySet, first: date | None, last: date | None) -> QuerySet:
    if first is not None:
        rows = rows.filter(day__gte=first)
    if last is not None:
        rows = rows.filter(day__lte=last)
    return rows


def compliance_report(scope: ReportScope, *, first: date | None = None, last: date | None = None,
                      durations: bool = True) -> dict:
    """The compliance report of docs/reports.md for the Jakarta days [first, last] (None: unbounded).

    The API's report, the consoles' dashboards, the platform scorecard and the published reports all read
    their figures here. The counts: one grouped query over `CaseRollup`. The median and p90 hours
    (`durations`): `period_durations`.
    """
    from cases.models import CaseRollup

    keys = ("platform__slug", "platform__name", "category")
    counted = list(
        _days(scope.of(CaseRollup), first, last).values(*keys)
        .annotate(**{f: Sum(f) for f in COUNTS}).exclude(**{f: 0 for f in COUNTS}).order_by(*keys)
    )
    found = (period_durations(scope, first, last) if counted else ({}, {}, {})) if durations else None
    return _assemble(counted, found)


def period_durations(scope: ReportScope, first: date | None, last: date | None) -> list[dict]:
    """The median and p90 hours of a compliance report, per `DURATION_GROUPINGS`, exact, from whichever minute
    histogram holds the period's cycles already summed:
    - all history (no bound, or bounds around every day with an order in scope): `DurationRollup`;
    - a standard window (the last 30 or 90 days, today included): `WindowHistogram`;
    both read block by block (`cases.reporting.durations`): a few thousand rows whatever the size.
    Any other period sums the daily histograms of its days (`DurationHistogram`, `histogram_percentiles`)."""
    from cases.core.recorders.rollups import ensure_window
    from cases.models import CaseRollup, DurationHistogram, DurationRollup, WindowHistogram
    from cases.reporting.durations import block_percentiles

    today = timezone.localdate(clock.now())
    covers_all = first is None and last is None
    if not covers_all:
        span = scope.of(CaseRollup).filter(orders__gt=0).aggregate(first=Min("day"), last=Max("day"))
        covers_all = span["first"] is None or (
            (first is None or first <= span["first"]) and (last is None or last >= span["last"]))
    if covers_all:
        return _in_hours(block_percentiles(scope.of(DurationRollup)))
    days = (last - first).days + 1 if first is not None and last is not None else 0
    if last == today and ensure_window(days, today) and _window_readable(days, today):
        window = scope.of(WindowHistogram).filter(days=days, as_of=today)
        return _in_hours(block_percentiles(window))
    return histogram_percentiles(_days(scope.of(DurationHistogram), first, last))


def _window_readable(days: int, as_of: date) -> bool:
    """Whether the database the reports read (a replica, inside `replica_reads()`) has the window yet."""
    from django.db import router

    from cases.models import HistogramWindow

    alias = router.db_for_read(HistogramWindow)
    return alias == "default" or HistogramWindow.objects.using(alias).filter(days=days, as_of=as_of).exists()


def _in_hours(found: list[dict]) -> list[dict]:
    return [{key: _as_hours(minutes) for key, minutes in per_group.items()} for per_group in found]


def histogram_percentiles(base: QuerySet) -> list[dict]:
    """percentile_cont over whole minutes, per `DURATION_GROUPINGS`, from minute histogram rows (`base`:
    rows with platform, category, kind, minute and n).

    One query per grouping: the database merges the rows' counts per minute, numbers them cumulatively and
    returns only the minutes where a median or p90 lands (a few per group), not the histogram.
    """
    from cases.models import Platform

    base_sql, params = (base.values("platform_id", "category", "kind", "minute", "n")
                        .order_by().query.sql_with_params())
    postgres = connection.vendor == "postgresql"
    real = "double precision" if postgres else "REAL"  # counts summed as floats: exact below 2**53, and cheap
    near = " OR ".join(f"(cum - n <= {f!r} * (total - 1) + 1 AND cum - 1 >= {f!r} * (total - 1) - 1)"
                       for f in PERCENTILES.values())
    # (level, the group's columns, what the level reports as platform and category): by platform, overall,
    # by platform and category.
    levels = ((0, "platform_id", "platform_id, ''"), (2, "", "0, ''"),
              (1, "platform_id, category", "platform_id, category"))
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL work_mem = '32MB'")
        for lvl, group, shown in levels:
            keys = f"{group}, kind" if group else "kind"
            sql = f"""
                SELECT {lvl}, {shown}, kind, cum, n, minute, total FROM (
                    SELECT {keys}, n, minute,
                           SUM(CAST(n AS {real})) OVER (PARTITION BY {keys} ORDER BY minute) AS cum,
                           SUM(CAST(n AS {real})) OVER (PARTITION BY {keys}) AS total
                    FROM (SELECT {keys}, minute, SUM(n) AS n
                          FROM ({base_sql}) AS b GROUP BY {keys}, minute) AS merged
                    WHERE n > 0
                ) AS ranked WHERE {near}"""  # noqa: S608 - built from the ORM's own SQL and constants
            cursor.execute(sql, [*params])
            rows.extend(cursor.fetchall())
    # grouping -> group -> kind -> (total, [(cumulative count, count, minute)])
    found: list[dict] = [{} for _g in DURATION_GROUPINGS]
    slugs = dict(Platform.objects.filter(pk__in={r[1] for r in rows}).values_list("pk", "slug")) if rows else {}
    for lvl, platform_id, category, kind, cum, n, minute, total in rows:
        slug = slugs.get(platform_id, "")
        key = ((slug,), (slug, category), ())[lvl]
        found[lvl].setdefault(key, {}).setdefault(kind, (int(total), []))[1].append((int(cum), int(n), int(minute)))
    return [
        {key: _as_hours({f"{kind}_{label}": histogram_percentile(*by_kind[kind], fraction) if kind in by_kind else None
                         for kind in DURATIONS for label, fraction in PERCENTILES.items()})
         for key, by_kind in per_group.items()}
        for per_group in found
    ]


def histogram_percentile(n: int, buckets: list[tuple[int, int, int]], fraction: float) -> float | None:
    """`percentile_cont` over `n` whole-minute values held in histogram buckets [(cumulative count, count,
    minute)] (at least those where the percentile lands), in minutes."""
    if not n:
        return None
    position = fraction * (n - 1)
    low, high = math.floor(position), math.ceil(position)

    def value(rank: int) -> int:
        return next(minute for cum, count, minute in buckets if cum - count <= rank < cum)

    if low == high:
        return value(low)
    return value(low) + (value(high) - value(low)) * (position - low)


def daily_series(scope: ReportScope, *, days: int = 90) -> list[Day]:
    """Received, actioned and newly overdue per Jakarta calendar day, the `days` days ending today: one
    grouped query over the rollups."""
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


DAILY_FIGURES = {"received": "received", "orders": "orders", "objected": "objected", "actioned": "actioned_on_day",
                 "overdue": "overdue_on_day", "late": "late_on_day"}


def daily_by_platform(scope: ReportScope, *, first: date, last: date) -> list[dict]:
    """Per platform in scope per Jakarta day in [first, last], zeros included: received (cases first sent),
    orders (cycles opened), objections lodged, actions reported, deadlines missed, actions reported late.
    One grouped query over the rollups, one for the platforms."""
    from cases.models import CaseRollup

    rows = {
        (r["platform__slug"], r["day"]): r
        for r in _days(scope.of(CaseRollup), first, last).values("platform__slug", "day")
        .annotate(**{name: Sum(column) for name, column in DAILY_FIGURES.items()}).order_by()
    }
    slugs = scope.platform_list()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [
        {"day": d, "platform": slug, **{name: rows.get((slug, d), {}).get(name, 0) for name in DAILY_FIGURES}}
        for slug in slugs for d in days
    ]


TRANSPARENCY_FIGURES = {"received": "received", "orders": "orders", "actioned": "actioned",
                        "actioned_on_time": "on_time", "missed": "missed", "objected": "objected",
                        "withdrawn": "withdrawn"}


def transparency_counts(scope: ReportScope, *, first: date | None = None, last: date | None = None) -> list[dict]:
    """The public report: per platform, category and Jakarta month, counts only, for the days [first, last]
    (each count as docs/reports.md defines it). No URL, handle, reference or evidence ever leaves through
    here. One grouped query over the rollups."""
    from cases.models import CaseRollup

    rows = (
        _days(scope.of(CaseRollup), first, last).annotate(month=TruncMonth("day"))
        .values("platform__name", "category", "month")
        .annotate(**{name: Sum(column) for name, column in TRANSPARENCY_FIGURES.items()})
        .exclude(**{name: 0 for name in TRANSPARENCY_FIGURES})
        .order_by("month", "platform__name", "category")
    )
    return [
        {"month": f"{r['month']:%Y-%m}", "platform": r["platform__name"], "category": r["category"],
         **{name: r[name] for name in TRANSPARENCY_FIGURES}}
        for r in rows
    ]
