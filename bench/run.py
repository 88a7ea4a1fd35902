"""The page and API benchmark: a production server (gunicorn, DEBUG off) and a client over loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_big .venv/bin/python bench/run.py [--repeat 20]
        [--workers 2] [--port 8765] [--only NAME ...] [--skip NAME ...] [--bulk-batches 10] [--markdown FILE]

DATABASE_URL names a database already filled by `manage.py generate_load` (its name must start with
"bench": the benchmark writes to it; see below). The script:

1. creates or refreshes its own users (bench-analyst, bench-supervisor, and bench-liaison of the platform with
   the most cases) with a random password, and API tokens for the analyst and the liaison;
2. starts gunicorn itself with production settings: DJANGO_DEBUG unset, a generated DJANGO_SECRET_KEY,
   DJANGO_ALLOWED_HOSTS=127.0.0.1, persistent connections (DATABASE_CONN_MAX_AGE=600). Two changes, both
   through variables the settings already read: PATUH_REQUIRE_2FA=0 (the bench users have no authenticator)
   and raised API rate limits. HTTPS is what nginx would give: PATUH_BEHIND_PROXY=1 and the client sends
   `X-Forwarded-Proto: https`, so the HTTPS redirect, HSTS and the Secure `__Host-` cookies stay on as in
   production; the client's cookie jar returns Secure cookies to 127.0.0.1 as a browser would over TLS.
   PATUH_BENCH_SQL=1 adds the bench-only middleware (cases/bench_sql.py): each response tells its number of
   queries and their time, and dumps the statements on request;
3. logs in through the real login forms (ministry and platform consoles); the API rows use the analyst's token, and
   the liaison's for "API list, first page, liaison". Per row, it warms up, then times
   --repeat requests: p50, p95, queries per request, and the ratio of p50 to the raw SQL time, which is the
   same statements (as psycopg sent them) re-run directly with psycopg inside a transaction that is rolled
   back;
4. streams the CSV export of (up to) 1 million cases: rows/s, and the peak RSS of the gunicorn worker
   (VmHWM, reset through /proc/<pid>/clear_refs before the export);
5. bulk intake: --bulk-batches batches of 1,000 submitted orders on a platform of its own
   ("bench-intake", with two liaisons so notices are queued, as in production). Those cases stay in the
   database: cases and their events are append-only, so a bench database grows with each run.

Budgets are the p95 targets at 10 million cases (issue 7); on a smaller data set the verdict is indicative.
"""

import argparse
import base64
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = secrets.token_urlsafe(18)
CSV_ROWS = 1_000_000

# name: (budget, unit) — "ms" is a p95 ceiling; "rows/s" and "cases/s" are floors.
BUDGETS = {
    "changelist default": (150, "ms"), "changelist filtered": (150, "ms"), "changelist searched": (150, "ms"),
    "platform inbox": (100, "ms"), "case page": (100, "ms"),
    "API list, first page": (60, "ms"), "API list, first page, liaison": (60, "ms"),
    "API list, deep cursor": (60, "ms"), "API case detail": (60, "ms"),
    "compliance, 30 days": (300, "ms"), "compliance, all history": (1000, "ms"), "daily, 90 days": (200, "ms"),
    "compliance, 30 days, one platform": (300, "ms"), "compliance, a past month": (1000, "ms"),
    "ministry dashboard": (150, "ms"), "platform dashboard": (150, "ms"),
    "CSV export": (100_000, "rows/s"), "bulk intake": (2_000, "cases/s"),
}
CSV_RSS_BUDGET_MB = 200


# --- set-up (in process, Django against the same database) ------------------------------------------------


def setup_django(url: str):
    os.environ.update(DATABASE_URL=url, DJANGO_SECRET_KEY=secrets.token_urlsafe(32),
                      DJANGO_SETTINGS_MODULE="portal.settings", PATUH_VAR_DIR=tempfile.mkdtemp(prefix="patuh-bench-"))
    os.environ.pop("DJANGO_DEBUG", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def csv_filter(url: str) -> dict:
    """The export's filter: none up to 1.1 M cases; else those submitted from the Jakarta day after the millionth
    newest submission (about a million). Read-only; `url` may be another database than the bench's."""
    from zoneinfo import ZoneInfo

    with psycopg.connect(url) as conn:
        conn.read_only = True
        total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        if total <= CSV_ROWS * 1.1:
            return {}
        stamp = conn.execute("SELECT submitted_at FROM cases_case WHERE submitted_at IS NOT NULL "
                             "ORDER BY submitted_at DESC OFFSET %s LIMIT 1", (CSV_ROWS,)).fetchone()[0]
    return {"submitted_from": (stamp.astimezone(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)).isoformat()}


def export_copy_sql(export_filter: dict) -> str:
    """The COPY statement the export view runs for an analyst with this filter, parameters bound."""
    from django.db import connection

    from cases.api.export import copy_statement, export_rows
    from cases.core.filtersets import CaseFilterSet
    from cases.models import Case

    copy_sql, copy_params = copy_statement(export_rows(CaseFilterSet(export_filter, queryset=Case.objects.all()).qs))
    with connection.cursor() as cur:
        return cur.cursor.mogrify(copy_sql, copy_params)


def prepare(url: str) -> dict:
    """Bench users, tokens and the throwaway intake platform; ids the rows need."""
    setup_django(url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.models import Count

    from cases.api.services.tokens import create_token
    from cases.core import roles
    from cases.models import Case, Evidence, Platform, PlatformMembership

    roles.sync_role_groups()
    User = get_user_model()

    def user(name, role, platform=None):
        u, _ = User.objects.get_or_create(username=name, defaults={"email": f"{name}@bench.invalid"})
        u.is_active, u.is_staff = True, role in roles.MINISTRY_ROLES
        u.set_password(PASSWORD)
        u.save()
        u.groups.set([Group.objects.get(name=role)])
        if platform is not None:
            PlatformMembership.objects.get_or_create(user=u, platform=platform)
        return u

    biggest = Platform.objects.get(pk=Case.objects.values("platform").annotate(n=Count("id")).order_by("-n")
                                   .values_list("platform", flat=True)[0])
    analyst = user("bench-analyst", roles.ANALYST)
    user("bench-supervisor", roles.SUPERVISOR)
    liaison = user("bench-liaison", roles.LIAISON, biggest)
    intake, _ = Platform.objects.get_or_create(slug="bench-intake", defaults={"name": "Bench intake (throwaway)"})
    for i in range(2):
        user(f"bench-intake-liaison-{i}", roles.LIAISON, intake)
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id), count(*) FROM cases_case")
        min_id, max_id, total = cur.fetchone()
    case_id = Evidence.objects.order_by("-case_id").values_list("case_id", flat=True).first() or max_id

    export_filter = csv_filter(url)
    copy_sql = export_copy_sql(export_filter)
    return {
        "analyst_token": create_token(actor=analyst, name=f"bench {uuid.uuid4().hex[:8]}").key,
        "liaison_token": create_token(actor=liaison, name=f"bench {uuid.uuid4().hex[:8]}").key,
        "platform_id": biggest.pk, "platform_slug": biggest.slug, "min_id": min_id, "max_id": max_id,
        "total": total, "case_id": case_id,
        "case_reference": Case.objects.filter(pk=case_id).values_list("reference", flat=True).get(),
        "export_filter": export_filter, "copy_sql": copy_sql,
    }


# --- the server ------------------------------------------------------------------------------------------


def start_server(url: str, port: int, workers: int, dump_dir: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PATUH_", "DATABASE_"))}
    env.update(
        DATABASE_URL=url, DATABASE_CONN_MAX_AGE="600",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64), DJANGO_ALLOWED_HOSTS="127.0.0.1",
        PATUH_REQUIRE_2FA="0", PATUH_BEHIND_PROXY="1", PATUH_VAR_DIR=tempfile.mkdtemp(prefix="patuh-bench-var-"),
        PATUH_BENCH_SQL="1", PATUH_BENCH_SQL_DUMP=dump_dir, DJANGO_LOG_LEVEL="WARNING",
        **{f"PATUH_API_RATE_{s}": "1000000/minute" for s in ("USER", "IP", "BULK", "ANON")},
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/api/v1/", timeout=2, allow_redirects=False)
            return server
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or a worker still starting
            if server.poll() is not None:
                sys.exit("gunicorn exited at start-up")
            time.sleep(0.3)
    stop_server(server)
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # our own process group only (start_new_session)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def worker_pids(server: subprocess.Popen) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == server.pid:  # its parent is the gunicorn master
            pids.append(int(stat.parent.name))
    return pids


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- the client ------------------------------------------------------------------------------------------


class OverTLS(requests.Session):
    """Secure cookies go back to 127.0.0.1, as a browser's would over the TLS that nginx terminates: the server
    believes the connection is HTTPS (X-Forwarded-Proto). requests itself sends Secure cookies only over https,
    so the Cookie header is written here from the jar, which still stores what the server sets."""

    def request(self, method, url, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        return super().request(method, url, headers=headers, **kwargs)


def session(base: str) -> requests.Session:
    s = OverTLS()
    s.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "en"})
    s.base = base
    return s


def login(s: requests.Session, console: str, username: str) -> requests.Session:
    page = s.get(f"{s.base}/{console}/login/", timeout=30)
    token = next(c.value for c in s.cookies if c.name.endswith("csrftoken"))
    response = s.post(f"{s.base}/{console}/login/", timeout=30, allow_redirects=False,
                      data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token,
                            "next": f"/{console}/"},
                      headers={"Referer": page.url.replace("http://", "https://")})
    if response.status_code != 302:
        sys.exit(f"login of {username} at /{console}/ failed: {response.status_code}")
    return s


def bearer(base: str, key: str) -> requests.Session:
    s = session(base)
    s.headers["Authorization"] = f"Bearer {key}"
    return s


def measure(s, path, repeat: int, dump_dir: str, name: str) -> dict:
    url = s.base + path
    for _ in range(2):  # warm-up
        r = s.get(url, timeout=120)
        if r.status_code != 200:
            sys.exit(f"{name}: {path} answered {r.status_code}: {r.text[:300]}")
    times, queries, db_ms = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = s.get(url, timeout=120)
        times.append((time.perf_counter() - t0) * 1000)
        queries.append(int(r.headers["X-Patuh-Queries"]))
        db_ms.append(float(r.headers["X-Patuh-DB-ms"]))
    dump = f"row{uuid.uuid4().hex[:12]}"
    s.get(url, timeout=120, headers={"X-Patuh-Bench-Dump": dump})
    statements = [st["sql"] for st in json.loads(Path(dump_dir, f"{dump}.json").read_text())]
    return {"times": times, "queries": max(queries), "db_ms": statistics.median(db_ms), "statements": statements}


def raw_sql_ms(url: str, statements: list[str], repeat: int, *, read_only: bool = False) -> float:
    """The same statements, run directly with psycopg, in a transaction rolled back; median of `repeat`. With
    `read_only`, only the SELECTs, in a READ ONLY transaction (for --replay-url, a database not ours)."""
    totals = []
    # The rate limiter's counters (the database cache table when no Redis is set) are not the page's SQL, and an
    # INSERT of the same counter key twice would fail.
    statements = [s for s in statements if '"patuh_cache"' not in s and "patuh_cache " not in s]
    if read_only:
        statements = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    with psycopg.connect(url) as conn:
        conn.read_only = read_only
        for _ in range(repeat):
            t0 = time.perf_counter()
            with conn.cursor() as cur:
                for sql in statements:
                    cur.execute(sql.encode() if isinstance(sql, str) else sql, prepare=False)
                    if cur.description is not None:
                        cur.fetchall()
            totals.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
    return statistics.median(totals)


def percentile(values, q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def csv_export(s, path: str, server) -> dict:
    pids = worker_pids(server)
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    t0 = time.perf_counter()
    lines = size = 0
    with s.get(s.base + path, stream=True, timeout=600) as r:
        r.raise_for_status()
        queries = int(r.headers["X-Patuh-Queries"])
        for chunk in r.iter_content(chunk_size=1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
    elapsed = time.perf_counter() - t0
    return {"rows": lines - 1, "bytes": size, "seconds": elapsed, "queries": queries,
            "rss_mb": max(vm_hwm_mb(p) for p in pids)}


def raw_copy(url: str, copy_sql: str) -> tuple[int, float]:
    """Rows and seconds of the export's COPY run directly with psycopg (read-only)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        conn.read_only = True
        rows, t0 = 0, time.perf_counter()
        with cur.copy(copy_sql.encode()) as copy:
            for _row in copy:
                rows += 1
        seconds = time.perf_counter() - t0
        conn.rollback()
        return rows, seconds


def bulk_intake(s, batches: int) -> dict:
    run = uuid.uuid4().hex[:10]
    bodies = [{"submit": True, "items": [
        {"platform": "bench-intake", "category": ("hoax", "gambling", "terrorism", "fraud")[i % 4],
         "location_url": f"https://bench-intake.example/{run}/{b}/{i}", "legal_basis": "UU ITE Art. 27(1)",
         "reasons": "Found by the AIS crawler (benchmark).", "source": "crawler", "source_detail": f"bench {run}"}
        for i in range(1000)]} for b in range(batches + 1)]
    times, queries = [], []
    for b, body in enumerate(bodies):
        t0 = time.perf_counter()
        r = s.post(s.base + "/api/v1/cases/bulk/", json=body, timeout=300,
                   headers={"Idempotency-Key": f"bench-{run}-{b}"})
        if r.status_code != 200 or r.json()["counts"]["created"] != 1000:
            sys.exit(f"bulk intake: {r.status_code} {r.text[:300]}")
        if b:  # the first batch is the warm-up
            times.append(time.perf_counter() - t0)
            queries.append(int(r.headers["X-Patuh-Queries"]))
    return {"times": [t * 1000 for t in times], "rate": 1000 * len(times) / sum(times), "queries": max(queries)}


# --- the table --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--raw-repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, choices=[2, 3])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--bulk-batches", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=None, help="rows whose name contains one of these words")
    parser.add_argument("--skip", nargs="*", default=[], help="rows whose name contains one of these words")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--replay-url", help="also re-run each row's SELECTs, read-only, on this (bigger) database, "
                        "e.g. a 10M-case one that is not ours to write to")
    parser.add_argument("--replay-repeat", type=int, default=3)
    args = parser.parse_args()
    dbname = args.url.rsplit("/", 1)[-1].split("?")[0]
    if not args.url.startswith("postgres") or not dbname.startswith("bench"):
        sys.exit("DATABASE_URL must name a PostgreSQL database called bench...: the benchmark writes to it "
                 "(users, tokens, sessions, and the bulk intake's cases).")

    def wanted(name):
        if any(w in name for w in args.skip):
            return False
        return args.only is None or any(w in name for w in args.only)

    info = prepare(args.url)
    replay_total = 0
    if args.replay_url:
        with psycopg.connect(args.replay_url) as conn:
            replay_total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
    today = date.today()
    dump_dir = tempfile.mkdtemp(prefix="patuh-bench-sql-")
    base = f"http://127.0.0.1:{args.port}"
    deep = base64.b64encode(f"p={info['min_id'] + 1000}".encode()).decode()
    pages = [
        ("changelist default", "ministry", "/admin/cases/case/"),
        ("changelist filtered", "ministry",
         f"/admin/cases/case/?platform={info['platform_slug']}&status=submitted&deadline_state=overdue"),
        ("changelist searched", "ministry", "/admin/cases/case/?q=example%2Fload%2F4242"),
        ("platform inbox", "platform", "/platform/cases/case/?awaiting=true"),
        ("case page", "ministry", f"/admin/cases/case/{info['case_id']}/change/"),
        ("API list, first page", "api", "/api/v1/cases/"),
        ("API list, first page, liaison", "api-liaison", "/api/v1/cases/"),
        ("API list, deep cursor", "api", f"/api/v1/cases/?cursor={deep}"),
        ("API case detail", "api", f"/api/v1/cases/{info['case_reference']}/"),
        ("compliance, 30 days", "api", "/api/v1/reports/compliance/"),
        ("compliance, all history", "api", f"/api/v1/reports/compliance/?from=2000-01-01&to={today}"),
        ("daily, 90 days", "api", f"/api/v1/reports/daily/?from={today - timedelta(days=89)}&to={today}"),
        ("compliance, 30 days, one platform", "api",
         f"/api/v1/reports/compliance/?platform={info['platform_slug']}&category=gambling"),
        ("compliance, a past month", "api", f"/api/v1/reports/compliance/?from={today - timedelta(days=75)}"
                                            f"&to={today - timedelta(days=46)}"),
        ("ministry dashboard", "ministry", "/admin/"),
        ("platform dashboard", "platform", "/platform/"),
    ]
    server = start_server(args.url, args.port, args.workers, dump_dir)
    results = []
    try:
        clients = {"ministry": login(session(base), "admin", "bench-supervisor"),
                   "platform": login(session(base), "platform", "bench-liaison"),
                   "api": bearer(base, info["analyst_token"]), "api-liaison": bearer(base, info["liaison_token"])}
        for name, client, path in pages:
            if not wanted(name):
                continue
            m = measure(clients[client], path, args.repeat, dump_dir, name)
            raw = raw_sql_ms(args.url, m["statements"], args.raw_repeat)
            p50, p95 = statistics.median(m["times"]), percentile(m["times"], 0.95)
            budget = BUDGETS[name][0]
            row = [name, f"{p50:.1f}", f"{p95:.1f}", m["queries"], f"{m['db_ms']:.1f}", f"{raw:.1f}",
                   f"{p50 / raw:.1f}x" if raw else "—", "", f"p95 ≤ {budget} ms", "pass" if p95 <= budget else "FAIL"]
            if args.replay_url:
                reads = raw_sql_ms(args.url, m["statements"], args.raw_repeat, read_only=True)
                big = raw_sql_ms(args.replay_url, m["statements"], args.replay_repeat, read_only=True)
                estimate = p95 - reads + big  # the app's own time, measured here, plus the SQL at the bigger size
                row[7:7] = [f"{big:.1f}", f"{estimate:.0f}"]
                row[-1] = f"{row[-1]} (est. {'pass' if estimate <= budget else 'FAIL'})"
            results.append(tuple(row))
            print(f"  {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, {m['queries']} queries", file=sys.stderr)
        if wanted("CSV export"):
            query = "&".join(f"{k}={v}" for k, v in info["export_filter"].items())
            c = csv_export(clients["api"], "/api/v1/cases/export.csv" + (f"?{query}" if query else ""), server)
            raw_s = raw_copy(args.url, info["copy_sql"])[1]
            rate = c["rows"] / c["seconds"]
            ok = rate >= BUDGETS["CSV export"][0] and c["rss_mb"] <= CSV_RSS_BUDGET_MB
            row = ["CSV export", "—", "—", c["queries"], "—", f"{raw_s * 1000:.0f}", f"{c['seconds'] / raw_s:.1f}x",
                   f"{c['rows']:,} rows, {c['bytes'] / 1e6:.0f} MB in {c['seconds']:.1f} s: "
                   f"{rate:,.0f} rows/s; worker peak RSS {c['rss_mb']:.0f} MB",
                   f"≥ 100,000 rows/s, RSS ≤ {CSV_RSS_BUDGET_MB} MB", "pass" if ok else "FAIL"]
            if args.replay_url:
                big_rows, big_s = raw_copy(args.replay_url, export_copy_sql(csv_filter(args.replay_url)))
                row[7:7] = [f"{big_s * 1000:.0f} ({big_rows:,} rows)", "—"]
            results.append(tuple(row))
            print(f"  CSV export: {rate:,.0f} rows/s, RSS {c['rss_mb']:.0f} MB", file=sys.stderr)
        if wanted("bulk intake"):
            b = bulk_intake(clients["api"], args.bulk_batches)
            row = ["bulk intake", f"{statistics.median(b['times']):.0f}", f"{percentile(b['times'], 0.95):.0f}",
                   b["queries"], "—", "—", "—", f"{args.bulk_batches} × 1,000 submitted: {b['rate']:,.0f} cases/s",
                   "≥ 2,000 cases/s", "pass" if b["rate"] >= 2000 else "FAIL"]
            if args.replay_url:
                row[7:7] = ["—", "—"]
            results.append(tuple(row))
            print(f"  bulk intake: {b['rate']:,.0f} cases/s", file=sys.stderr)
    finally:
        stop_server(server)
        shutil.rmtree(dump_dir, ignore_errors=True)

    header = ["row", "p50 ms", "p95 ms", "queries/req", "DB ms (server)", "raw SQL ms", "p50 / raw", "throughput",
              "budget (10M cases)", "result"]
    if args.replay_url:
        header[7:7] = ["raw SELECTs ms on replay DB", "est. p95 ms there"]
    lines = [
        f"Data set: {info['total']:,} cases ({dbname}); gunicorn {args.workers} sync workers, DEBUG off; "
        f"{args.repeat} requests per row after 2 warm-up requests."
        + (f" Replay DB (read-only SELECTs): {replay_total:,} cases; est. p95 there = p95 here - SELECTs here "
           "+ SELECTs there." if args.replay_url else ""),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(str(v) for v in row) + " |" for row in results),
    ]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")


if __name__ == "__main__":
    main()
