"""Demo evidence: small, real, deterministic files stored through the real upload service.

Nothing here is illegal content: the "screenshot" is a drawn mock-up of a channel page (bars for text,
a block for an image), the PDF is an analyst's note, the page archive a stub page. One "flyer" image is
byte-for-byte the same on every fifth case, as propaganda reposted across channels is, so the demo
shows deduplication (one stored file, many evidence rows linked to the first copy).
"""

import hashlib
import struct
import zlib
from datetime import timedelta

from django.core.files.base import ContentFile

from cases.core import clock
from cases.core.choices import EvidenceKind, Visibility
from cases.evidence.services.evidence import upload_evidence
from cases.models import Case, Evidence

WIDTH, HEIGHT = 240, 150


def attach_demo_evidence(case: Case, *, actor, index: int) -> list[Evidence]:
    """Attach 1-3 demo files to `case`; which ones, and their visibility, follow from `index`."""
    now = clock.now()
    url = case.location_url or ""
    files = [(
        ContentFile(screenshot_png(case.reference), name=f"screenshot-{case.reference}.png"),
        EvidenceKind.SCREENSHOT, Visibility.INTERNAL if index % 3 == 0 else Visibility.SHARED,
        "Screenshot of the reported content.",
    )]
    if index % 2 == 0:
        files.append((ContentFile(page_archive_mhtml(case.reference, url), name=f"page-{case.reference}.mhtml"),
                      EvidenceKind.PAGE_ARCHIVE, Visibility.SHARED, "Archive of the page as found."))
    if index % 4 == 1:
        files.append((ContentFile(note_pdf(case.reference, url), name=f"analyst-note-{case.reference}.pdf"),
                      EvidenceKind.DOCUMENT, Visibility.INTERNAL, "Analyst's assessment (internal)."))
    if index % 5 == 0:
        files.append((ContentFile(_FLYER, name="flyer.png"), EvidenceKind.SCREENSHOT, Visibility.SHARED,
                      "The same flyer seen reposted on other channels."))
    return [
        upload_evidence(case=case, actor=actor, file=content, kind=kind, visibility=visibility,
                        captured_at=now - timedelta(minutes=5 + index % 55), source_url=url, description=description)
        for content, kind, visibility, description in files
    ]


# --- generators -----------------------------------------------------------------------------------

def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """A truecolour PNG from raw RGB rows (pure Python: zlib and struct)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def screenshot_png(seed: str) -> bytes:
    """A mock-up of a channel page: a coloured title bar, lines of "text", and an image block."""
    h = hashlib.sha256(seed.encode()).digest()
    white, ink = b"\xff\xff\xff", b"\x55\x5a\x66"
    bar, block = bytes(h[0:3]), bytes((h[3] | 0x80, h[4] // 2, h[5] // 2))
    bar_row = bar * WIDTH
    blank = white * WIDTH
    rows = [bar_row] * 22
    for y in range(22, HEIGHT):
        line, offset = divmod(y - 30, 12)
        if 60 <= y < 120:
            rows.append(white * 12 + block * 96 + white * (WIDTH - 108))
        elif y >= 30 and offset < 5:
            length = 60 + h[(line + 6) % 32] % (WIDTH - 80)
            rows.append(white * 12 + ink * length + white * (WIDTH - 12 - length))
        else:
            rows.append(blank)
    return png(WIDTH, HEIGHT, rows)


def note_pdf(reference: str, url: str) -> bytes:
    """A minimal one-page PDF (valid xref table) holding a short analyst's note."""
    lines = [f"Patuh demo - analyst note for {reference}", f"Location: {url}"[:90],
             "Assessment: matches the category on the case."]
    text = " T* ".join(f"({_pdf_escape(line)}) Tj" for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 50 780 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def page_archive_mhtml(reference: str, url: str) -> bytes:
    """An MHTML archive (what a browser's "save as single file" writes) of a stub page."""
    boundary = "----MultipartBoundary--patuh-demo"
    html = (f"<!DOCTYPE html><html><head><title>{reference}</title></head><body>"
            f"<h1>Archived page</h1><p>Location: {url}</p><p>Captured for case {reference}.</p></body></html>")
    lines = [
        "From: <Saved by Patuh demo>", f"Snapshot-Content-Location: {url}", f"Subject: {reference}",
        "MIME-Version: 1.0", "Content-Type: multipart/related;", '\ttype="text/html";', f'\tboundary="{boundary}"',
        "", f"--{boundary}", "Content-Type: text/html", "Content-Transfer-Encoding: 8bit",
        f"Content-Location: {url}", "", html, "", f"--{boundary}--", "",
    ]
    return "\r\n".join(lines).encode()


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


_FLYER = screenshot_png("the-same-flyer-everywhere")
