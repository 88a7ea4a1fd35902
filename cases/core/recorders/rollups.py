"""The one place that writes the rollup tables (`CaseRollup`, `DurationRollup`, `DurationHistogram`).

What they count is defined in docs/reports.md; every count is a function of a submission cycle's stored
facts, never of the current time, so it can be counted once, when the facts change.

Incremental: every writer of a cycle's counted facts takes a `snapshot()` of the cycle before and after its
change and calls `record_changes([(before, after), ...])` in the same transaction. The writers are
`workflow.transition` (every status change; a reopening closes one cycle and opens the next),
`workflow.BulkSubmission.record` (bulk submission) and `sweeper.mark_overdue` (the overdue mark). A change is
applied as deltas: what the old state contributed to each rollup row is taken out and what the new state
contributes is put in, with an upsert that adds to the stored counts (`INSERT ... ON CONFLICT DO UPDATE SET
n = n + EXCLUDED.n`, the same statement on PostgreSQL and SQLite). The database adds under the row lock, so
concurrent transitions never lose an increment; rows are written in key order, so two transactions never
wait on each other's rows in opposite orders.

Which rows a cycle counts in: the orders of the Jakarta day it was opened on (`received` too, for a first
submission), the days of its events (objections lodged, the action, the missed deadline), and its durations
in the all-history histogram and its opening day's histogram.

Set-based: `rebuild_rollups()` recomputes every table from the cycles with INSERT ... SELECT ... GROUP BY,
after a bulk load that wrote cases with SQL (`generate_load`) or to repair drift.
"""
# The SQL here is built from model metadata (quoted table and column names) and constants; every value
# travels as a query parameter.
# ruff: noqa: S608

from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime

from django.db import connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.core import clock
from cases.core.choices import CycleOutcome
from cases.models import (
    Case,
    CaseRollup,
    DurationHistogram,
    DurationRollup,
    HistogramWindow,
    OpenRollup,
    SubmissionCycle,
    WindowHistogram,
)

CASE_COUNTS = (*CaseRollup.COHORT_FIELDS, *CaseRollup.DAY_FIELDS)
DURATION_COUNTS = ("n",)
HISTOGRAM_COUNTS = ("n",)
OPEN_COUNTS = OpenRollup.COUNT_FIELDS
BLOCK_MINUTES = 32  # a histogram's block totals: minutes [32 b, 32 b + 31] are counted again at minute -(b + 1)
WINDOWS = (30, 90)  # the standard reporting windows kept summed (WindowHistogram): the last 30 and 90 days
# Each duration's end fact (its start is the cycle's opening), as DurationRollup kinds.
DURATION_ENDS = {DurationRollup.ACK: "acknowledged_at", DurationRollup.ACTION: "actioned_at"}
WITHDRAWN_OUTCOMES = (CycleOutcome.WITHDRAWN, CycleOutcome.UPHELD)

MET, MISSED, PENDING = "met", "missed", "pending"


@dataclass(frozen=True)
class CycleState:
    """The facts of a submission cycle the rollups count (with its case's platform, category and tier)."""

    platform_id: int
    category: str
    tier: str
    number: int
    opened_at: datetime
    due_at: datetime
    acknowledged_at: datetime | None
    actioned_at: datetime | None
    is_late: bool
    overdue_at: datetime | None
    objected_at: datetime | None  # the last objection lodged
    objection_pending: bool
    lodged: tuple[datetime, ...]  # every objection lodged, in order
    outcome: str


def snapshot(case: Case, cycle: SubmissionCycle | None) -> CycleState | None:
    if cycle is None:
        return None
    names = {f.name for f in fields(CycleState)} - {"platform_id", "category", "tier", "lodged"}
    return CycleState(
        platform_id=case.platform_id, category=case.category, tier=case.tier,
        lodged=tuple(parse_datetime(o["lodged_at"]) for o in cycle.objections),
        **{name: getattr(cycle, name) for name in names},
    )


def verdict(state: CycleState) -> str | None:
    """The cycle against its deadline (docs/reports.md, "Within the deadline"): met, missed, a pending objection
    lodged in time (neither, counted apart), or None (not decided yet, or ended in time without an action)."""
    if state.actioned_at is not None:
        return MISSED if state.is_late else MET
    if state.overdue_at is not None:
        return MISSED
    if state.objection_pending:
        return PENDING if state.objected_at <= state.due_at else MISSED
    return None


def open_standing(state: CycleState) -> str:
    """Where an open cycle stands (its `OpenRollup` column): objected and awaiting a decision, actioned and
    awaiting verification, or awaiting the platform, overdue or not. `_open_standing_sql` is the same rule."""
    if state.objection_pending:
        return "objected"
    if state.actioned_at is not None:
        return "actioned"
    return "overdue" if state.overdue_at is not None else "awaiting"


def jakarta_day(moment: datetime) -> date:
    """The reports' day: the calendar day in the current time zone (Asia/Jakarta)."""
    return timezone.localdate(moment)


def whole_minutes(start: datetime, end: datetime) -> int:
    """A duration in whole minutes, rounded down (docs/reports.md, "Durations")."""
    return int((end - start).total_seconds() // 60)


def block_key(minute: int) -> int:
    """The row that counts `minute` in its block's total."""
    return -(minute // BLOCK_MINUTES) - 1


def contributions(state: CycleState | None, *, today: date | None = None) -> dict[tuple, Counter]:
    """What one cycle in `state` adds to the rollups: {(model, key): Counter(column: n)}. `today` (the Jakarta
    day of the change) says which standard windows the cycle's opening day falls in."""
    out: dict[tuple, Counter] = defaultdict(Counter)
    if state is None:
        return out
    cell = (state.platform_id, state.category, state.tier)
    judged = verdict(state)
    opened = jakarta_day(state.opened_at)
    out[(CaseRollup, (opened, *cell))].update({
        "received": int(state.number == 1),
        "orders": 1,
        "acknowledged": int(state.acknowledged_at is not None),
        "actioned": int(state.actioned_at is not None),
        "on_time": int(judged == MET),
        "missed": int(judged == MISSED),
        "objection_pending": int(judged == PENDING),
        "overdue_now": int(state.overdue_at is not None and state.actioned_at is None and not state.outcome
                           and not state.objection_pending),
        "withdrawn": int(state.outcome in WITHDRAWN_OUTCOMES),
        "open": int(not state.outcome),
    })
    if not state.outcome:
        out[(OpenRollup, cell)].update({open_standing(state): 1})
    for lodged in state.lodged:
        out[(CaseRollup, (jakarta_day(lodged), *cell))].update({"objected": 1})
    if state.actioned_at is not None:
        out[(CaseRollup, (jakarta_day(state.actioned_at), *cell))].update(
            {"actioned_on_day": 1, "late_on_day": int(state.is_late)})
    if state.overdue_at is not None:
        out[(CaseRollup, (jakarta_day(state.overdue_at), *cell))].update({"overdue_on_day": 1})
    for kind, end_field in DURATION_ENDS.items():
        end = getattr(state, end_field)
        if end is None:
            continue
        minute = whole_minutes(state.opened_at, end)
        out[(DurationRollup, (*cell, kind, minute))].update({"n": 1})
        out[(DurationRollup, (*cell, kind, block_key(minute)))].update({"n": 1})
        out[(DurationHistogram, (opened, *cell, kind, minute))].update({"n": 1})
        for days in WINDOWS:
            if today is not None and 0 <= (today - opened).days < days:
                for key in (minute, block_key(minute)):
                    out[(WindowHistogram, (days, today, state.platform_id, state.category, kind, key, state.tier))
                        ].update({"n": 1})
    return out


def deltas(changes, *, today: date | None = None) -> dict[tuple, Counter]:
    """The net change of many (before, after) pairs; rows whose counts do not move are left out."""
    total: dict[tuple, Counter] = defaultdict(Counter)
    for before, after in changes:
        for row, counts in contributions(after, today=today).items():
            total[row].update(counts)
        for row, counts in contributions(before, today=today).items():
            total[row].subtract(counts)
    return {row: counts for row, counts in total.items() if any(counts.values())}


def record_change(before: CycleState | None, after: CycleState | None, *, using: str = "default") -> None:
    """Apply one cycle's change to the rollups. Call it inside the writer's transaction."""
    record_changes([(before, after)], using=using)


def record_changes(changes, *, using: str = "default") -> None:
    """Apply many cycles' changes (a reopening, bulk submission) as one upsert per table."""
    by_model: dict[type, list[tuple[tuple, Counter]]] = defaultdict(list)
    for (model, key), counts in deltas(changes, today=jakarta_day(clock.now())).items():
        by_model[model].append((key, counts))
    for model, counted in ((CaseRollup, CASE_COUNTS), (DurationRollup, DURATION_COUNTS),
                           (DurationHistogram, HISTOGRAM_COUNTS), (WindowHistogram, HISTOGRAM_COUNTS),
                           (OpenRollup, OPEN_COUNTS)):
        rows = sorted(by_model.get(model, []), key=lambda row: row[0])  # key order: no lock-order deadlock
        for i in range(0, len(rows), 500):
            _upsert(model, counted, rows[i:i + 500], using=using)


def _upsert(model, counted: tuple[str, ...], rows: list[tuple[tuple, Counter]], *, using: str) -> None:
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [model._meta.get_field(f.removesuffix("_id")).column for f in model.KEY_FIELDS]
    columns = [*key_columns, *counted]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET "
        + ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counted)
    )
    params = []
    for key, counts in rows:
        params.extend(key)
        params.extend(counts.get(c, 0) for c in counted)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- the set-based rebuild -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildSummary:
    cases: int  # submitted cases counted
    case_rows: int
    duration_rows: int
    histogram_rows: int = 0


def _day_sql(connection, column: str) -> tuple[str, list]:
    """The Jakarta day of a timestamp column, as the vendor's SQL (and its parameters)."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    return sql, list(params)


def _minutes_sql(connection, end: str, start: str) -> str:
    """Whole minutes from `start` to `end`, rounded down, on both vendors."""
    if connection.vendor == "postgresql":
        return f"CAST(FLOOR(EXTRACT(EPOCH FROM ({end} - {start})) / 60) AS integer)"
    us = f"django_timestamp_diff({end}, {start})"  # SQLite: Django's function, in microseconds
    # `%%`: the statement carries parameters, so a literal percent sign (SQLite's modulo) is doubled.
    return f"(({us}) - ((({us}) %% 60000000) + 60000000) %% 60000000) / 60000000"


def rebuild_rollups(using: str = "default") -> RebuildSummary:
    """Recompute every rollup table from the cycles (and the objection events): delete, then INSERT ... SELECT
    ... GROUP BY. The SQL below is `contributions()` written set-based; tests/test_rollups.py holds them equal.

    Run it after writing cases outside the services (a bulk load). It takes the tables' locks for its
    transaction; the transitions that run meanwhile wait for it, so none is lost or counted twice.
    """
    from cases.models import CaseEvent

    connection = connections[using]
    q = connection.ops.quote_name
    cases, cycles, events = (q(m._meta.db_table) for m in (Case, SubmissionCycle, CaseEvent))
    rollup, durations, histogram = (q(m._meta.db_table) for m in (CaseRollup, DurationRollup, DurationHistogram))
    y = {name: f"y.{q(SubmissionCycle._meta.get_field(name).column)}" for name in (
        "number", "opened_at", "due_at", "acknowledged_at", "actioned_at", "is_late", "overdue_at", "objected_at",
        "objection_pending", "outcome")}
    c = {name: f"c.{q(Case._meta.get_field(name).column)}" for name in ("platform", "category", "tier")}
    case_cell = f"{c['platform']} AS platform_id, {c['category']} AS category, {c['tier']} AS tier"
    cell = "y.platform_id, y.category, y.tier"
    cell_names = "platform_id, category, tier"
    cell_columns = ", ".join(q(Case._meta.get_field(n).column) for n in ("platform", "category", "tier"))
    # The cycles with their case's platform, category and tier, joined once (not once per SELECT below).
    staged = "patuh_rebuild_cycles"
    stage = (f"CREATE TEMP TABLE {staged} AS SELECT {', '.join(y.values())}, y.{q('objections')}, {case_cell} "
             f"FROM {cycles} y JOIN {cases} c ON c.id = y.{q('case_id')}")
    joined = f"{staged} y"
    flag = "CASE WHEN {} THEN 1 ELSE 0 END".format
    true = "TRUE" if connection.vendor == "postgresql" else "1"
    pending = f"{y['objection_pending']} = {true}"
    late = f"{y['is_late']} = {true}"
    judged = (f"CASE WHEN {y['actioned_at']} IS NOT NULL THEN CASE WHEN {late} THEN 'missed' ELSE 'met' END "
              f"WHEN {y['overdue_at']} IS NOT NULL THEN 'missed' "
              f"WHEN {pending} THEN CASE WHEN {y['objected_at']} <= {y['due_at']} THEN 'pending' ELSE 'missed' END "
              f"END")
    withdrawn = ", ".join(f"'{o}'" for o in WITHDRAWN_OUTCOMES)
    cohort_values = [
        flag(f"{y['number']} = 1"),
        "1",
        flag(f"{y['acknowledged_at']} IS NOT NULL"),
        flag(f"{y['actioned_at']} IS NOT NULL"),
        flag(f"({judged}) = 'met'"),
        flag(f"({judged}) = 'missed'"),
        flag(f"({judged}) = 'pending'"),
        flag(f"{y['overdue_at']} IS NOT NULL AND {y['actioned_at']} IS NULL AND {y['outcome']} = '' "
             f"AND NOT {pending}"),
        flag(f"{y['outcome']} IN ({withdrawn})"),
        flag(f"{y['outcome']} = ''"),
    ]
    zeros_cohort = ", ".join(["0"] * len(CaseRollup.COHORT_FIELDS))
    (opened_day, p1), (actioned_day, p2), (overdue_day, p3) = (
        _day_sql(connection, y[f]) for f in ("opened_at", "actioned_at", "overdue_at"))
    if connection.vendor == "postgresql":
        # Each objection the cycles record (a few per thousand cycles), not a scan of every event.
        lodged_day, p4 = _day_sql(connection, "CAST(o.value ->> 'lodged_at' AS timestamptz)")
        objections = (f"{joined} CROSS JOIN LATERAL jsonb_array_elements(y.{q('objections')}) AS o(value) "
                      f"WHERE {y['objected_at']} IS NOT NULL")
    else:
        lodged_day, p4 = _day_sql(connection, f"e.{q('created_at')}")
        objections = f"{events} e JOIN {cases} c ON c.id = e.{q('case_id')} WHERE e.{q('kind')} = 'objected'"
    objection_cell = cell if connection.vendor == "postgresql" else case_cell
    # One row per cycle and counted day (and per objection); the first SELECT names the columns of the union.
    per_cycle = f"""
        SELECT {opened_day} AS d, {cell},
               {', '.join(f"{v} AS {q(n)}" for v, n in zip([*cohort_values, "0", "0", "0", "0"], CASE_COUNTS,
                                                            strict=True))}
        FROM {joined}
        UNION ALL
        SELECT {lodged_day}, {objection_cell}, {zeros_cohort}, 1, 0, 0, 0
        FROM {objections}
        UNION ALL
        SELECT {actioned_day}, {cell}, {zeros_cohort}, 0, 1, {flag(late)}, 0
        FROM {joined} WHERE {y['actioned_at']} IS NOT NULL
        UNION ALL
        SELECT {overdue_day}, {cell}, {zeros_cohort}, 0, 0, 0, 1
        FROM {joined} WHERE {y['overdue_at']} IS NOT NULL"""
    counts = ", ".join(q(n) for n in CASE_COUNTS)
    sums = ", ".join(f"SUM({q(n)})" for n in CASE_COUNTS)
    insert_cases = (
        f"INSERT INTO {rollup} ({q('day')}, {cell_columns}, {counts}) "
        f"SELECT d, {cell_names}, {sums} FROM ({per_cycle}) AS per_cycle GROUP BY d, {cell_names}"
    )
    per_duration = " UNION ALL ".join(
        f"SELECT {opened_day} AS d, {cell}, '{kind}' AS kind, "
        f"{_minutes_sql(connection, y[end], y['opened_at'])} AS minute "
        f"FROM {joined} WHERE {y[end]} IS NOT NULL"
        for kind, end in DURATION_ENDS.items()
    )
    duration_params = [*p1, *p1]
    insert_histogram = (
        f"INSERT INTO {histogram} ({q('day')}, {cell_columns}, {q('kind')}, {q('minute')}, {q('n')}) "
        f"SELECT d, {cell_names}, kind, minute, COUNT(*) FROM ({per_duration}) AS per_duration "
        f"GROUP BY d, {cell_names}, kind, minute"
    )
    insert_durations = (
        f"INSERT INTO {durations} ({cell_columns}, {q('kind')}, {q('minute')}, {q('n')}) "
        f"SELECT {cell_columns}, {q('kind')}, {q('minute')}, SUM({q('n')}) FROM {histogram} "
        f"GROUP BY {cell_columns}, {q('kind')}, {q('minute')}"
    )
    block = f"(-({q('minute')} / {BLOCK_MINUTES}) - 1)"  # block_key(); minutes are never negative here
    insert_blocks = (
        f"INSERT INTO {durations} ({cell_columns}, {q('kind')}, {q('minute')}, {q('n')}) "
        f"SELECT {cell_columns}, {q('kind')}, {block}, SUM({q('n')}) FROM {durations} WHERE {q('minute')} >= 0 "
        f"GROUP BY {cell_columns}, {q('kind')}, {block}"
    )
    # TRUNCATE is refused inside a transaction that already wrote rows with deferred foreign-key checks
    # (a test, a caller's own transaction): there, DELETE.
    truncate = connection.vendor == "postgresql" and not connection.in_atomic_block
    windows, marks = q(WindowHistogram._meta.db_table), q(HistogramWindow._meta.db_table)
    open_rollup = q(OpenRollup._meta.db_table)
    tables = (rollup, durations, histogram, windows, marks, open_rollup)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        if truncate:
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
        cursor.execute(f"DROP TABLE IF EXISTS {staged}")
        cursor.execute(stage)
        cursor.execute(insert_cases, [*p1, *p4, *p2, *p3])
        case_rows = cursor.rowcount
        cursor.execute(insert_histogram, duration_params)
        histogram_rows = cursor.rowcount
        cursor.execute(insert_durations)
        duration_rows = cursor.rowcount
        cursor.execute(insert_blocks)
        cursor.execute(_insert_open_sql(connection, joined))
        cursor.execute(f"SELECT COALESCE(SUM({q('received')}), 0) FROM {rollup}")
        (submitted_cases,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {staged}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
    return RebuildSummary(cases=int(submitted_cases), case_rows=case_rows, duration_rows=duration_rows,
                          histogram_rows=histogram_rows)


def _insert_open_sql(connection, source: str) -> str:
    """INSERT the open orders' counts (`OpenRollup`) from `source`: cycles (alias `y`) with their case's
    platform_id, category and tier. The rule is `open_standing`'s."""
    q = connection.ops.quote_name
    column = {name: f"y.{q(SubmissionCycle._meta.get_field(name).column)}" for name in (
        "actioned_at", "overdue_at", "objection_pending", "outcome")}
    true = "TRUE" if connection.vendor == "postgresql" else "1"
    standing = (f"CASE WHEN {column['objection_pending']} = {true} THEN 'objected' "
                f"WHEN {column['actioned_at']} IS NOT NULL THEN 'actioned' "
                f"WHEN {column['overdue_at']} IS NOT NULL THEN 'overdue' ELSE 'awaiting' END")
    sums = ", ".join(f"SUM(CASE WHEN {standing} = '{name}' THEN 1 ELSE 0 END)" for name in OPEN_COUNTS)
    return (f"INSERT INTO {q(OpenRollup._meta.db_table)} (platform_id, category, tier, "
            f"{', '.join(q(n) for n in OPEN_COUNTS)}) "
            f"SELECT y.platform_id, y.category, y.tier, {sums} FROM {source} "
            f"WHERE {column['outcome']} = '' GROUP BY y.platform_id, y.category, y.tier")


def rebuild_open_rollups(using: str = "default") -> int:
    """Recount only the open orders (`OpenRollup`) from the cycles, under the table's lock; what
    `rebuild_rollups` does for every table, for a data set loaded before this table existed. Returns the rows."""
    connection = connections[using]
    q = connection.ops.quote_name
    table = q(OpenRollup._meta.db_table)
    cycles, cases = q(SubmissionCycle._meta.db_table), q(Case._meta.db_table)
    source = (f"(SELECT y.*, c.{q('platform_id')} AS platform_id, c.{q('category')} AS category, "
              f"c.{q('tier')} AS tier FROM {cycles} y JOIN {cases} c ON c.id = y.{q('case_id')}) y")
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(_insert_open_sql(connection, source))
        return cursor.rowcount


# --- the standard windows ---------------------------------------------------------------------------------


def ensure_window(days: int, as_of: date, *, using: str = "default") -> bool:
    """Build the window of `days` days ending `as_of` from the daily histograms, once (the first caller of the
    day; the sweeper does it a minute after midnight). Returns whether it is there to read.

    Under the table's lock: the writers in flight finish first (their daily histogram rows are then counted
    here), and the writers after wait and then add to the rows built here. Older windows are dropped.
    """
    if days not in WINDOWS:
        return False
    if HistogramWindow.objects.using(using).filter(days=days, as_of=as_of).exists():
        return True
    connection = connections[using]
    q = connection.ops.quote_name
    table, daily = q(WindowHistogram._meta.db_table), q(DurationHistogram._meta.db_table)
    keys = ", ".join(q(c) for c in ("platform_id", "category", "kind"))
    first = date.fromordinal(as_of.toordinal() - days + 1)
    block = f"(-({q('minute')} / {BLOCK_MINUTES}) - 1)"
    select = (f"SELECT %s, %s, {keys}, {{minute}}, {q('tier')}, SUM({q('n')}) FROM {daily} "
              f"WHERE {q('day')} >= %s AND {q('day')} <= %s GROUP BY {keys}, {{minute}}, {q('tier')}")
    insert = f"INSERT INTO {table} ({q('days')}, {q('as_of')}, {keys}, {q('minute')}, {q('tier')}, {q('n')}) "
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        if HistogramWindow.objects.using(using).filter(days=days, as_of=as_of).exists():
            return True
        cursor.execute(f"DELETE FROM {table} WHERE {q('days')} = %s", [days])
        HistogramWindow.objects.using(using).filter(days=days).delete()
        params = [days, as_of, first, as_of]
        cursor.execute(insert + select.format(minute=q("minute")), params)
        cursor.execute(insert + select.format(minute=block), params)
        HistogramWindow.objects.using(using).create(days=days, as_of=as_of, built_at=clock.now())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return True


def ensure_windows(*, using: str = "default") -> None:
    today = jakarta_day(clock.now())
    for days in WINDOWS:
        ensure_window(days, today, using=using)
