"""What an evidence file really is, judged from its bytes, never from its name.

Why hand-written signatures rather than a library: the allowlist is a dozen formats, three of them
text-based page archives (HTML, MHTML, WARC) that the magic-number libraries do not tell apart, and
the refusal messages must name what the file actually is ("a Windows executable, not a PNG image").
A short table we can read in one sitting is easier to trust on this path than a large one.

`ContentInspector` is fed the upload chunk by chunk (the service streams it), so nothing here ever
holds more than the first few kilobytes plus one chunk in memory.
"""

import re
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Enough to tell every format below apart (EBML doctype, MIME headers, gzip'd WARC record header).
HEAD_SIZE = 8192


@dataclass(frozen=True)
class FileType:
    key: str
    label: Promise  # "a PNG image": reads after "The file's content is"
    mime: str = "application/octet-stream"
    extensions: tuple[str, ...] = ()  # the first one is used for the stored file
    accepted: bool = False
    # Images and PDFs must not carry markup or script a browser or viewer could run (polyglots).
    scan_for_markup: bool = False
    # Text formats must not contain NUL bytes anywhere (a binary payload behind a text header).
    textual: bool = False

    @property
    def extension(self) -> str:
        return self.extensions[0]


def _accepted(key, label, mime, extensions, **flags) -> FileType:
    return FileType(key, label, mime, extensions, accepted=True, **flags)


PNG = _accepted("png", _("a PNG image"), "image/png", ("png",), scan_for_markup=True)
JPEG = _accepted("jpeg", _("a JPEG image"), "image/jpeg", ("jpg", "jpeg"), scan_for_markup=True)
GIF = _accepted("gif", _("a GIF image"), "image/gif", ("gif",), scan_for_markup=True)
WEBP = _accepted("webp", _("a WebP image"), "image/webp", ("webp",), scan_for_markup=True)
PDF = _accepted("pdf", _("a PDF document"), "application/pdf", ("pdf",), scan_for_markup=True)
MP4 = _accepted("mp4", _("an MP4 video"), "video/mp4", ("mp4", "m4v"))
WEBM = _accepted("webm", _("a WebM video"), "video/webm", ("webm",))
HTML = _accepted("html", _("an HTML page"), "text/html", ("html", "htm"), textual=True)
MHTML = _accepted("mhtml", _("an MHTML page archive"), "multipart/related", ("mhtml", "mht"), textual=True)
WARC = _accepted("warc", _("a WARC web archive"), "application/warc", ("warc",))
WARC_GZ = _accepted("warc_gz", _("a compressed WARC web archive"), "application/gzip", ("warc.gz",))
TEXT = _accepted("text", _("plain text"), "text/plain", ("txt", "log"), textual=True)

IMAGES = (PNG, JPEG, GIF, WEBP)
ACCEPTED = (PNG, JPEG, GIF, WEBP, PDF, MP4, WEBM, HTML, MHTML, WARC, WARC_GZ, TEXT)
BY_EXTENSION = {ext: t for t in ACCEPTED for ext in t.extensions}
ACCEPTED_SUMMARY = _(
    "Accepted: PNG, JPEG, GIF or WebP images; PDF documents; MP4 or WebM videos; HTML, MHTML or WARC "
    "page archives; plain text."
)


def _refused(key, label) -> FileType:
    return FileType(key, label)


WINDOWS_EXE = _refused("exe", _("a Windows executable"))
ELF = _refused("elf", _("a Linux executable"))
MACHO = _refused("macho", _("a macOS executable"))
SCRIPT = _refused("script", _("a script"))
ZIP = _refused("zip", _("a ZIP archive or Office document"))
RAR = _refused("rar", _("a RAR archive"))
SEVEN_ZIP = _refused("7z", _("a 7-Zip archive"))
GZIP = _refused("gzip", _("a gzip archive"))
OLE = _refused("ole", _("an old-style Office document or installer"))
RTF = _refused("rtf", _("an RTF document"))
POSTSCRIPT = _refused("ps", _("a PostScript file"))
SVG = _refused("svg", _("an SVG image (which can carry script)"))
XML = _refused("xml", _("an XML document"))
TIFF = _refused("tiff", _("a TIFF image"))
BMP = _refused("bmp", _("a BMP image"))
HEIF = _refused("heif", _("a HEIF/HEIC image"))
AVIF = _refused("avif", _("an AVIF image"))
QUICKTIME = _refused("mov", _("a QuickTime movie"))
MATROSKA = _refused("mkv", _("a Matroska video"))
AVI = _refused("avi", _("an AVI video"))
AUDIO = _refused("audio", _("an audio file"))
UNKNOWN_BINARY = _refused("binary", _("binary data of an unrecognised format"))

# (prefix at offset 0, type). Order matters only where one prefix starts another.
_SIGNATURES: tuple[tuple[bytes, FileType], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"%PDF-", PDF),
    (b"MZ", WINDOWS_EXE),
    (b"\x7fELF", ELF),
    (b"\xfe\xed\xfa\xce", MACHO),
    (b"\xfe\xed\xfa\xcf", MACHO),
    (b"\xce\xfa\xed\xfe", MACHO),
    (b"\xcf\xfa\xed\xfe", MACHO),
    (b"\xca\xfe\xba\xbe", MACHO),
    (b"PK\x03\x04", ZIP),
    (b"PK\x05\x06", ZIP),
    (b"Rar!\x1a\x07", RAR),
    (b"7z\xbc\xaf\x27\x1c", SEVEN_ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"ID3", AUDIO),
    (b"fLaC", AUDIO),
    (b"OggS", AUDIO),
    (b"#!", SCRIPT),
    (b"{\\rtf", RTF),
    (b"%!PS", POSTSCRIPT),
    (b"WARC/1.", WARC),
)
_RIFF = {b"WEBP": WEBP, b"AVI ": AVI, b"WAVE": AUDIO}
_FTYP_NOT_VIDEO = {
    b"heic": HEIF, b"heix": HEIF, b"hevc": HEIF, b"mif1": HEIF, b"msf1": HEIF, b"avif": AVIF, b"avis": AVIF,
    b"qt  ": QUICKTIME, b"M4A ": AUDIO, b"M4B ": AUDIO, b"M4P ": AUDIO,
}
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)[\s>]", re.I | re.S)
_SVG_START = re.compile(
    rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+svg[^>]*>\s*)?<svg[\s>]", re.I | re.S
)
_MIME_HEADER = re.compile(rb"^[A-Za-z][A-Za-z0-9-]*:")
# Markup a browser would run if an image or PDF were ever sniffed as HTML. Each needs a delimiter after
# the tag name, which keeps accidental matches in compressed image data vanishingly rare. Matched against
# lower-cased bytes, without re.I and with one literal first character, so `re` can skip ahead fast.
_MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|svg|iframe|object|embed|meta|img|form|a\s+href|\?php)[\s>/]"
)
_SCRIPT_URL = b"javascript:"
_PDF_ACTIONS = re.compile(rb"/(?:JavaScript|Launch)\b")
_OVERLAP = 64  # bytes kept between chunks so a marker split across two chunks is still found


def _looks_textual(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls <= len(head) // 100


def _strip_bom(head: bytes) -> bytes:
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def _is_mhtml(head: bytes) -> bool:
    """An MHTML archive is a MIME message: header lines first, declaring a multipart/related body."""
    if not _MIME_HEADER.match(head):
        return False
    headers = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0].lower()
    return b"multipart/related" in headers


def _is_gzipped_warc(head: bytes) -> bool:
    try:
        start = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS).decompress(head, 16)
    except zlib.error:
        return False
    return start.startswith(b"WARC/1.")


def detect(head: bytes) -> FileType:
    """The type of a file from its first bytes (up to HEAD_SIZE)."""
    if head[:4] == b"RIFF" and len(head) >= 12:
        return _RIFF.get(head[8:12], UNKNOWN_BINARY)
    if head[4:8] == b"ftyp":
        return _FTYP_NOT_VIDEO.get(head[8:12], MP4)
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM is Matroska with the "webm" doctype
        return WEBM if b"webm" in head[:64] else MATROSKA
    if head.startswith(b"\x1f\x8b"):
        return WARC_GZ if _is_gzipped_warc(head) else GZIP
    if head.startswith(b"BM") and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00":
        return BMP
    for prefix, filetype in _SIGNATURES:
        if head.startswith(prefix):
            return filetype
    if not _looks_textual(head):
        return UNKNOWN_BINARY
    text = _strip_bom(head)
    if _SVG_START.match(text):
        return SVG
    if _HTML_START.match(text):
        return HTML
    if text.lstrip().startswith(b"<?xml"):
        return XML
    if _is_mhtml(text):
        return MHTML
    return TEXT


def split_extension(name: str) -> str:
    """The lower-case extension, knowing the one double extension we accept (.warc.gz)."""
    lower = name.lower()
    if lower.endswith(".warc.gz"):
        return "warc.gz"
    return PurePosixPath(lower).suffix.lstrip(".")


def type_for_name(name: str) -> FileType:
    """The accepted type a file name claims to be; refuses names without an accepted extension."""
    ext = split_extension(name)
    if not ext:
        raise ValidationError(
            gettext("The file name “%(name)s” has no extension. %(accepted)s")
            % {"name": name, "accepted": ACCEPTED_SUMMARY},
            code="no_extension",
        )
    if ext not in BY_EXTENSION:
        raise ValidationError(
            gettext("Files ending in .%(ext)s are not accepted as evidence. %(accepted)s")
            % {"ext": ext, "accepted": ACCEPTED_SUMMARY},
            code="extension_not_accepted",
        )
    return BY_EXTENSION[ext]


class ContentInspector:
    """Checks a stream against the type its name claims. Feed chunks in order, then call `finish()`.

    Raises ValidationError as soon as something is wrong, so a bad upload stops being read early.
    """

    def __init__(self, expected: FileType):
        self.expected = expected
        self.detected: FileType | None = None
        self._head = b""
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        if self.detected is None:
            self._head += chunk
            if len(self._head) < HEAD_SIZE:
                return
            chunk, self._head = self._head, b""
            self._decide(chunk)
        self._scan(chunk)

    def finish(self) -> FileType:
        if self.detected is None:
            head, self._head = self._head, b""
            self._decide(head)
            self._scan(head)
        return self.detected

    def _decide(self, head: bytes) -> None:
        actual = detect(head[:HEAD_SIZE])
        if actual is not self.expected:
            raise ValidationError(
                gettext("The file's content is %(actual)s, not %(expected)s.")
                % {"actual": actual.label, "expected": self.expected.label},
                code="content_mismatch",
            )
        self.detected = actual

    def _scan(self, chunk: bytes) -> None:
        filetype = self.detected
        if filetype.textual and b"\x00" in chunk:
            raise ValidationError(
                gettext("The file starts as %(expected)s but contains binary data further on.")
                % {"expected": filetype.label},
                code="binary_in_text",
            )
        if not filetype.scan_for_markup:
            return
        window = self._tail + chunk
        self._tail = window[-_OVERLAP:]
        lowered = window.lower()
        found = _MARKUP.search(lowered)
        marker = found.group(0) if found else (_SCRIPT_URL if _SCRIPT_URL in lowered else None)
        if marker:
            raise ValidationError(
                gettext(
                    "The file is %(expected)s but also contains web markup or script (“%(marker)s”), which a "
                    "browser could run. Such polyglot files are refused; upload a clean export instead."
                )
                % {"expected": filetype.label, "marker": marker.decode("ascii", "replace").strip()},
                code="polyglot",
            )
        if filetype in IMAGES and (archive := _ARCHIVE_SIGNATURE.search(window)):
            raise ValidationError(
                gettext("The file is %(expected)s but holds an archive (“%(marker)s”) that can be unpacked from it. "
                        "Such polyglot files are refused; upload a clean export instead.")
                % {"expected": filetype.label, "marker": archive.group(0)[:4].decode("latin-1").strip("\x00")},
                code="polyglot",
            )
        if filetype is PDF and _PDF_ACTIONS.search(window):
            raise ValidationError(
                gettext("The PDF contains JavaScript or a launch action. Print it to a new PDF and upload that."),
                code="pdf_active_content",
            )


# --- structure: nothing after the format's end, no archive inside an image --------------------------------
# A PNG with a ZIP appended is still a PNG to a viewer and a ZIP to an unzipper (the archive's directory is read
# from the end); a GIF header followed by script is an image to one program and code to another. So each format
# must end where its own structure says it ends, with at most padding after it, and images must hold no archive
# signature anywhere (checked while streaming, `ContentInspector._scan`).

# Signatures long enough that compressed image data never forms them by chance (2^-48 per position or less):
# a ZIP local header with a usual "version needed" byte, the ZIP end record of a one-disk archive, RAR, 7-Zip.
_ARCHIVE_SIGNATURE = re.compile(rb"PK\x03\x04[\x0a\x14\x2d\x33\x3f]\x00|PK\x05\x06\x00\x00\x00\x00|Rar!\x1a\x07"
                                rb"|7z\xbc\xaf\x27\x1c")
_PADDING = b"\x00\r\n\t "  # what writers leave after the end marker; never a payload
PDF_EOF_WINDOW = 1024  # readers look for the last %%EOF in the last 1 KB (PDF 1.7, Implementation note 18)


def _trailing_data(label) -> ValidationError:
    return ValidationError(
        gettext("The file is %(expected)s with other data after its end (a file hidden behind an image can be "
                "unpacked or run). Such polyglot files are refused; upload a clean export instead.")
        % {"expected": label},
        code="trailing_data",
    )


def _damaged(label) -> ValidationError:
    return ValidationError(gettext("The file is not a complete, well-formed copy of %(expected)s.")
                           % {"expected": label}, code="malformed")


def _only_padding(handle, label) -> None:
    while chunk := handle.read(65536):
        if chunk.strip(_PADDING):
            raise _trailing_data(label)


def _read_exact(handle, n: int, label) -> bytes:
    data = handle.read(n)
    if len(data) != n:
        raise _damaged(label)
    return data


def _png_end(handle) -> None:
    handle.seek(8)
    while True:
        length, kind = int.from_bytes(_read_exact(handle, 4, PNG.label)), _read_exact(handle, 4, PNG.label)
        if length > 2**31 - 1:
            raise _damaged(PNG.label)
        handle.seek(length + 4, 1)  # the data and its CRC
        if kind == b"IEND":
            return


def _gif_sub_blocks(handle) -> None:
    while size := _read_exact(handle, 1, GIF.label)[0]:
        handle.seek(size, 1)


def _gif_end(handle) -> None:
    handle.seek(6)
    screen = _read_exact(handle, 7, GIF.label)
    if screen[4] & 0x80:
        handle.seek(3 * 2 ** ((screen[4] & 0x07) + 1), 1)  # the global colour table
    while True:
        introducer = _read_exact(handle, 1, GIF.label)
        if introducer == b";":  # the trailer
            return
        if introducer == b"!":  # an extension: its label, then sub-blocks
            _read_exact(handle, 1, GIF.label)
            _gif_sub_blocks(handle)
        elif introducer == b",":  # an image: descriptor, local colour table, LZW code size, sub-blocks
            descriptor = _read_exact(handle, 9, GIF.label)
            if descriptor[8] & 0x80:
                handle.seek(3 * 2 ** ((descriptor[8] & 0x07) + 1), 1)
            _read_exact(handle, 1, GIF.label)
            _gif_sub_blocks(handle)
        else:
            raise _damaged(GIF.label)


def _jpeg_end(handle, size: int) -> None:
    # Embedded thumbnails carry their own EOI, so the last one counts: the file must end with it (and padding).
    tail_size = min(size, 65536)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size).rstrip(_PADDING)
    if not tail.endswith(b"\xff\xd9"):
        raise _trailing_data(JPEG.label)


def _pdf_end(handle, size: int) -> None:
    # Incremental updates append a body, xref and trailer after an earlier %%EOF; only the last one counts.
    tail_size = min(size, PDF_EOF_WINDOW)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(b"%%EOF")
    if at < 0 or tail[at + 5:].strip(_PADDING):
        raise _trailing_data(PDF.label)


def _webp_end(handle, size: int) -> None:
    handle.seek(4)
    declared = int.from_bytes(_read_exact(handle, 4, WEBP.label), "little") + 8
    if declared > size:
        raise _damaged(WEBP.label)
    handle.seek(declared + (declared % 2))
    _only_padding(handle, WEBP.label)


def check_structure(path, filetype: FileType) -> None:
    """Refuse `path` (a finished spool of `filetype`) if data follows the format's end, or if it is cut short."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if filetype is PNG:
            _png_end(handle)
            _only_padding(handle, PNG.label)
        elif filetype is GIF:
            _gif_end(handle)
            _only_padding(handle, GIF.label)
        elif filetype is JPEG:
            _jpeg_end(handle, size)
        elif filetype is PDF:
            _pdf_end(handle, size)
        elif filetype is WEBP:
            _webp_end(handle, size)
