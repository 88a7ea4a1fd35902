"""Report reads on a read replica, when one is configured (`DATABASE_REPLICA_URL`, portal/settings.py).

Only code marked with `replica_reads()` (a context manager and a decorator) reads from the `replica` alias:
the report views of the API (cases/reporting/api/reports.py), whose figures may lag the primary by the replication
delay. Everything else, and every write anywhere, goes to `default`; so does any read made while `default` is
inside a transaction, which must see its own writes. Migrations run on `default` only: the replica follows it
through replication, and its connection is read-only (`default_transaction_read_only`), so a write that
reached it by mistake would fail rather than fork the data.
"""

from contextlib import ContextDecorator
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading_reports: ContextVar[bool] = ContextVar("patuh_replica_reads", default=False)


class replica_reads(ContextDecorator):  # noqa: N801 - used like a function: `with replica_reads():`
    """Reads inside go to the replica (if there is one)."""

    def _recreate_cm(self):
        return type(self)()  # a fresh token per decorated call: safe with threads and nesting

    def __enter__(self):
        self._token = _reading_reports.set(True)
        return self

    def __exit__(self, *exc):
        _reading_reports.reset(self._token)
        return False


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading_reports.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS
