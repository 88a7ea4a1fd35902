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
from datetime import datetime

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


def create_cache_table(using="default", **kwargs) -> None:
    """post_migrate: the database cache's table (idempotent). Made whatever cache is configured now, so a
    deployment that drops PATUH_REDIS_URL later still finds it (and test databases copied for servers too)."""
    from django.core.management.commands.createcachetable import Command

    tables = {TABLE} | {c["LOCATION"] for c in settings.CACHES.values() if c["BACKEND"].endswith("DatabaseCache")}
    command = Command()
    command.verbosity = 0
    for table in sorted(tables):
        command.create_table(using, table, dry_run=False)
