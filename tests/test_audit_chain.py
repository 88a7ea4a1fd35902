"""The tamper-evident audit trail: hash chains over case and custody events, append-only on PostgreSQL.

An auditor must be able to show that no event was altered, inserted or removed after the fact; the
database itself refuses changes from the application's role.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cases.cases.services.cases import add_comment, create_cases_bulk
from cases.cases.workflow import transition
from cases.core import audit
from cases.core.choices import EvidenceKind, Visibility
from cases.demo.evidence import screenshot_png
from cases.evidence.services.evidence import upload_evidence
from cases.models import CaseEvent, CustodyEvent
from tests.concurrency import race

postgres_only = pytest.mark.postgres


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def busy_history(analyst, liaison_a, platform_a, platform_b, make_case):
    """Events from every writer: single transitions, a bulk intake with submission, comments, custody."""
    case = make_case(platform=platform_a, submit=True)
    transition(case, "acknowledge", actor=liaison_a, note="")
    add_comment(case, actor=analyst, text="Checked the channel again.")
    create_cases_bulk(actor=analyst, submit=True, items=[
        {"platform": platform_b, "category": "gambling", "location_url": f"https://facebook.com/slot{i}",
         "legal_basis": "UU ITE Pasal 27 ayat (2)", "reasons": "Online gambling."} for i in range(5)])
    upload_evidence(case=case, actor=analyst, kind=EvidenceKind.SCREENSHOT, visibility=Visibility.SHARED,
                    file=SimpleUploadedFile("shot.png", screenshot_png("chain"), "image/png"))
    return case


def test_every_writer_joins_the_chain_and_verify_audit_passes(busy_history):
    assert CaseEvent.objects.count() >= 15 and CustodyEvent.objects.count() >= 1
    assert not CaseEvent.objects.filter(hash="").exists()
    assert not CustodyEvent.objects.filter(hash="").exists()
    code, out, err = verify()
    assert code == 0, err
    last = CaseEvent.objects.order_by("-id").first()
    count = CaseEvent.objects.count()
    assert f"case events: {count} rows, every link holds; head id {last.pk}, hash {last.hash}" in out
    assert "The audit trail is intact." in out


def test_each_hash_links_the_previous_one(busy_history):
    previous = audit.GENESIS
    for event in CaseEvent.objects.order_by("id"):
        values = {c: getattr(event, c) for c in audit.CASE_EVENTS.columns}
        assert event.hash == audit.link(previous, audit.canonical(audit.CASE_EVENTS, event.pk, values))
        previous = event.hash


def _raw(sql: str, params=()) -> None:
    """Change a row behind the application's back: on PostgreSQL as a superuser with triggers disabled."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_a_row_changed_by_raw_sql_is_named(busy_history):
    target = CaseEvent.objects.order_by("id")[3]
    _raw("UPDATE cases_caseevent SET note = %s WHERE id = %s", ["Nothing happened.", target.pk])
    code, _out, err = verify()
    assert code == 1
    assert f"case events: broken link at id {target.pk} (row 4 of the chain)" in err


def test_a_removed_row_breaks_the_next_link(busy_history):
    ids = list(CaseEvent.objects.order_by("id").values_list("id", flat=True))
    _raw("DELETE FROM cases_caseevent WHERE id = %s", [ids[5]])
    code, _out, err = verify()
    assert code == 1
    assert f"broken link at id {ids[6]}" in err


def test_a_forged_custody_event_is_named(busy_history):
    custody = CustodyEvent.objects.order_by("id").first()
    _raw("UPDATE cases_custodyevent SET actor_name = %s WHERE id = %s", ["Someone else", custody.pk])
    code, _out, err = verify()
    assert code == 1
    assert f"custody events: broken link at id {custody.pk}" in err


def test_an_event_inserted_without_the_chain_is_caught(busy_history):
    event = CaseEvent.objects.order_by("id").first()
    _raw("INSERT INTO cases_caseevent (case_id, actor_name, kind, from_status, to_status, note, visibility, "
         "created_at, data, hash) VALUES (%s, 'x', 'comment', '', '', 'backdated', 'shared', %s, '{}', '')",
         [event.case_id, event.created_at])
    code, _out, err = verify()
    assert code == 1 and "broken link at id" in err and "stored hash (none)" in err


@postgres_only
def test_the_database_refuses_update_delete_and_truncate(busy_history):
    event = CaseEvent.objects.order_by("id").first()
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts leave deferred FK checks pending
    for statement in ("UPDATE cases_caseevent SET note = 'x' WHERE id = (SELECT min(id) FROM cases_caseevent)",
                      "DELETE FROM cases_caseevent WHERE id = (SELECT min(id) FROM cases_caseevent)",
                      "TRUNCATE cases_caseevent CASCADE",
                      "UPDATE cases_custodyevent SET note = 'x'",
                      "DELETE FROM cases_custodyevent",
                      "TRUNCATE cases_custodyevent CASCADE"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(statement)
    # And through the ORM, as the application would.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="rewritten")
    event.refresh_from_db()
    assert event.note != "rewritten"
    assert verify()[0] == 0


@postgres_only
def test_the_application_role_cannot_switch_the_triggers_off(busy_history):
    """A role with the application's rights (not owner, not superuser) cannot edit, disable or bypass."""
    with connection.cursor() as cur:
        cur.execute("DO $$ BEGIN CREATE ROLE patuh_app_probe NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cur.execute("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON cases_caseevent TO patuh_app_probe")
    refusals = {
        "UPDATE cases_caseevent SET note = 'x'": "append-only",
        "ALTER TABLE cases_caseevent DISABLE TRIGGER ALL": "must be owner",
        "SET session_replication_role = replica": "permission denied",
    }
    for statement, message in refusals.items():
        with pytest.raises(DatabaseError, match=message), transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL ROLE patuh_app_probe")
            cur.execute(statement)
    assert verify()[0] == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain(analyst, make_case, platform_a):
    """Eight threads commenting on the same cases at once: one chain, every event on it, no fork."""
    cases = [make_case(platform=platform_a, submit=True) for _ in range(4)]
    before = CaseEvent.objects.count()
    def work(n: int) -> None:
        for i in range(10):
            add_comment(cases[(n + i) % 4], actor=analyst, text=f"thread {n} comment {i}")

    _results, errors = race(*[lambda n=n: work(n) for n in range(8)])
    assert errors == []
    assert CaseEvent.objects.count() == before + 80
    assert CaseEvent.objects.values("hash").distinct().count() == CaseEvent.objects.count()
    assert verify()[0] == 0



@pytest.mark.parametrize("address", ["::ffff:203.0.113.5", "::1.2.3.4", "2001:DB8::1", "203.0.113.7"])
def test_client_addresses_in_every_spelling_keep_the_custody_chain_intact(analyst, make_case, address):
    """Behind a dual-stack bind IPv4 clients arrive as `::ffff:a.b.c.d`; the database writes addresses its own way."""
    upload_evidence(case=make_case(), actor=analyst, kind=EvidenceKind.SCREENSHOT, visibility=Visibility.SHARED,
                    file=SimpleUploadedFile("shot.png", screenshot_png("ip"), "image/png"),
                    request_meta={"ip_address": address, "user_agent": "Firefox"})
    assert CustodyEvent.objects.get().ip_address is not None
    assert verify()[0] == 0


def test_event_data_with_whole_floats_verifies(make_case, analyst):
    """jsonb gives 2.0 back as 2 and 1e20 as an integer; the canonical form writes them the same way."""
    from cases.core.recorders.events import record_event

    record_event(make_case(), "comment", actor=analyst, data={"hours": 2.0, "big": 1e20, "zero": -0.0,
                                                              "share": 0.25, "nested": [{"x": 3.0}]})
    assert verify()[0] == 0


@postgres_only
def test_the_application_role_can_write_events(busy_history, analyst):
    """The role the docs recommend (SELECT, INSERT on the audit tables, USAGE on their sequences) can append."""
    from cases.core.recorders.events import record_event

    with connection.cursor() as cur:
        cur.execute("DO $$ BEGIN CREATE ROLE patuh_app_writer NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cur.execute("GRANT SELECT, INSERT ON cases_caseevent TO patuh_app_writer")
        cur.execute("GRANT USAGE ON SEQUENCE cases_caseevent_id_seq TO patuh_app_writer")
        # Ordinary tables the writer reads along the way (the application's role has full rights on those):
        # record_event looks up the platform's webhook endpoints to announce the entry.
        cur.execute("GRANT SELECT ON cases_case, auth_user, cases_webhookendpoint TO patuh_app_writer")
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL ROLE patuh_app_writer")
        record_event(busy_history, "comment", actor=analyst, note="written by the application's role")
        with connection.cursor() as cur:
            cur.execute("RESET ROLE")  # the test's own transaction outlives the savepoint
    assert CaseEvent.objects.filter(note="written by the application's role").exists()
    assert verify()[0] == 0
