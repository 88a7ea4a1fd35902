"""The CSV export of cases: one set of columns, two ways to write them, the same bytes.

- On PostgreSQL the rows are formatted by the database and streamed with `COPY (SELECT ...) TO STDOUT WITH
  (FORMAT csv)` (psycopg 3's `cursor.copy()`), about four times faster than building each row in Python and
  with memory that does not grow with the export. The SELECT is the scoped, filtered queryset's own SQL
  (`values_list(...).query`), so scoping and filters keep their one home; only the formatting is wrapped
  around it.
- Elsewhere (SQLite) the queryset is iterated and each cell goes through `safe_cell`, as every other CSV.

Both give identical bytes (tests/test_csv_export.py compares them on PostgreSQL): `\\r\\n` line ends, the
csv module's minimal quoting, timestamps as Python's `isoformat()` in UTC, booleans as true/false, empty for
null and for an empty string, and the formula guard of `cases.api.renderers.safe_cell` (a text cell that
starts with = + - @ tab or CR and is not a number gets a leading quote).
"""

from django.core.exceptions import EmptyResultSet
from django.db import connections, models

from cases.api.renderers import FORMULA_START, NUMBER_PATTERN, csv_lines

# The order as sent (DOMAIN.md's elements of an order), then the deadline facts of the current submission cycle
# (every earlier cycle's facts: GET /api/v1/cases/<reference>/cycles/). docs/reports.md defines each fact.
COLUMNS = [
    ("reference", "reference"), ("platform", "platform__slug"), ("category", "category"), ("tier", "tier"),
    ("status", "status"), ("location_url", "location_url"), ("handle", "handle"), ("native_id", "native_id"),
    ("legal_basis", "legal_basis"), ("reasons", "reasons"), ("requested_action", "requested_action"),
    ("issuing_authority", "issuing_authority"), ("issuing_officer", "submitted_by__username"),
    ("source", "source"), ("created_at", "created_at"), ("submitted_at", "submitted_at"),
    ("cycles", "submission_count"), ("deadline_hours", "deadline_hours"), ("due_at", "due_at"),
    ("acknowledged_at", "acknowledged_at"), ("actioned_at", "actioned_at"), ("action_taken", "action_taken"),
    ("action_taken_at", "action_taken_at"), ("is_late", "is_late"), ("overdue_at", "overdue_at"),
    ("objected_at", "objected_at"), ("objection_reason", "objection_reason"), ("verified_at", "verified_at"),
    ("withdrawn_at", "withdrawn_at"), ("closed_at", "closed_at"),
]
HEADER = [name for name, _lookup in COLUMNS]
ITERATOR_CHUNK = 5000  # rows per fetch on the iterator path
COPY_CHUNK_BYTES = 256 * 1024  # bytes handed to the WSGI server at a time on the COPY path

# `safe_cell` in SQL: the same first characters, the same notion of a number (renderers.NUMBER_PATTERN). The
# first character is tested with ascii() before any regex, so an ordinary cell costs one integer comparison.
_FORMULA_CODES = ", ".join(str(ord(c)) for c in FORMULA_START)
_SAFE_TEXT = (
    "CASE WHEN ascii({c}) IN (" + _FORMULA_CODES + ") THEN "
    "CASE WHEN {c} ~ '^" + NUMBER_PATTERN + "$' THEN {c} ELSE '''' || {c} END "
    "ELSE NULLIF({c}, '') END"
)
# datetime.isoformat() of an aware UTC datetime: microseconds only when there are some, then +00:00; one to_char
# per value.
_ISO_TIMESTAMP = (
    "CASE WHEN date_trunc('second', {c}) = {c} "
    "THEN to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') "
    "ELSE to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END"
)
_BOOLEAN = "CASE WHEN {c} THEN 'true' WHEN NOT {c} THEN 'false' END"


def export_rows(queryset):
    """The export's rows (value tuples in COLUMNS order), oldest first."""
    return queryset.order_by("id").values_list(*(lookup for _name, lookup in COLUMNS))


def stream_csv(queryset):
    """Encoded CSV chunks (header first) for the cases in `queryset`, by COPY on PostgreSQL."""
    rows = export_rows(queryset)
    if connections[rows.db].vendor == "postgresql":
        return _copy_chunks(rows)
    return (line.encode() for line in csv_lines(HEADER, _python_rows(rows)))


def _python_rows(rows):
    for row in rows.iterator(chunk_size=ITERATOR_CHUNK):
        yield [v.isoformat() if hasattr(v, "isoformat") else v for v in row]


def copy_statement(rows) -> tuple[str, tuple]:
    """`COPY (<formatted columns> FROM (<the queryset's SELECT>)) TO STDOUT` and its parameters."""
    inner, params = rows.query.get_compiler(using=rows.db).as_sql()
    fields = [_field(rows.model, lookup) for _name, lookup in COLUMNS]
    names = [f"c{i}" for i in range(len(COLUMNS))]
    select = ", ".join(_format(field, f"t.{name}") for field, name in zip(fields, names, strict=True))
    statement = (
        f"COPY (SELECT {select} FROM ({inner}) AS t({', '.join(names)})) "  # noqa: S608 - our own SQL, params bound
        "TO STDOUT WITH (FORMAT csv)"
    )
    return statement, tuple(params)


def _copy_chunks(rows):
    yield csv_lines(HEADER, []).__next__().encode()
    try:
        statement, params = copy_statement(rows)
    except EmptyResultSet:
        return
    connection = connections[rows.db]
    connection.ensure_connection()
    buffer, size = [], 0
    with connection.connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        # libpq hands over one row per message, ending in "\n"; the csv module ends lines with "\r\n". A newline
        # inside a quoted cell is part of the message, not its end, so only the last byte is replaced.
        for message in copy:
            buffer.append(bytes(message[:-1]))
            size += len(message) + 1
            if size >= COPY_CHUNK_BYTES:
                buffer.append(b"")
                yield b"\r\n".join(buffer)
                buffer, size = [], 0
    if buffer:
        buffer.append(b"")
        yield b"\r\n".join(buffer)


def _field(model, lookup: str) -> models.Field:
    *path, last = lookup.split("__")
    for name in path:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last)


def _format(field: models.Field, column: str) -> str:
    if isinstance(field, models.DateTimeField):
        return _ISO_TIMESTAMP.format(c=column)
    if isinstance(field, models.BooleanField):
        return _BOOLEAN.format(c=column)
    if isinstance(field, models.CharField | models.TextField):
        return _SAFE_TEXT.format(c=column)
    if isinstance(field, models.IntegerField):
        return f"CAST({column} AS text)"
    raise TypeError(f"No CSV format for {field!r}; add one to cases/api/export.py.")
