"""The tamper-evident audit trail: one hash chain per append-only table.

Case events and custody events are append-only (on PostgreSQL, triggers installed by migration 0008
refuse UPDATE, DELETE and TRUNCATE). Each row also carries

    hash = SHA-256(previous row's hash || canonical form of the row)

in id order, starting from `GENESIS`. Editing, inserting or deleting a row anywhere but at the end breaks
the link of the row after it, and `manage.py verify_audit` names the first broken link. Removing rows at
the very end leaves no broken link: that is why `verify_audit` prints the head of each chain (count, last
id, last hash), for an operator to record elsewhere and compare.

Every writer goes through `seal()` (one event or a bulk batch), which, inside the writer's transaction:
1. takes the chain's lock: on PostgreSQL a transaction-level advisory lock, held until commit, so two
   writers cannot both read the same head and fork the chain; on SQLite the database's single writer lock
   does the same (a writer that read a stale head cannot commit: SQLite refuses its write with "database
   is locked");
2. reads the head (the hash of the row with the highest id);
3. gives each new row its id (taken after the lock, so ids grow in commit order) and its hash.

The canonical form is compact JSON of every stored column, in a fixed order, with the time as integer
microseconds since the epoch (UTC) and `data` as sorted-key JSON, so it is the same whether computed
from Python values before the insert or from the row read back by `verify_audit`.
"""

import hashlib
import ipaddress
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

GENESIS = "0" * 64
# One advisory lock for every chain: a transaction that writes a case event and a custody event (an upload,
# a platform's response with evidence), or a sanction event and the notes on its cases, takes them in
# whatever order, and two keys could deadlock.
LOCK_KEY = zlib.crc32(b"patuh.audit") & 0x7FFFFFFF
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)


def chain_hash_field() -> models.CharField:
    """The `hash` column of an audited table."""
    return models.CharField(
        verbose_name=_("hash"),
        max_length=64,
        editable=False,
        blank=True,
        help_text=_("SHA-256 of the previous entry's hash and this entry: the audit chain (see cases/core/audit.py)."),
    )


@dataclass(frozen=True)
class Chain:
    label: str
    table: str
    columns: tuple[str, ...]  # attribute names, in canonical order (after the id)
    time_column: str = "created_at"
    json_column: str = "data"

    @property
    def lock_key(self) -> int:
        return LOCK_KEY


CASE_EVENTS = Chain(
    label="case events",
    table="cases_caseevent",
    columns=("case_id", "actor_id", "actor_name", "kind", "from_status", "to_status", "note", "visibility",
             "created_at", "data"),
)
CUSTODY_EVENTS = Chain(
    label="custody events",
    table="cases_custodyevent",
    columns=("evidence_id", "kind", "actor_id", "actor_name", "created_at", "ip_address", "user_agent", "note",
             "data"),
)
SANCTION_EVENTS = Chain(
    label="sanction events",
    table="cases_sanctionevent",
    columns=("sanction_id", "actor_id", "actor_name", "kind", "from_status", "to_status", "note", "created_at",
             "data"),
)
COMMITMENT_EVENTS = Chain(
    label="commitment events",
    table="cases_commitmentevent",
    columns=("commitment_id", "actor_id", "actor_name", "kind", "from_status", "to_status", "note", "created_at",
             "data"),
)
CHAINS = (CASE_EVENTS, CUSTODY_EVENTS, SANCTION_EVENTS, COMMITMENT_EVENTS)


def chain_for(model) -> Chain | None:
    return next((c for c in CHAINS if c.table == model._meta.db_table), None)


def microseconds(value: datetime) -> int:
    return (value - EPOCH) // ONE_MICROSECOND


def _stable_numbers(value):
    """JSON numbers as PostgreSQL's jsonb gives them back: a whole float is an integer (1e20, 2.0, -0.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _stable_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_stable_numbers(v) for v in value]
    return value


def canonical_json(data) -> str:
    return json.dumps(_stable_numbers(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_ip(value) -> str | None:
    """One spelling per address: Django and PostgreSQL write an IPv4-mapped address as `::ffff:1.2.3.4`,
    Python's ipaddress as `::ffff:102:304`."""
    return str(ipaddress.ip_address(value)) if value else None


def canonical(chain: Chain, pk: int, values) -> bytes:
    """The canonical bytes of one row; `values` maps attribute names to Python values (as stored)."""
    out: list = [pk]
    for column in chain.columns:
        value = values[column]
        if column == chain.time_column:
            value = microseconds(value)
        elif column == chain.json_column:
            value = canonical_json(value if value is not None else {})
        elif column == "ip_address":
            value = canonical_ip(value)
        out.append(value)
    return json.dumps(out, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous: str, payload: bytes) -> str:
    return hashlib.sha256(previous.encode("ascii") + payload).hexdigest()


# --- writing -------------------------------------------------------------------------------------------

def lock(chain: Chain, cursor) -> None:
    """Serialise the chain's writers until the end of the current transaction (PostgreSQL)."""
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.lock_key])


def lock_events() -> None:
    """Take the audit lock now, ahead of other row locks.

    Lock order across Patuh: case rows, then rollup rows, then this lock, then sanction rows. A service that
    locks a sanction and then writes events calls this first, so it cannot hold the sanction while waiting
    for a sweeper that holds this lock and wants the sanction. Re-entrant within a transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.lock_events() must run inside a transaction")
    with connection.cursor() as cursor:
        lock(CASE_EVENTS, cursor)


def head(chain: Chain, cursor) -> tuple[int, str]:
    """(id, hash) of the chain's last row, or (0, GENESIS) when it is empty."""
    cursor.execute(f'SELECT id, hash FROM "{chain.table}" ORDER BY id DESC LIMIT 1')  # noqa: S608 (a constant table name)
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def next_ids(chain: Chain, cursor, n: int, last_id: int) -> Sequence[int]:
    """n fresh ids, increasing and all above the chain's head (call under the chain's lock).

    `nextval` needs only USAGE on the sequence, which the application's role has (setval would need UPDATE).
    """
    if connection.vendor == "postgresql":
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) ORDER BY 1",
                       [chain.table, n])
        return [row[0] for row in cursor.fetchall()]
    return range(last_id + 1, last_id + n + 1)


def seal(model, rows: Sequence) -> None:
    """Give new rows (instances or dicts of attribute values) their ids and hashes, in order.

    Must run inside the transaction that inserts them, immediately before the insert; the lock it takes is
    held until that transaction ends.
    """
    if not rows:
        return
    chain = chain_for(model)
    if chain is None:
        raise ValueError(f"{model._meta.label} is not an audited table")
    if not connection.in_atomic_block:
        raise RuntimeError("audit.seal() must run inside the transaction that inserts the rows")
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    with connection.cursor() as cursor:
        lock(chain, cursor)
        last_id, previous = head(chain, cursor)
        ids = next_ids(chain, cursor, len(rows), last_id)
    for pk, row in zip(ids, rows, strict=True):
        values = row if isinstance(row, dict) else row.__dict__
        for name, default in defaults.items():
            if name not in values:
                values[name] = default
        previous = link(previous, canonical(chain, pk, values))
        values["id"] = pk
        values["hash"] = previous


def create(model, **values):
    """Insert one audited row through the chain (the single-row writer)."""
    obj = model(**values)
    with transaction.atomic():
        seal(model, [obj])
        obj.save(force_insert=True)
    return obj


# --- verifying -----------------------------------------------------------------------------------------

@dataclass
class Break:
    chain: Chain
    pk: int
    position: int
    stored: str
    expected: str

    def __str__(self) -> str:
        return (f"{self.chain.label}: broken link at id {self.pk} (row {self.position} of the chain): "
                f"stored hash {self.stored or '(none)'}, expected {self.expected}. This row, or the one "
                f"before it, was changed, inserted or removed outside the application.")


@dataclass
class Head:
    chain: Chain
    count: int
    last_id: int
    last_hash: str


def stored_rows(chain: Chain, model, batch: int = 20_000) -> Iterator[tuple[int, str, dict]]:
    """The chain's rows in id order, as stored values, read in keyset pages (bounded memory)."""
    after = 0
    while True:
        page = list(model.objects.order_by("id").filter(id__gt=after)
                    .values_list("id", "hash", *chain.columns)[:batch])
        if not page:
            return
        for pk, stored, *rest in page:
            yield pk, stored, dict(zip(chain.columns, rest, strict=True))
        after = page[-1][0]


def verify(chain: Chain, model, *, batch: int = 20_000) -> tuple[Head, Break | None]:
    previous, count, last_id = GENESIS, 0, 0
    for pk, stored, values in stored_rows(chain, model, batch):
        count += 1
        expected = link(previous, canonical(chain, pk, values))
        if stored != expected:
            return Head(chain, count - 1, last_id, previous), Break(chain, pk, count, stored, expected)
        previous, last_id = expected, pk
    return Head(chain, count, last_id, previous), None


def backfill(chain: Chain, rows: Iterable[tuple[int, dict]]) -> Iterator[tuple[int, str]]:
    """(id, hash) for existing rows in id order; used once, by the migration that introduced the chain."""
    previous = GENESIS
    for pk, values in rows:
        previous = link(previous, canonical(chain, pk, values))
        yield pk, previous
