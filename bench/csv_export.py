"""CSV export of cases: rows/s and peak memory while streaming a large export, on PostgreSQL.

    .venv/bin/python bench/csv_export.py [--rows 200000] [--url postgres://postgres@127.0.0.1:5432/patuh_bench_csv]

Creates (or recreates) the scratch database named in --url, migrates it, inserts --rows cases with one SQL
statement (generate_series), then GETs /api/v1/cases/export.csv through Django's test client as an analyst
with a bearer token, consuming the streamed body chunk by chunk (as a WSGI server would) without keeping it.
Prints rows/s and the peak RSS before and after the export: the export streams over a server-side cursor,
so the peak should not grow with the number of rows. The scratch database is dropped afterwards unless --keep.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk_intake import in_scratch_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


INSERT = """
INSERT INTO cases_case (
    reference, platform_id, category, tier, location_url, handle, native_id, normalized_location, legal_basis,
    reasons, requested_action, source, source_detail, issuing_authority, redress, status, created_at, updated_at,
    submitted_at, submission_count, deadline_hours, due_at, acknowledged_at, actioned_at, action_taken,
    action_taken_at, is_late, objection_reason, objection_text, version
)
SELECT
    'PTH-2026-' || lpad(g::text, 7, '0'),
    (SELECT id FROM cases_platform ORDER BY id OFFSET (g %% %(platforms)s) LIMIT 1),
    (ARRAY['terrorism','gambling','hoax','pornography','fraud','drugs'])[1 + g %% 6],
    CASE WHEN g %% 6 = 0 THEN 'urgent' ELSE 'standard' END,
    'https://example.org/bench/' || g, '', '', 'url:https://example.org/bench/' || g,
    'UU ITE Art. 27(1)', 'Found by the AIS crawler; generated for the export benchmark.', 'remove', 'crawler',
    'bench', 'Kementerian Komunikasi dan Digital Republik Indonesia', 'Object in Patuh before the deadline.',
    CASE WHEN g %% 3 = 0 THEN 'actioned' ELSE 'submitted' END,
    now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval,
    now() - (g || ' seconds')::interval, 1, 24, now() - (g || ' seconds')::interval + interval '24 hours',
    CASE WHEN g %% 3 = 0 THEN now() - (g || ' seconds')::interval + interval '1 hour' END,
    CASE WHEN g %% 3 = 0 THEN now() - (g || ' seconds')::interval + interval '2 hours' END,
    CASE WHEN g %% 3 = 0 THEN 'removed' ELSE '' END,
    CASE WHEN g %% 3 = 0 THEN now() - (g || ' seconds')::interval + interval '2 hours' END,
    false, '', '', 2
FROM generate_series(1, %(rows)s) AS g
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/patuh_bench_csv")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    in_scratch_database(args, run)


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
    os.environ["DATABASE_URL"] = args.url
    os.environ["PATUH_VAR_DIR"] = tempfile.mkdtemp(prefix="patuh-bench-")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("DJANGO_DEBUG", None)  # no query log
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from cases.api.services.tokens import create_token
    from cases.models import Case, Platform
    from tests.conftest import make_user

    call_command("migrate", verbosity=0)
    platforms = 10
    for i in range(platforms):
        Platform.objects.create(name=f"Platform {i}", slug=f"platform-{i}")
    analyst = make_user("bench-analyst", "analyst")
    key = create_token(actor=analyst, name="bench").key
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(INSERT % {"rows": int(args.rows), "platforms": platforms})
        cursor.execute("ANALYZE cases_case")
    print(f"generated       {Case.objects.count():,} cases in {time.perf_counter() - started:.1f} s")

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    before = peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/v1/cases/export.csv")
    assert response.status_code == 200 and response.streaming, response
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - started
    after = peak_rss_mb()
    rows = lines - 1  # the header
    assert rows == args.rows, (rows, args.rows)
    print("database        PostgreSQL")
    print(f"exported        {rows:,} rows, {size / 1e6:.1f} MB of CSV")
    print(f"elapsed         {elapsed:.2f} s")
    print(f"throughput      {rows / elapsed:,.0f} rows/s")
    print(f"peak RSS        {before:.0f} MB before the export, {after:.0f} MB after (+{after - before:.0f} MB)")


if __name__ == "__main__":
    main()
