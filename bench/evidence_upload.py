"""Upload a 100 MB file through the evidence service and show that memory stays flat.

    .venv/bin/python bench/evidence_upload.py [--mb 100]

Runs against a throwaway SQLite database and evidence root (nothing in the repository is touched). The
file is streamed from disk through `django.core.files.File`, as the console's TemporaryUploadedFile is.
Peak RSS (ru_maxrss) is printed before and after the upload; if the service read the file into memory
the peak would grow by about the file's size.
"""

import argparse
import os
import resource
import shutil
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the generated file in MB (default 100)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="patuh-bench-"))
    try:
        run(work, args.mb)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, mb: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings_test"
    os.environ["PATUH_VAR_DIR"] = str(work)
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["PATUH_EVIDENCE_ROOT"] = str(work / "evidence")
    os.environ["PATUH_EVIDENCE_MAX_UPLOAD_MB"] = str(max(mb, 100))
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.files import File
    from django.core.management import call_command

    from cases.cases.services.cases import create_case
    from cases.core.choices import Category, EvidenceKind, Visibility
    from cases.evidence.services.evidence import upload_evidence
    from cases.models import Platform

    call_command("migrate", verbosity=0)
    analyst = get_user_model().objects.create_user("bench-analyst", is_staff=True)
    analyst.groups.add(Group.objects.get(name="analyst"))
    platform = Platform.objects.create(name="Telegram", slug="telegram", hosts="t.me")
    case = create_case(actor=analyst, platform=platform, category=Category.TERRORISM,
                       location_url="https://t.me/bench/1", legal_basis="UU ITE Art. 27(1)", reasons="Benchmark.")

    # A PNG of random 1 MB data chunks: the worst case, since images are scanned for markup and archive signatures,
    # and well-formed (chunks with their CRCs, then IEND), since data after IEND is refused as a polyglot.
    source = work / "bench.png"
    size = mb * 1024 * 1024

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with source.open("wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)))
        written = 33
        end = chunk(b"IEND", b"")
        while written < size - len(end):
            block = chunk(b"IDAT", os.urandom(max(1, min(1024 * 1024, size - written - len(end) - 12))))
            out.write(block)
            written += len(block)
        out.write(end)
        size = written + len(end)

    before = peak_rss_mb()
    started = time.perf_counter()
    with source.open("rb") as handle:
        evidence = upload_evidence(case=case, actor=analyst, file=File(handle, name="bench.png"),
                                   kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL)
    elapsed = time.perf_counter() - started
    after = peak_rss_mb()

    print(f"file:           {size / 2**20:.0f} MB ({size} bytes), stored as {evidence.file.name}")
    print(f"sha256:         {evidence.sha256}")
    print(f"peak RSS before upload: {before:.1f} MB")
    print(f"peak RSS after upload:  {after:.1f} MB (+{after - before:.1f} MB)")
    print(f"time:           {elapsed:.2f} s, throughput {size / 2**20 / elapsed:.0f} MB/s")


if __name__ == "__main__":
    main()
