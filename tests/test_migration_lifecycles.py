"""Migration 0020 (audited lifecycles) on a database that already has sanctions and commitments: each gets one
event saying it was recorded before its lifecycle was audited, and the new chains verify."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cases", "0020_case_updated_since")]
AFTER = [("cases", "0021_lifecycles")]


@pytest.mark.django_db(transaction=True)
def test_existing_sanctions_and_commitments_get_a_first_event():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        platform = apps.get_model("cases", "Platform").objects.create(name="OldTel", slug="oldtel")
        apps.get_model("cases", "Sanction").objects.create(platform=platform, level=1, status="issued",
                                                           reason="before 0019")
        apps.get_model("cases", "Commitment").objects.create(platform=platform, text="old promise",
                                                             status="in_progress", due_on=date(2017, 12, 31))
        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        from cases.core import audit
        from cases.models import CommitmentEvent, SanctionEvent

        sanction_event = SanctionEvent.objects.get(sanction__platform__slug="oldtel")
        assert (sanction_event.kind, sanction_event.to_status, sanction_event.data["backfilled"]) == (
            "propose", "issued", True)
        commitment_event = CommitmentEvent.objects.get(commitment__platform__slug="oldtel")
        assert (commitment_event.kind, commitment_event.to_status) == ("open", "in_progress")
        for chain, model in ((audit.SANCTION_EVENTS, SanctionEvent), (audit.COMMITMENT_EVENTS, CommitmentEvent)):
            assert audit.verify(chain, model)[1] is None
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
