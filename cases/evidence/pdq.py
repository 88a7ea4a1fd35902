"""PDQ perceptual hashes: computing them from image bytes, comparing them, and reading them out of page archives.

PDQ is Meta's open-source photo hash (facebook/ThreatExchange, `pdq/`): 256 bits and a quality score from 0 to
100. Two images whose hashes differ in at most 31 bits are "probably the same picture" (PDQ's recommended
threshold); a hash whose quality is below 50 comes from an image with too little detail (a flat colour, a
blank page) and is kept but never matched. The hashing itself is the reference C++ code, compiled on install
through the `pdqhash` package; decoding and the downscale to at most 512x512 (what the reference hashers do
before hashing) are Pillow's.

This module knows nothing about Django models: `cases.evidence.services.hashing` stores and matches.
"""

import email
import email.policy
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

HEX_RE = re.compile(r"^[0-9a-f]{64}$")
# The reference hashers scale anything larger down to 512 pixels before hashing (pdq/cpp/io/pdqio.cpp,
# pdq/python/pdqhashing/hasher/pdq_hasher.py); this also bounds the work per image.
DOWNSAMPLE = 512
# Decoding refuses images over this many pixels (a decompression bomb): 8K by 8K is 67 M.
MAX_PIXELS = 100_000_000
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# Page archives whose embedded images are hashed too: MHTML, WARC and gzipped WARC (cases.evidence.filetypes).
ARCHIVE_TYPES = ("multipart/related", "application/warc", "application/gzip")


class NotAnImage(ValueError):
    """The bytes could not be decoded as an image."""


@dataclass(frozen=True)
class PdqHash:
    hex: str  # 64 lowercase hex digits, the form HMA and ThreatExchange exchange
    quality: int  # 0-100; settings.PDQ_MIN_QUALITY decides what is matched


def hash_image_bytes(data: bytes) -> PdqHash:
    """The PDQ hash and quality of an image file's bytes (PNG, JPEG, GIF, WebP: its first frame)."""
    import numpy
    import pdqhash
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NotAnImage(f"{image.width}x{image.height} pixels is more than the {MAX_PIXELS:,} allowed")
            if image.format == "JPEG":
                image.draft("RGB", (DOWNSAMPLE, DOWNSAMPLE))  # decode at a reduced scale: much less work
            image.seek(0)
            rgb = image.convert("RGB")
    except NotAnImage:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise NotAnImage(str(err) or type(err).__name__) from err
    rgb.thumbnail((DOWNSAMPLE, DOWNSAMPLE))
    vector, quality = pdqhash.compute(numpy.asarray(rgb))
    return PdqHash(bits_to_hex(vector), int(quality))


def bits_to_hex(vector) -> str:
    """pdqhash's bit vector (most significant bit first) as the 64-digit hex string."""
    value = 0
    for bit in vector:
        value = (value << 1) | int(bit)
    return f"{value:064x}"


def normalise_hex(value: str) -> str:
    """A PDQ hash as 64 lowercase hex digits, or ValueError."""
    text = (value or "").strip().lower()
    if not HEX_RE.match(text):
        raise ValueError("a PDQ hash is 64 hexadecimal digits")
    return text


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex PDQ hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def bit_string(hex_hash: str) -> str:
    """The 256 bits as '0'/'1' text: PostgreSQL's bit(256) literal."""
    return f"{int(hex_hash, 16):0256b}"


# --- images inside page archives ------------------------------------------------------------------------

@dataclass(frozen=True)
class ImagePart:
    name: str  # where in the archive: the part's Content-Location or the WARC record's target URI
    data: bytes


PART_NAME_LENGTH = 300  # ImageHash.part
MAX_PARTS = 50  # images hashed per archive at most (a page's pictures, not its icons by the thousand)
MIN_PART_BYTES = 1024  # smaller images are icons and spacers
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # a compressed WARC is read this far at most


def images_in_archive(data: bytes, content_type: str) -> Iterator[ImagePart]:
    """The images stored inside an MHTML or WARC page archive (HTML itself holds none worth hashing)."""
    if content_type == "multipart/related":
        parts = _mhtml_images(data)
    elif content_type in ("application/warc", "application/gzip"):
        parts = _warc_images(data)
    else:
        return
    seen: set[str] = set()
    for part in parts:
        if len(part.data) >= MIN_PART_BYTES:
            # A name is the part's key (one hash row per evidence and part): the same URL twice in an archive, or
            # two URLs alike in their first 300 characters, get a number.
            name, n = part.name, 1
            while name in seen:
                n += 1
                suffix = f" #{n}"
                name = part.name[:PART_NAME_LENGTH - len(suffix)] + suffix
            seen.add(name)
            yield ImagePart(name, part.data)
            if len(seen) >= MAX_PARTS:
                return


def _mhtml_images(data: bytes) -> Iterator[ImagePart]:
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    for index, part in enumerate(message.walk()):
        if part.get_content_maintype() != "image":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            name = part.get("Content-Location") or part.get("Content-ID") or f"part {index}"
            yield ImagePart(str(name)[:PART_NAME_LENGTH], payload)


def _warc_images(data: bytes) -> Iterator[ImagePart]:
    if data[:2] == b"\x1f\x8b":
        import gzip

        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
                data = unpacked.read(MAX_UNPACKED_BYTES + 1)
        except (OSError, EOFError, zlib.error):
            return
        if len(data) > MAX_UNPACKED_BYTES:
            data = data[:MAX_UNPACKED_BYTES]  # a gzip bomb: look at its first part only
    position = 0
    while True:
        start = data.find(b"WARC/", position)
        if start < 0:
            return
        header_end = data.find(b"\r\n\r\n", start)
        if header_end < 0:
            return
        headers = _header_map(data[start:header_end])
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            return
        block = data[header_end + 4: header_end + 4 + length]
        position = header_end + 4 + max(length, 0)
        if headers.get("warc-type") != "response":
            continue
        http_end = block.find(b"\r\n\r\n")
        if http_end < 0:
            continue
        http_headers = _header_map(block[:http_end])
        if http_headers.get("content-type", "").split(";")[0].strip().startswith("image/"):
            yield ImagePart(headers.get("warc-target-uri", "record")[:PART_NAME_LENGTH], block[http_end + 4:])


def _header_map(raw: bytes) -> dict[str, str]:
    out = {}
    for line in raw.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if value:
            out[name.strip().lower()] = value.strip()
    return out
