"""Re-upload matching: time to match one new image against 100k and 1M stored PDQ hashes on PostgreSQL, and
PDQ hashing throughput.

    .venv/bin/python bench/reupload_matching.py [--sizes 100000,1000000] [--queries 30]
        [--url postgres://postgres@127.0.0.1:5432/patuh_bench_pdq] [--keep]

Creates (or recreates) the scratch database named in --url and migrates it. Stored hashes are loaded with one
SQL statement per size (generate_series, random 256-bit hashes of quality 50-100, i.e. all of them matchable and
scanned) as entries of one imported hash list; the matcher scans list entries and evidence hashes alike, so the
figure holds for either. Ten of the queries have a planted near-duplicate (distance 8-20), which must be found.
Each query goes through `cases.evidence.services.hashing.nearest`, the function the upload path calls, with PostgreSQL's
parallel workers as configured (the default, 2) and once more with them off (one core, the worst case on a busy
machine). Then it hashes pictures drawn with Pillow through `cases.evidence.pdq.hash_image_bytes` and prints images/s.
The scratch database is dropped afterwards unless --keep.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bulk_intake import in_scratch_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

INSERT = """
INSERT INTO cases_imagehash (hash_list_id, part, pdq, quality, labels, note, created_at)
SELECT %(list)s, '', md5(random()::text) || md5(random()::text), 50 + (g %% 51), 'bench', '', now()
  FROM generate_series(1, %(rows)s) AS g
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="stored hashes, comma-separated, ascending")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--images", type=int, default=40, help="pictures hashed per size for the throughput")
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/patuh_bench_pdq")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    in_scratch_database(args, run)


def flip_bits(hex_hash: str, n: int, rnd: random.Random) -> str:
    value = int(hex_hash, 16)
    for bit in rnd.sample(range(256), n):
        value ^= 1 << bit
    return f"{value:064x}"


def run(args) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
    os.environ["DATABASE_URL"] = args.url
    os.environ["PATUH_VAR_DIR"] = tempfile.mkdtemp(prefix="patuh-bench-")
    os.environ.pop("DJANGO_DEBUG", None)  # no query log
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from cases.evidence.services import hashing
    from cases.models import HashList, ImageHash

    call_command("migrate", verbosity=0)
    hash_list = HashList.objects.create(name="bench", source="bench")
    rnd = random.Random(18)
    version = connection.cursor().connection.info.server_version
    print(f"database        PostgreSQL {version // 10000}.{version % 10000}")
    print(f"threshold       {hashing.threshold()} bits, quality >= {hashing.min_quality()}")
    stored = 0
    for size in [int(s) for s in args.sizes.split(",")]:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(INSERT % {"list": hash_list.pk, "rows": size - stored})
            cursor.execute("VACUUM ANALYZE cases_imagehash")
        stored = size
        loaded = time.perf_counter() - started
        queries = [f"{rnd.getrandbits(256):064x}" for _ in range(args.queries)]
        planted = {}
        for query in queries[:10]:
            near = flip_bits(query, rnd.randint(8, 20), rnd)
            planted[query] = ImageHash.objects.create(hash_list=hash_list, pdq=near, quality=90).pk
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_imagehash")
        print(f"\n{ImageHash.objects.count():,} stored hashes (loaded in {loaded:.1f} s)")
        for label, workers in (("parallel (default)", None), ("one core", 0)):
            with connection.cursor() as cursor:
                if workers is not None:
                    cursor.execute("SET max_parallel_workers_per_gather = %s", [workers])
            hashing.nearest(queries[-1])  # warm the cache
            times = []
            for query in queries:
                started = time.perf_counter()
                found = hashing.nearest(query)
                times.append((time.perf_counter() - started) * 1000)
                if query in planted:
                    assert planted[query] in dict(found), f"planted near-duplicate of {query} not found"
            with connection.cursor() as cursor:
                cursor.execute("RESET max_parallel_workers_per_gather")
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"  match, {label:<19} p50 {statistics.median(times):6.0f} ms   p95 {p95:6.0f} ms   "
                  f"max {times[-1]:6.0f} ms   ({len(times)} queries, planted near-duplicates found)")
    hashing_throughput(args.images)


def hashing_throughput(n: int) -> None:
    from PIL import Image

    from cases.evidence import pdq
    from tests.reupload_images import encode, poster

    def photo(size):  # shapes under sensor-like noise: compresses like a photograph, not like a drawing
        return Image.blend(poster(7, size), Image.effect_noise(size, 60).convert("RGB"), 0.35)

    print("\nhashing (decode, scale to 512 px, PDQ), one core:")
    for label, size, fmt, options in (
        ("screenshot 1280x720 PNG", (1280, 720), "PNG", {}),
        ("photo 1280x720 JPEG", (1280, 720), "JPEG", {"quality": 85}),
        ("photo 4000x3000 JPEG", (4000, 3000), "JPEG", {"quality": 85}),
        ("photo 4000x3000 PNG", (4000, 3000), "PNG", {}),
    ):
        data = encode(poster(7, size) if label.startswith("screenshot") else photo(size), fmt, **options)
        pdq.hash_image_bytes(data)
        started = time.perf_counter()
        for _ in range(n):
            pdq.hash_image_bytes(data)
        elapsed = time.perf_counter() - started
        print(f"  {label:<26} {n / elapsed:6.1f} images/s   "
              f"({elapsed / n * 1000:.0f} ms each, {len(data) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
