"""The load generator writes data the application itself would have written, and resumes after a stop."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum

from cases.core.choices import AWAITING_ACTION_STATUSES, CaseStatus, EventKind
from cases.core.recorders.events import record_event
from cases.models import Case, CaseEvent, CaseRollup, Evidence, ReferenceCounter


@pytest.mark.django_db
def test_it_refuses_sqlite_with_a_clear_message():
    if connection.vendor == "postgresql":
        pytest.skip("this is the SQLite behaviour")
    with pytest.raises(CommandError, match="PostgreSQL COPY"):
        call_command("generate_load", "--cases", "10")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_generated_cases_are_consistent_and_the_run_resumes(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    call_command("generate_load", "--cases", "1200", "--batch", "500", "--no-progress", stdout=io.StringIO())
    generated = Case.objects.filter(source_detail__startswith="load:")
    assert generated.count() == 1200
    # Resuming to a larger total adds only the difference; asking again for the same total adds nothing.
    # This time the secondary indexes are dropped for the load and rebuilt: the same set must come back.
    indexes_before = _index_names()
    call_command("generate_load", "--cases", "1500", "--batch", "500", "--no-progress", "--rebuild-indexes", "yes",
                 stdout=io.StringIO())
    assert _index_names() == indexes_before
    call_command("generate_load", "--cases", "1500", "--no-progress", stdout=io.StringIO())
    assert generated.count() == 1500
    refs = list(Case.objects.values_list("reference", flat=True))
    assert len(refs) == len(set(refs))
    # The counters continue after the generated numbers, so the next real case cannot collide.
    for year, last in ReferenceCounter.objects.values_list("year", "last"):
        top = max(int(r.rsplit("-", 1)[1]) for r in refs if r.startswith(f"PTH-{year}-"))
        assert last == top
    # Every case's timeline ends in its status; 3-5 events for cases that left draft.
    last_status = {}
    for case_id, to_status in CaseEvent.objects.exclude(to_status="").order_by("case_id", "created_at", "id") \
            .values_list("case_id", "to_status"):
        last_status[case_id] = to_status
    for case_id, status in generated.values_list("id", "status"):
        assert last_status[case_id] == status
    counts = generated.exclude(status=CaseStatus.DRAFT).annotate(n=Count("events")).values_list("n", flat=True)
    assert min(counts) >= 2 and max(counts) <= 6
    # Deadline facts hold: overdue open cases have the event; late cases acted after the deadline.
    open_overdue = generated.filter(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=False)
    assert open_overdue.exists()
    assert CaseEvent.objects.filter(case__in=open_overdue, kind=EventKind.OVERDUE).count() == open_overdue.count()
    for case in generated.filter(is_late=True)[:50]:
        assert case.actioned_at > case.due_at
    closed = generated.filter(status__in=[CaseStatus.VERIFIED, CaseStatus.WITHDRAWN]).count()
    assert closed / 1500 > 0.6
    # Evidence rows share one real stored file, linked to its first copy.
    rows = Evidence.objects.filter(case__in=generated)
    assert rows.count() > 500
    assert set(rows.values_list("first_copy_id", flat=True)) == {Evidence.objects.get(first_copy__isnull=True).pk}
    # The report rollups were rebuilt from the generated cases.
    submitted = Case.objects.filter(submitted_at__isnull=False).count()
    assert CaseRollup.objects.aggregate(n=Sum("received"))["n"] == submitted
    # Every submitted case has its submission cycle, and the cycles agree with the events.
    from cases.models import SubmissionCycle

    assert SubmissionCycle.objects.filter(case__in=generated).count() == generated.filter(
        submitted_at__isnull=False).count()
    out = io.StringIO()
    call_command("check_cycles", stdout=out)
    assert "every cycle agrees with the events" in out.getvalue()
    # The generated events continue the audit chain that the reference data started; a real event written
    # after the load links onto them.
    record_event(generated.first(), EventKind.COMMENT, actor=None, note="after the load")
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f"case events: {CaseEvent.objects.count()} rows, every link holds" in out.getvalue()


def _index_names() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('cases_case', 'cases_caseevent', "
                    "'cases_evidence')")
        return {row[0] for row in cur.fetchall()}
