"""Migrations 0017 and 0018 (submission cycles) on a database built by the code from before submission cycles.

tests/fixtures/pre_cycles.json holds the rows that code wrote through its own services
(tests/fixtures/make_pre_cycles.py says how): a late case that was reopened and then actioned in time, an
objection lodged in time and rejected, one lodged after the deadline and rejected, one upheld, a withdrawal
of an overdue case, and an overdue case still waiting. The test loads them at migration 0012, migrates
to the latest migration with the migrate command (as an upgrade does) and reads the cycles and rollups.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.dateparse import parse_datetime

BEFORE = [("cases", "0012_duration_rollup_merge_index")]
FIXTURE = Path(__file__).parent / "fixtures" / "pre_cycles.json"
TABLES = {"auth_user": ("auth", "User"), "cases_platform": ("cases", "Platform"), "cases_case": ("cases", "Case"),
          "cases_caseevent": ("cases", "CaseEvent")}


def t(iso: str) -> datetime:
    return parse_datetime(iso).replace(tzinfo=UTC)


def _load(apps) -> None:
    from django.db import models

    rows = json.loads(FIXTURE.read_text())
    for table, (app, name) in TABLES.items():
        model = apps.get_model(app, name)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        objects = []
        for row in rows[table]:
            values = {}
            for column, value in row.items():
                field = fields[column]
                if isinstance(field, models.DateTimeField) and value is not None:
                    value = parse_datetime(value).replace(tzinfo=UTC)
                elif isinstance(field, models.JSONField) and isinstance(value, str):
                    value = json.loads(value)
                values[column] = value
            objects.append(model(**values))
        model.objects.bulk_create(objects)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_every_cycle_the_old_events_hold():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        _load(executor.loader.project_state(BEFORE).apps)
        # As a deployment upgrades: the migrate command, to the latest migration (its post_migrate hook
        # recounts the rollups once the tables are today's).
        call_command("migrate", "cases", verbosity=0)
        _check_cycles()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _check_cycles():
    from cases.models import Case, SubmissionCycle
    from cases.reporting import reports
    from cases.reporting.reports import ReportScope

    def cycles(n):
        return list(SubmissionCycle.objects.filter(case__location_url=f"https://t.me/c/{n}").order_by("number"))

    # 1: late, reopened, then actioned in time: two cycles; the first keeps its miss.
    first, second = cycles(1)
    assert (first.overdue_at, first.is_late, first.outcome) == (t("2026-03-03T01:00:00"), True, "reopened")
    assert first.actioned_at == t("2026-03-03T07:00:00") and first.closed_at == t("2026-03-03T08:00:00")
    assert (second.opened_at, second.due_at, second.is_late, second.overdue_at) == (
        t("2026-03-03T08:00:00"), t("2026-03-04T08:00:00"), False, None)
    assert second.acknowledged_at == t("2026-03-03T10:00:00") and second.actioned_at == t("2026-03-03T12:00:00")
    # 7: objected 10 h in, rejected: the old code's fresh window, recorded as the rule then in force.
    [objected] = cycles(7)
    assert objected.objection_rule == "fresh" and objected.objection_pending is False
    assert objected.objections[0]["in_time"] is True and objected.objections[0]["outcome"] == "rejected"
    assert objected.due_at == t("2026-03-04T17:00:00") and objected.first_due_at == t("2026-03-03T01:00:00")
    assert objected.is_late is False
    # 3: objected after the deadline (already overdue), rejected: the miss stays.
    [late] = cycles(3)
    assert late.objections[0]["in_time"] is False and late.overdue_at == t("2026-03-03T01:00:00")
    # 4: upheld; 5: withdrawn while overdue; 6 and 2: overdue, acknowledged, waiting.
    assert [c.outcome for c in cycles(4)] == ["upheld"] and [c.outcome for c in cycles(5)] == ["withdrawn"]
    for n in (2, 6):
        [waiting] = cycles(n)
        assert (waiting.outcome, waiting.overdue_at, waiting.acknowledged_at) == (
            "", t("2026-03-03T01:00:00"), t("2026-03-03T16:00:00"))
    assert SubmissionCycle.objects.count() == 8 == sum(Case.objects.values_list("submission_count", flat=True))
    # The rollups were recounted per cycle: the reopened case's first miss is in the figures.
    total = reports.compliance_report(ReportScope(everyone=True))["total"]
    assert (total["received"], total["orders"]) == (7, 8)
    assert (total["on_time"], total["missed"]) == (2, 6)  # met: 1 (second cycle), 7; missed: 1 (first), 2-6
    call_command("check_cycles", stdout=open("/dev/null", "w"))  # noqa: SIM115
