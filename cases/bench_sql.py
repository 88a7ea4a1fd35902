"""Benchmark-only SQL recording (bench/run.py): how many queries a request ran, and for how long.

Present only when `PATUH_BENCH_SQL=1` (portal/settings.py adds the middleware then, and only then). It wraps
every query of the request (`connection.execute_wrapper`) and answers with two headers:

- `X-Patuh-Queries`: the number of queries the request ran;
- `X-Patuh-DB-ms`: their total time in the database driver, in milliseconds.

When `PATUH_BENCH_SQL_DUMP` names a directory and the request carries `X-Patuh-Bench-Dump: <name>`, the
statements are also written to `<dir>/<name>.json`, with their parameters bound exactly as the driver sends
them (psycopg's client-side `mogrify`), so the benchmark can re-run the very same SQL with psycopg alone.

For a streamed response the figures cover the view up to the first byte (the headers go out first).

It never belongs in production: it answers loopback clients only, and with DEBUG off the deployment check
warns about it (`patuh.W001`), which `manage.py check --deploy --fail-level WARNING` turns into a failure.
"""

import json
import re
import time
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.db import connections

from cases.middleware import client_ip

ENV = "PATUH_BENCH_SQL"
MIDDLEWARE = "cases.bench_sql.BenchSQLMiddleware"
LOOPBACK = {"127.0.0.1", "::1"}
DUMP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class _Recorder:
    def __init__(self, alias: str, dump: bool):
        self.alias, self.dump = alias, dump
        self.count, self.seconds, self.statements = 0, 0.0, []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            if self.dump and not many:
                self.statements.append(self._bound(sql, params, context))

    def _bound(self, sql, params, context) -> str:
        wrapper = context.get("connection")
        raw = getattr(wrapper, "connection", None)
        if wrapper is not None and wrapper.vendor == "postgresql" and raw is not None:
            # A cursor of its own: mogrify on the executing cursor would disturb its result (a named cursor's).
            with raw.cursor() as cursor:
                mogrify = getattr(cursor, "mogrify", None)  # psycopg's ClientCursor: the statement exactly as sent
                if mogrify is not None:
                    return mogrify(sql, params)
        return f"{sql} -- params: {params!r}"


class BenchSQLMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.dump_dir = getattr(settings, "PATUH_BENCH_SQL_DUMP", "")

    def __call__(self, request):
        # The real client's address (behind a proxy on the same host REMOTE_ADDR is always loopback).
        if client_ip(request) not in LOOPBACK:
            return self.get_response(request)
        name = request.headers.get("X-Patuh-Bench-Dump", "")
        dump = bool(self.dump_dir and DUMP_NAME.fullmatch(name))
        recorders = [_Recorder(alias, dump) for alias in connections]
        wrappers = [connections[r.alias].execute_wrapper(r) for r in recorders]
        for wrapper in wrappers:
            wrapper.__enter__()
        try:
            response = self.get_response(request)
        finally:
            for wrapper in reversed(wrappers):
                wrapper.__exit__(None, None, None)
        response["X-Patuh-Queries"] = str(sum(r.count for r in recorders))
        response["X-Patuh-DB-ms"] = f"{sum(r.seconds for r in recorders) * 1000:.2f}"
        if dump:
            statements = [{"alias": r.alias, "sql": s} for r in recorders for s in r.statements]
            Path(self.dump_dir, f"{name}.json").write_text(json.dumps(statements))
        return response


@checks.register(checks.Tags.security, deploy=True)
def bench_sql_off_in_production(app_configs, **kwargs):
    if MIDDLEWARE in settings.MIDDLEWARE and not settings.DEBUG:
        return [checks.Warning(
            "Benchmark SQL recording (PATUH_BENCH_SQL) is on with DEBUG off.",
            hint="It is for bench/run.py only; unset PATUH_BENCH_SQL in production.",
            id="patuh.W001",
        )]
    return []
