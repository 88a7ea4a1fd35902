"""Bulk intake throughput: batches of 1,000 orders through the real API view, on PostgreSQL.

    .venv/bin/python bench/bulk_intake.py [--batches 20] [--size 1000] [--no-submit]
        [--url postgres://postgres@127.0.0.1:5432/patuh_bench]

Creates (or recreates) the scratch database named in --url, migrates it, makes ten platforms with two
liaisons each (so every submission queues notices), an analyst and a bearer token, then POSTs the batches
to /api/v1/cases/bulk/ with DRF's APIClient: authentication, throttling, parsing, validation, the bulk
service, the bulk submission, the notices and the response all run as in production, minus the network.
Prints cases/s. The scratch database is dropped afterwards unless --keep.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ["terrorism", "gambling", "hoax", "pornography", "fraud", "drugs", "hate_speech", "sara"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--no-submit", action="store_true", help="create drafts only")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/patuh_bench")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()

    in_scratch_database(args, run)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "test", "template0", "template1"}:
        sys.exit(f"refusing to use {name!r} as a scratch database; name a throwaway one, e.g. patuh_bench")
    return urlunsplit(parts._replace(path="/postgres")), name


def recreate_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def in_scratch_database(args, run) -> None:
    """Run the benchmark `run(args)` in the freshly created scratch database named by --url, and drop it after
    unless --keep: shared by the benchmarks that build their own data."""
    recreate_database(args.url)
    try:
        run(args)
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(args.url)


def drop_database(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
    os.environ["DATABASE_URL"] = args.url
    os.environ["PATUH_VAR_DIR"] = tempfile.mkdtemp(prefix="patuh-bench-")
    for scope in ("USER", "IP", "BULK"):
        os.environ[f"PATUH_API_RATE_{scope}"] = "1000000/minute"
    os.environ.pop("DJANGO_DEBUG", None)  # no query log
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from cases.api.services.tokens import create_token
    from cases.models import Case, CaseEvent, Notification, Platform
    from tests.conftest import make_user

    call_command("migrate", verbosity=0)
    platforms = [Platform.objects.create(name=f"Platform {i}", slug=f"platform-{i}") for i in range(10)]
    for p in platforms:
        for j in range(2):
            make_user(f"liaison-{p.slug}-{j}", "liaison", platform=p)
    analyst = make_user("bench-analyst", "analyst")
    key = create_token(actor=analyst, name="bench").key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    rng = random.Random(42)
    batches = []
    for b in range(args.batches):
        batches.append({"submit": not args.no_submit, "items": [
            {"platform": rng.choice(platforms).slug, "category": rng.choice(CATEGORIES),
             "location_url": f"https://example.org/bench/{b}/{i}/{rng.getrandbits(32):x}",
             "legal_basis": "UU ITE Art. 27(1)", "reasons": "Found by the AIS crawler.", "source": "crawler",
             "source_detail": f"run {b}"}
            for i in range(args.size)
        ]})

    # One warm-up batch (imports, caches, the first connection), not timed.
    warm = client.post("/api/v1/cases/bulk/", {"submit": False, "items": [
        {"platform": platforms[0].slug, "category": "hoax", "location_url": "https://example.org/warm",
         "legal_basis": "x", "reasons": "x"}]}, format="json")
    assert warm.status_code == 200, warm.content

    timings = []
    started = time.perf_counter()
    for body in batches:
        t0 = time.perf_counter()
        response = client.post("/api/v1/cases/bulk/", body, format="json")
        timings.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content[:500]
        assert response.json()["counts"]["created"] == len(body["items"]), response.json()["counts"]
    elapsed = time.perf_counter() - started

    total = args.batches * args.size
    created = Case.objects.count() - 1
    assert created == total, (created, total)
    print(f"database        PostgreSQL ({args.url.rsplit('/', 1)[-1]})")
    print(f"batches         {args.batches} x {args.size} items, submit={not args.no_submit}")
    print(f"cases created   {created}")
    print(f"events written  {CaseEvent.objects.count()}")
    print(f"notices queued  {Notification.objects.count()}")
    print(f"elapsed         {elapsed:.2f} s")
    print(f"per batch       median {statistics.median(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms")
    print(f"throughput      {total / elapsed:,.0f} cases/s")


if __name__ == "__main__":
    main()
