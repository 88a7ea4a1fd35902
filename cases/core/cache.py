"""The cache every worker shares: rate-limit counters (cases.api.throttling) and anything else that counts.

Each gunicorn worker is a process; a per-process cache (Django's default, local memory) gave each worker its
own counters, so two workers admitted twice the limits. So the cache is always shared (portal/settings.py):
Redis when PATUH_REDIS_URL (or CACHE_URL) is set, else a table in the database (nothing to install). The
table is created after every `migrate` (the post_migrate hook below, which runs Django's createcachetable).

Counting needs an atomic increment. Redis has one; Django's database cache reads and writes. `DatabaseCache`
here makes `incr` atomic: the row is locked (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the transaction
takes the database's write lock when it begins, portal/settings.py's transaction_mode IMMEDIATE).
"""

import base64
import pickle
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache as DjangoDatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

TABLE = "patuh_cache"


class DatabaseCache(DjangoDatabaseCache):
    def incr(self, key, delta=1, version=None):
        """Django's read-then-write, made atomic, and keeping the entry's expiry (Django's `set` would reset it)."""
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        now = (timezone.now() if settings.USE_TZ else datetime.now()).replace(microsecond=0)  # noqa: DTZ005
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE cache_key = %s AND expires > %s{lock}",  # noqa: S608
                           [key, connection.ops.adapt_datetimefield_value(now)])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            value = pickle.loads(base64.b64decode(row[0].encode())) + delta  # noqa: S301 - our own rows
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])  # noqa: S608
        return value


    def hit(self, key, previous_key, timeout) -> tuple[int, int]:
        """One request counted by a rate limit (cases.api.throttling): the counter `key` raised by one (from 0 when
        absent or expired, kept `timeout` seconds from its creation), and the value of `previous_key` (0 if
        none). One transaction of three statements, where `get`, `add` and `incr` took six and two transactions
        (Django's `add` also counts the whole table first, to cull it: here that is done only when the counter is
        new, once per window, and culls as `add` would)."""
        key = self.make_and_validate_key(key)
        previous_key = self.make_and_validate_key(previous_key)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        quote = connection.ops.quote_name
        table = quote(self._table)
        key_column, value_column, expires_column = quote("cache_key"), quote("value"), quote("expires")
        now = (timezone.now() if settings.USE_TZ else datetime.now()).replace(microsecond=0)  # noqa: DTZ005
        expires = datetime.fromtimestamp(self.get_backend_timeout(timeout), tz=UTC if settings.USE_TZ else None)
        adapt = connection.ops.adapt_datetimefield_value
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({key_column}, {value_column}, {expires_column}) VALUES (%s, %s, %s) "  # noqa: S608
                f"ON CONFLICT ({key_column}) DO UPDATE SET {value_column} = EXCLUDED.{value_column}, "
                f"{expires_column} = EXCLUDED.{expires_column} WHERE {table}.{expires_column} < %s",
                [key, self._encode(0), adapt(expires.replace(microsecond=0)), adapt(now)])
            new = cursor.rowcount == 1
            cursor.execute(f"SELECT {key_column}, {value_column} FROM {table} "  # noqa: S608
                           f"WHERE {key_column} IN (%s, %s) AND {expires_column} >= %s{lock}",
                           [key, previous_key, adapt(now)])
            values = {row[0]: pickle.loads(base64.b64decode(row[1].encode())) for row in cursor.fetchall()}  # noqa: S301
            count = values.get(key, 0) + 1
            cursor.execute(f"UPDATE {table} SET {value_column} = %s WHERE {key_column} = %s",  # noqa: S608
                           [self._encode(count), key])
        if new:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
                entries = cursor.fetchone()[0]
                if entries > self._max_entries:
                    self._cull(db, cursor, now, entries)
        return values.get(previous_key, 0), count

    def _encode(self, value) -> str:
        return base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")


def create_cache_table(using="default", **kwargs) -> None:
    """post_migrate: the database cache's table (idempotent). Made whatever cache is configured now, so a
    deployment that drops PATUH_REDIS_URL later still finds it (and test databases copied for servers too)."""
    from django.core.management.commands.createcachetable import Command

    tables = {TABLE} | {c["LOCATION"] for c in settings.CACHES.values() if c["BACKEND"].endswith("DatabaseCache")}
    command = Command()
    command.verbosity = 0
    for table in sorted(tables):
        command.create_table(using, table, dry_run=False)
