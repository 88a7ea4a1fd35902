"""Shared helpers of the evidence tests (no tests here).

`use_temporary_evidence_root` is autouse in every evidence test module that imports it: it points EVIDENCE_ROOT at a
temporary directory (the storage rebuilds itself when the setting changes), so nothing is written into
the repository.
"""

import gzip
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases.core.choices import EvidenceKind, Visibility
from cases.core.storage import INCOMING_DIR
from cases.demo.evidence import note_pdf, page_archive_mhtml, screenshot_png
from cases.evidence.services.evidence import upload_evidence

PNG = screenshot_png("tests")


def png_variant(tag: bytes) -> bytes:
    """PNG with a text chunk before its end: another file (another SHA-256), still a well-formed PNG. (Bytes after
    IEND would make it a polyglot, which uploads refuse.)"""
    import struct
    import zlib

    chunk = b"tEXt" + b"Comment\x00" + tag
    text = struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = PNG.rindex(b"IEND") - 4
    return PNG[:end] + text + PNG[end:]
PDF = note_pdf("PTH-TEST", "https://t.me/x")
MHTML = page_archive_mhtml("PTH-TEST", "https://t.me/x")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 200 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00" \
      b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x00" * 24
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08free" + b"\x01" * 100
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm" \
       + b"\x02" * 100
HTML = b"<!DOCTYPE html><html><head><title>x</title></head><body><p>channel</p></body></html>"
WARC = b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 0\r\n\r\n\r\n\r\n"
WARC_GZ = gzip.compress(WARC, mtime=0)
TEXT = b"Channel description copied on 2026-01-01: join us.\n"


@pytest.fixture(autouse=True)
def use_temporary_evidence_root(tmp_path):
    with override_settings(EVIDENCE_ROOT=tmp_path / "evidence"):
        yield


def evidence_dir() -> Path:
    return Path(settings.EVIDENCE_ROOT)


def uploaded(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def upload(case, actor, name: str = "shot.png", data: bytes = PNG, **kwargs):
    kwargs.setdefault("kind", EvidenceKind.SCREENSHOT)
    kwargs.setdefault("visibility", Visibility.INTERNAL)
    return upload_evidence(case=case, actor=actor, file=uploaded(name, data), **kwargs)


def stored_files(root: Path) -> list[Path]:
    """Every file under the evidence root, including leftovers in the spool directory."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def spool_files(root: Path) -> list[Path]:
    return stored_files(root / INCOMING_DIR)
