"""Re-checks per second against local servers with the rate limits on, and memory over 10,000 re-checks.

    python bench/rechecks.py                       # 10,000 re-checks, SQLite in a temporary directory
    python bench/rechecks.py --database-url postgres://postgres@127.0.0.1:5432/postgres   # a scratch PostgreSQL
    python bench/rechecks.py --count 2000 --hosts 10 --rate 20 --workers 4

What it does: creates `count` submitted cases through bulk intake, plans one re-check for each, spread over
`hosts` local web servers (127.0.0.2, 127.0.0.3, ... each its own host for the limiter), then runs them with
`workers` threads, each a worker's loop (`cases.evidence.services.rechecks.run_due`): every re-check fetches its page
through the SSRF guard, interprets it, stores the WARC as evidence (SHA-256, chain of custody) and writes its
hash-chained timeline event. It prints re-checks per second, the busiest second each host saw (which must stay
within the per-host rate), and the process's resident memory after each tenth of the run.

With PostgreSQL it creates the database `<name>_bench_rechecks` next to the one named, and drops it afterwards.
"""

import argparse
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second per host (the limit)")
    parser.add_argument("--workers", type=int, default=4, help="worker threads (0: run in the main thread)")
    parser.add_argument("--concurrency", type=int, default=8, help="the global concurrency cap")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL; default: SQLite in a temp dir")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="patuh-bench-rechecks-"))
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(32))
    os.environ.pop("DJANGO_DEBUG", None)  # debug keeps every query in memory: never in a memory benchmark
    os.environ["PATUH_VAR_DIR"] = str(scratch)
    pg_admin = None
    if args.database_url:
        import psycopg

        base = args.database_url.rsplit("/", 1)
        name = f"{base[1] or 'patuh'}_bench_rechecks"
        pg_admin = (args.database_url, name)
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{base[0]}/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    try:
        return run(args, scratch)
    finally:
        if pg_admin:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(pg_admin[0], autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_admin[1]}" WITH (FORCE)')


def run(args, scratch: Path) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from cases.cases.services.cases import create_cases_bulk
    from cases.core import clock
    from cases.core.choices import Category
    from cases.core.roles import ANALYST, sync_role_groups
    from cases.evidence.services import rechecks
    from cases.models import Platform, Recheck, RecheckReason
    from tests.recheck_server import FixtureServer, Route, fixture

    hosts = [f"127.0.0.{i + 2}" for i in range(args.hosts)]
    settings.EVIDENCE_ROOT = scratch / "evidence"
    settings.PATUH_FETCH_ALLOW_HOSTS = hosts
    settings.PATUH_RECHECKS = {**settings.PATUH_RECHECKS, "HOST_RATE": args.rate, "MAX_CONCURRENCY": args.concurrency,
                               "JITTER": 0, "VANTAGES": [{"name": "direct", "proxy": "", "country": "ID"}]}
    page = Route(200, fixture("generic/page_live.html"))
    servers = [FixtureServer(host=h, default=page) for h in hosts]
    for s in servers:
        s.__enter__()
    try:
        sync_role_groups()
        from django.contrib.auth.models import Group, User

        analyst = User.objects.create_user("bench-analyst", password=secrets.token_urlsafe(16), is_staff=True)
        analyst.groups.add(Group.objects.get(name=ANALYST))
        platform = Platform.objects.create(name="Bench", slug="bench")
        started = time.monotonic()
        cases = []
        for start in range(0, args.count, 1000):
            items = [{"platform": platform, "category": Category.GAMBLING, "legal_basis": "UU ITE Art. 27(2)",
                      "reasons": "Bench.", "location_url": f"{servers[n % len(servers)].url('/p/')}{n}"}
                     for n in range(start, min(args.count, start + 1000))]
            cases += [r.case for r in create_cases_bulk(actor=analyst, items=items, submit=True) if r.case]
        now = clock.now()
        Recheck.objects.bulk_create(
            [rechecks._new(c, reason=RecheckReason.ON_DEMAND, slot="bench", vantage="direct", due_at=now,
                           url=c.location_url) for c in cases], batch_size=1000)
        print(f"setup: {len(cases)} cases and re-checks in {time.monotonic() - started:.1f} s "
              f"({'PostgreSQL' if args.database_url else 'SQLite'})")

        done = [0]
        lock = threading.Lock()
        samples = []
        tenth = max(1, args.count // 10)

        def counted(_recheck):
            with lock:
                done[0] += 1
                if done[0] % tenth == 0:
                    samples.append((done[0], rss_mb(), time.monotonic()))

        def worker():
            from django.db import connection

            try:
                while rechecks.run_due(time_budget=3600, on_result=counted):
                    pass
            finally:
                connection.close()

        rss_start = rss_mb()
        t0 = time.monotonic()
        if args.workers == 0:  # in this thread, e.g. under cProfile
            worker()
        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        finished = Recheck.objects.filter(status="done").count()
        print(f"ran {finished} re-checks in {elapsed:.1f} s: {finished / elapsed:.1f} re-checks/s "
              f"({args.workers} worker threads, cap {args.concurrency}, {args.hosts} hosts at {args.rate:g}/s each: "
              f"at most {args.hosts * args.rate:g}/s)")
        busiest, closest = [], []
        for s in servers:
            times = sorted(hit.at for hit in s.hits)
            # The most requests in any one-second window (sliding), and the closest two requests.
            most, first = 0, 0
            for last, at in enumerate(times):
                while at - times[first] >= 1.0:
                    first += 1
                most = max(most, last - first + 1)
            busiest.append(most)
            closest.append(min((b - a for a, b in zip(times, times[1:], strict=False)), default=0))
        print(f"busiest second per host (sliding window): max {max(busiest)}, median "
              f"{sorted(busiest)[len(busiest) // 2]} (limit {args.rate:g}/s); closest two requests to one host: "
              f"{min(closest) * 1000:.0f} ms (slot {1000 / args.rate:.0f} ms)")
        slots: dict[str, list] = {}
        for host, at in Recheck.objects.values_list("host", "start_after"):
            slots.setdefault(host, []).append(at)
        booked = min((b - a).total_seconds() for at in slots.values() for a, b in
                     zip(sorted(at), sorted(at)[1:], strict=False))
        print(f"closest two booked slots of one host (when Patuh sent them): {booked * 1000:.0f} ms")
        print(f"resident memory: {rss_start:.0f} MB before; " +
              ", ".join(f"{n}: {mb:.0f} MB" for n, mb, _t in samples))
        if samples:
            print(f"memory growth from the first tenth to the end: {samples[-1][1] - samples[0][1]:+.1f} MB")
        verdicts = dict(Recheck.objects.values_list("verdict").annotate(n=__import__("django.db.models",
                                                                                     fromlist=["Count"]).Count("id")))
        print(f"verdicts: {verdicts}")
        return 0 if finished == args.count else 1
    finally:
        for s in servers:
            s.__exit__(None, None, None)


if __name__ == "__main__":
    sys.exit(main())
