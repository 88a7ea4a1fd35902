"""The one place that writes the rollup tables (`CaseRollup`, `DurationRollup`).

Incremental: every writer of a case's counted fields (`status`, `submitted_at`, `acknowledged_at`,
`actioned_at`, `objected_at`, `overdue_at`, `is_late`) takes a `snapshot()` of the case before and after
its change and calls `record_change(before, after)` in the same transaction. The writers are
`workflow.transition` (every status change, reopen included), `workflow.BulkSubmission.record` (bulk
submission) and `sweeper.mark_overdue` (the overdue mark). A change is applied as deltas: what the old
state contributed to each rollup row is taken out and what the new state contributes is put in, with an
upsert that adds to the stored counts (`INSERT ... ON CONFLICT DO UPDATE SET n = n + EXCLUDED.n`, the same
statement on PostgreSQL and SQLite). The database adds under the row lock, so concurrent transitions on
cases of the same cohort never lose an increment; rows are written in key order, so two transactions
never wait on each other's rows in opposite orders.

Which rows a case counts in: its submission cohort is the Jakarta day of `submitted_at`. Reopening keeps
`submitted_at` (a reopened case belongs to the cohort it was first sent in, as the reports always
counted it) and clears the action, acknowledgement, overdue mark and late flag, so the cohort row loses
them and the action day's row loses the action.

Set-based: `rebuild_rollups()` recomputes both tables from the cases with INSERT ... SELECT ... GROUP BY,
after a bulk load that wrote cases with SQL (`generate_load`) or to repair drift.
"""
# The SQL here is built from model metadata (quoted table and column names) and constants; every value
# travels as a query parameter.
# ruff: noqa: S608

from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from django.db import connections, transaction
from django.utils import timezone

from cases.choices import AWAITING_ACTION_STATUSES, CLOSED_STATUSES, CaseStatus
from cases.models import Case, CaseRollup, DurationRollup

CASE_COUNTS = (*CaseRollup.COHORT_FIELDS, *CaseRollup.DAY_FIELDS)
DURATION_COUNTS = ("n", "total_us")
# Each duration's end stamp (its start is `submitted_at`), as DurationRollup kinds.
DURATION_ENDS = {DurationRollup.ACK: "acknowledged_at", DurationRollup.ACTION: "actioned_at"}
MICROSECOND = timedelta(microseconds=1)
MINUTE_US = 60_000_000


@dataclass(frozen=True)
class CaseState:
    """The fields of a case the rollups count."""

    platform_id: int
    category: str
    tier: str
    status: str
    submitted_at: datetime | None
    acknowledged_at: datetime | None
    actioned_at: datetime | None
    objected_at: datetime | None
    overdue_at: datetime | None
    is_late: bool


def snapshot(case: Case) -> CaseState:
    return CaseState(**{f.name: getattr(case, f.name) for f in fields(CaseState)})


def jakarta_day(moment: datetime) -> date:
    """The reports' day: the calendar day in the current time zone (Asia/Jakarta)."""
    return timezone.localdate(moment)


def duration_us(start: datetime, end: datetime) -> int:
    return (end - start) // MICROSECOND


def contributions(state: CaseState | None) -> dict[tuple, Counter]:
    """What one case in `state` adds to the rollups: {(model, key): Counter(column: n)}.

    Never-submitted cases (drafts) count nowhere.
    """
    out: dict[tuple, Counter] = defaultdict(Counter)
    if state is None or state.submitted_at is None:
        return out
    cell = (state.platform_id, state.category, state.tier)
    awaiting = state.status in AWAITING_ACTION_STATUSES
    out[(CaseRollup, (jakarta_day(state.submitted_at), *cell))].update({
        "received": 1,
        "acknowledged": int(state.acknowledged_at is not None),
        "actioned": int(state.actioned_at is not None),
        "on_time": int(state.actioned_at is not None and not state.is_late),
        "overdue_now": int(awaiting and state.overdue_at is not None),
        "objected": int(state.objected_at is not None),
        "withdrawn": int(state.status == CaseStatus.WITHDRAWN),
        "open": int(state.status not in CLOSED_STATUSES),
    })
    if state.actioned_at is not None:
        out[(CaseRollup, (jakarta_day(state.actioned_at), *cell))].update(
            {"actioned_on_day": 1, "late_on_day": int(state.is_late)})
    if state.overdue_at is not None:
        out[(CaseRollup, (jakarta_day(state.overdue_at), *cell))].update({"overdue_on_day": 1})
    for kind, end_field in DURATION_ENDS.items():
        end = getattr(state, end_field)
        if end is not None:
            us = duration_us(state.submitted_at, end)
            out[(DurationRollup, (*cell, kind, us // MINUTE_US))].update({"n": 1, "total_us": us})
    return out


def deltas(changes) -> dict[tuple, Counter]:
    """The net change of many (before, after) pairs; rows whose counts do not move are left out."""
    total: dict[tuple, Counter] = defaultdict(Counter)
    for before, after in changes:
        for row, counts in contributions(after).items():
            total[row].update(counts)
        for row, counts in contributions(before).items():
            total[row].subtract(counts)
    return {row: counts for row, counts in total.items() if any(counts.values())}


def record_change(before: CaseState | None, after: CaseState | None, *, using: str = "default") -> None:
    """Apply one case's change to the rollups. Call it inside the writer's transaction."""
    record_changes([(before, after)], using=using)


def record_changes(changes, *, using: str = "default") -> None:
    """Apply many cases' changes (bulk submission) as one upsert per table."""
    by_model: dict[type, list[tuple[tuple, Counter]]] = defaultdict(list)
    for (model, key), counts in deltas(changes).items():
        by_model[model].append((key, counts))
    for model, counted in ((CaseRollup, CASE_COUNTS), (DurationRollup, DURATION_COUNTS)):
        rows = sorted(by_model.get(model, []), key=lambda row: row[0])  # key order: no lock-order deadlock
        if rows:
            _upsert(model, counted, rows, using=using)


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


def _day_sql(connection, column: str) -> tuple[str, list]:
    """The Jakarta day of a timestamp column, as the vendor's SQL (and its parameters)."""
    sql, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    return sql, list(params)


def _us_sql(connection, end: str, start: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS bigint)"
    return f"django_timestamp_diff({end}, {start})"  # SQLite: Django's function, in microseconds


def _floor_div(value: str, divisor: int) -> str:
    """Floor division on both vendors (their `/` and `%` on integers truncate towards zero)."""
    return f"(({value}) - ((({value}) % {divisor}) + {divisor}) % {divisor}) / {divisor}"


def rebuild_rollups(using: str = "default") -> RebuildSummary:
    """Recompute both rollup tables from the cases table: delete, then INSERT ... SELECT ... GROUP BY.

    Run it after writing cases outside the services (a bulk load). It takes the tables' locks for its
    transaction; the transitions that run meanwhile wait for it, so none is lost or counted twice.
    """
    connection = connections[using]
    q = connection.ops.quote_name
    cases = q(Case._meta.db_table)
    rollup, durations = q(CaseRollup._meta.db_table), q(DurationRollup._meta.db_table)
    col = {name: q(Case._meta.get_field(name).column) for name in (
        "platform", "category", "tier", "status", "submitted_at", "acknowledged_at", "actioned_at",
        "objected_at", "overdue_at", "is_late")}
    cell = f"{col['platform']}, {col['category']}, {col['tier']}"
    flag = "CASE WHEN {} THEN 1 ELSE 0 END".format
    awaiting = ", ".join(["%s"] * len(AWAITING_ACTION_STATUSES))
    closed = ", ".join(["%s"] * len(CLOSED_STATUSES))
    cohort_values = [
        "1",
        flag(f"{col['acknowledged_at']} IS NOT NULL"),
        flag(f"{col['actioned_at']} IS NOT NULL"),
        flag(f"{col['actioned_at']} IS NOT NULL AND NOT {col['is_late']}"),
        flag(f"{col['status']} IN ({awaiting}) AND {col['overdue_at']} IS NOT NULL"),
        flag(f"{col['objected_at']} IS NOT NULL"),
        flag(f"{col['status']} = %s"),
        flag(f"{col['status']} NOT IN ({closed})"),
        "0", "0", "0",
    ]
    cohort_params = [*AWAITING_ACTION_STATUSES, CaseStatus.WITHDRAWN, *CLOSED_STATUSES]
    zeros_cohort = ", ".join(["0"] * len(CaseRollup.COHORT_FIELDS))
    submitted = f"{col['submitted_at']} IS NOT NULL"
    (submitted_day, p1), (actioned_day, p2), (overdue_day, p3) = (
        _day_sql(connection, col[c]) for c in ("submitted_at", "actioned_at", "overdue_at"))
    # One row per case and counted day; the first SELECT names the columns of the union.
    per_case = f"""
        SELECT {submitted_day} AS d, {cell},
               {', '.join(f"{v} AS {q(c)}" for v, c in zip(cohort_values, CASE_COUNTS, strict=True))}
        FROM {cases} WHERE {submitted}
        UNION ALL
        SELECT {actioned_day}, {cell}, {zeros_cohort}, 1, {flag(col['is_late'])}, 0
        FROM {cases} WHERE {submitted} AND {col['actioned_at']} IS NOT NULL
        UNION ALL
        SELECT {overdue_day}, {cell}, {zeros_cohort}, 0, 0, 1
        FROM {cases} WHERE {submitted} AND {col['overdue_at']} IS NOT NULL"""
    counts = ", ".join(q(c) for c in CASE_COUNTS)
    sums = ", ".join(f"SUM({q(c)})" for c in CASE_COUNTS)
    insert_cases = (
        f"INSERT INTO {rollup} ({q('day')}, {cell}, {counts}) "
        f"SELECT d, {cell}, {sums} FROM ({per_case}) AS per_case GROUP BY d, {cell}"
    )
    duration_select = " UNION ALL ".join(
        f"SELECT {cell}, '{kind}' AS kind, {_us_sql(connection, col[end], col['submitted_at'])} AS us "
        f"FROM {cases} WHERE {submitted} AND {col[end]} IS NOT NULL"
        for kind, end in DURATION_ENDS.items()
    )
    minute = _floor_div("us", MINUTE_US)
    insert_durations = (
        f"INSERT INTO {durations} ({cell}, {q('kind')}, {q('minute')}, {q('n')}, {q('total_us')}) "
        f"SELECT {cell}, kind, {minute}, COUNT(*), SUM(us) FROM ({duration_select}) AS d "
        f"GROUP BY {cell}, kind, {minute}"
    )
    # TRUNCATE is refused inside a transaction that already wrote rows with deferred foreign-key checks
    # (a test, a caller's own transaction): there, DELETE.
    truncate = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {rollup}, {durations} IN EXCLUSIVE MODE")
        if truncate:
            cursor.execute(f"TRUNCATE {rollup}, {durations}")
        else:
            cursor.execute(f"DELETE FROM {rollup}")
            cursor.execute(f"DELETE FROM {durations}")
        cursor.execute(insert_cases, [*p1, *cohort_params, *p2, *p3])
        case_rows = cursor.rowcount
        cursor.execute(insert_durations)
        duration_rows = cursor.rowcount
        cursor.execute(f"SELECT COALESCE(SUM({q('received')}), 0) FROM {rollup}")
        (submitted_cases,) = cursor.fetchone()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {rollup}, {durations}")
    return RebuildSummary(cases=int(submitted_cases), case_rows=case_rows, duration_rows=duration_rows)
