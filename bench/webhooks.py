"""Webhook delivery benchmark: deliveries per second per worker to a local receiver, and the time from submission
to receipt.

    python bench/webhooks.py                          # a scratch SQLite database in a temporary directory
    python bench/webhooks.py --database-url postgres://postgres@127.0.0.1:5432/bench_webhooks   # created, dropped

1. Throughput: N orders are submitted (bulk intake) while no worker runs, so N signed deliveries wait in the
   queue; then W `manage.py worker` processes start and the clock runs until the receiver has all N. Printed:
   deliveries per second, and per worker.
2. Latency: with the workers running, orders are submitted one by one (`create_case(submit=True)`, the same
   transition the consoles use) at a steady rate; for each, the time from its commit to the receiver's arrival.
   Printed: p50, p95 and max.

The receiver is a threaded HTTP server on 127.0.0.1 in this process; nothing leaves the machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="PostgreSQL URL of a scratch database (created, dropped); "
                        "its name must start with bench. Default: SQLite in a temporary directory.")
    parser.add_argument("--deliveries", type=int, default=2000, help="orders queued for the throughput run")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--rate", type=float, default=20, help="orders per second in the latency run")
    parser.add_argument("--seconds", type=float, default=15, help="length of the latency run")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="patuh-bench-webhooks-"))
    url = args.database_url or f"sqlite:///{scratch / 'bench.sqlite3'}"
    if args.database_url:
        name = url.rsplit("/", 1)[1]
        if not name.startswith("bench"):
            raise SystemExit("The database's name must start with bench: this benchmark creates and drops it.")
        _psql(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_DEBUG": "1", "DATABASE_URL": url,
           "PATUH_VAR_DIR": str(scratch), "PATUH_FETCH_ALLOW_LOOPBACK_HTTP": "1", "DJANGO_LOG_LEVEL": "WARNING"}
    os.environ.update(env)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v", "0"], env=env, check=True)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from cases.api.services.webhooks import create_endpoint
    from cases.cases.services.cases import create_case, create_cases_bulk
    from cases.core import roles
    from cases.core.choices import Category
    from cases.models import Platform, PlatformMembership, WebhookDelivery
    from tests.webhook_receiver import Receiver

    roles.sync_role_groups()
    User = get_user_model()
    analyst = User.objects.create_user("bench-analyst", is_staff=True)
    analyst.groups.add(Group.objects.get(name=roles.ANALYST))
    liaison = User.objects.create_user("bench-liaison")
    liaison.groups.add(Group.objects.get(name=roles.LIAISON))
    platform = Platform.objects.create(name="Bench", slug="bench", hosts="bench.example")
    PlatformMembership.objects.create(user=liaison, platform=platform)

    workers: list[subprocess.Popen] = []
    try:
        with Receiver() as receiver:
            create_endpoint(actor=liaison, platform=platform, url=receiver.url, event_types=["case.submitted"])

            # 1. Throughput.
            for start in range(0, args.deliveries, 1000):
                items = [dict(platform=platform, category=Category.HOAX, legal_basis="UU ITE Art. 28(1)",
                              reasons="Benchmark.", location_url=f"https://bench.example/t/{i}")
                         for i in range(start, min(args.deliveries, start + 1000))]
                create_cases_bulk(actor=analyst, items=items, submit=True)
            queued = WebhookDelivery.objects.count()
            started = time.monotonic()
            workers = [_worker(env) for _ in range(args.workers)]
            cpu_before = sum(_cpu_seconds(w.pid) for w in workers)
            receiver.wait_for(queued, timeout=600)
            elapsed = time.monotonic() - started
            cpu = sum(_cpu_seconds(w.pid) for w in workers) - cpu_before
            rate = queued / elapsed
            print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}; workers: {args.workers}; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"throughput: {queued} deliveries in {elapsed:.1f} s (worker start-up included) = {rate:.0f}/s, "
                  f"{rate / args.workers:.0f}/s per worker")
            print(f"worker CPU: {cpu * 1000 / queued:.2f} ms per delivery = {queued / cpu:.0f} deliveries per "
                  f"CPU-second (what one worker reaches with a core to itself)")

            # 2. Latency from commit to receipt.
            committed: dict[str, float] = {}
            arrived: dict[str, float] = {}
            before = len(receiver.requests)
            n = int(args.rate * args.seconds)
            for i in range(n):
                case = create_case(actor=analyst, platform=platform, category=Category.HOAX, submit=True,
                                   legal_basis="UU ITE Art. 28(1)", reasons="Benchmark.",
                                   location_url=f"https://bench.example/l/{i}")
                committed[case.reference] = time.time()
                time.sleep(max(0.0, 1 / args.rate - 0.002))
            receiver.wait_for(before + n, timeout=120)
            for request in receiver.requests[before:]:
                arrived[request.json["data"]["case"]["reference"]] = request.at
            latencies = sorted(arrived[ref] - at for ref, at in committed.items())
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            print(f"latency, submission committed -> receipt, {n} orders at {args.rate:g}/s: "
                  f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                  f"max {latencies[-1] * 1000:.0f} ms")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(10)
        from django.db import connections

        connections.close_all()
        if args.database_url:
            _psql(url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "worker", "--no-startup-delay", "-v", "0"],
                            env=env)


def _psql(url: str, *statements: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
