"""The case export's two paths (COPY on PostgreSQL, the iterator elsewhere) write the same bytes."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection

from cases.api import export
from cases.api.renderers import csv_lines, safe_cell
from cases.models import Case
from tests.test_api_support import bearer_client

TRICKY = [
    "=HYPERLINK(\"http://evil\")", "+1+1", "-5", "-1e3", "+2.5", "-", "@SUM(A1)", "\tx", "\r=x", "-1 ", "- 1",
    "a,b", 'say "hi"', "two\nlines", "cr\r\nlf", "", "é ünïcode", "0", "-.5", "1e", "--1", "plain",
]


def _python_bytes(queryset) -> bytes:
    rows = export.export_rows(queryset)
    return b"".join(line.encode() for line in csv_lines(export.HEADER, export._python_rows(rows)))


@pytest.fixture
def tricky_cases(make_case, platform_a):
    cases = []
    for i, value in enumerate(TRICKY):
        case = make_case(url=f"https://t.me/tricky/{i}", submit=i % 2 == 0)
        stamp = datetime(2026, 3, 1, 8, 30, i, 123456 if i % 3 else 0, tzinfo=UTC)
        Case.objects.filter(pk=case.pk).update(
            handle=value, native_id=value[::-1], location_url=f"https://t.me/tricky/{i}?q={value}",
            created_at=stamp, is_late=i % 4 == 0, action_taken=value[:20] if i % 5 == 0 else "",
        )
        cases.append(case)
    return cases


def test_safe_cell_quotes_formulas_but_not_numbers():
    assert safe_cell("=1+2") == "'=1+2"
    assert safe_cell("-5") == "-5" and safe_cell("+2.5") == "+2.5" and safe_cell("-1e3") == "-1e3"
    assert safe_cell("-") == "'-" and safe_cell("-1 ") == "'-1 " and safe_cell("@x") == "'@x"
    assert safe_cell(True) == "true" and safe_cell(None) == ""


def test_export_keeps_its_columns_and_guards_formulas(analyst, tricky_cases):
    response = bearer_client(analyst).get("/api/v1/cases/export.csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"reference,platform,category,tier,status,location_url,handle,native_id,legal_basis,"
                           b"reasons,requested_action,issuing_authority,issuing_officer,source,created_at,"
                           b"submitted_at,cycles,deadline_hours,due_at,acknowledged_at,actioned_at,action_taken,"
                           b"action_taken_at,is_late,overdue_at,objected_at,objection_reason,verified_at,"
                           b"withdrawn_at,closed_at\r\n")
    rows = list(csv.DictReader(io.StringIO(body.decode(), newline="")))
    assert [r["handle"] for r in rows] == [safe_cell(v) for v in TRICKY]
    assert rows[0]["created_at"] == "2026-03-01T08:30:00+00:00"
    assert rows[1]["created_at"] == "2026-03-01T08:30:01.123456+00:00"
    assert rows[0]["is_late"] == "true" and rows[1]["is_late"] == "false"
    assert rows[0]["legal_basis"] and rows[0]["reasons"] and rows[0]["issuing_authority"]
    assert body == _python_bytes(Case.objects.all())


def test_export_carries_the_order_and_its_cycles(analyst, make_case, liaison_a):
    from cases.cases.workflow import transition
    from cases.core import clock

    case = make_case(submit=True, legal_basis="UU ITE Art. 28(2)", reasons="Hasutan SARA.")
    transition(case, "report_action", actor=liaison_a, action_taken="removed", action_taken_at=clock.now())
    transition(case, "reopen", actor=analyst, note="Still up.")
    body = b"".join(bearer_client(analyst).get("/api/v1/cases/export.csv").streaming_content).decode()
    [row] = list(csv.DictReader(io.StringIO(body, newline="")))
    assert (row["legal_basis"], row["reasons"], row["issuing_officer"], row["cycles"], row["deadline_hours"]) == \
        ("UU ITE Art. 28(2)", "Hasutan SARA.", "analyst", "2", "24")


@pytest.mark.postgres
def test_copy_and_iterator_paths_give_identical_bytes(tricky_cases, platform_b):
    queryset = Case.objects.all()
    copied = b"".join(export._copy_chunks(export.export_rows(queryset)))
    assert copied == _python_bytes(queryset)
    assert copied.count(b"\r\n") >= len(TRICKY) + 1
    # A filter with parameters (and a join) goes into the COPY statement as well.
    filtered = Case.objects.filter(platform__slug="telegram", handle__contains="%")
    assert b"".join(export._copy_chunks(export.export_rows(filtered))) == _python_bytes(filtered)
    empty = Case.objects.filter(pk__in=[])
    assert b"".join(export._copy_chunks(export.export_rows(empty))) == _python_bytes(empty)


@pytest.mark.postgres
def test_copy_export_stopped_half_way_leaves_the_connection_usable(tricky_cases, monkeypatch):
    monkeypatch.setattr(export, "COPY_CHUNK_BYTES", 10)
    chunks = export._copy_chunks(export.export_rows(Case.objects.all()))
    next(chunks), next(chunks)
    chunks.close()  # the client went away
    assert Case.objects.count() == len(TRICKY)


@pytest.mark.postgres
def test_copy_export_uses_copy(analyst, tricky_cases):
    statement, params = export.copy_statement(export.export_rows(Case.objects.filter(platform__slug="telegram")))
    assert statement.startswith("COPY (SELECT") and "TO STDOUT WITH (FORMAT csv)" in statement
    assert "telegram" in params
    assert connection.vendor == "postgresql"
