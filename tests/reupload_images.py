"""Pictures for the re-upload tests, drawn with Pillow in the test run (no stored files, nothing real).

`poster(seed)` is a busy picture of coloured shapes, like a flyer: PDQ gives it quality 100. The variants are
what a re-upload does to a picture (re-encoding, resizing, a colour shift) and what PDQ is known not to
survive (a crop).
"""

import base64
import io
import random

from PIL import Image, ImageDraw, ImageEnhance


def poster(seed: int, size=(640, 480)) -> Image.Image:
    rnd = random.Random(seed)
    image = Image.new("RGB", size, tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x0, y0 = rnd.randrange(size[0]), rnd.randrange(size[1])
        x1, y1 = x0 + rnd.randrange(30, 250), y0 + rnd.randrange(30, 250)
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)
    return image


def encode(image: Image.Image, fmt: str = "PNG", **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg_q40(image: Image.Image) -> bytes:
    return encode(image, "JPEG", quality=40)


def resized(image: Image.Image, factor: float = 0.5) -> bytes:
    return encode(image.resize((int(image.width * factor), int(image.height * factor))))


def colour_shifted(image: Image.Image) -> bytes:
    brighter = ImageEnhance.Brightness(image).enhance(1.1)
    return encode(ImageEnhance.Color(brighter).enhance(1.2))


def cropped(image: Image.Image, fraction: float = 0.1) -> bytes:
    w, h = image.size
    return encode(image.crop((int(w * fraction), int(h * fraction), w, h)))


def flat(colour=(200, 30, 30), size=(400, 300)) -> bytes:
    return encode(Image.new("RGB", size, colour))


def mhtml(*images: tuple[str, bytes]) -> bytes:
    """A page archive as Blink saves it: the page, then each (URL, JPEG bytes) as a base64 part."""
    parts = "".join(
        "------B\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Location: {url}\r\n\r\n" + base64.encodebytes(data).decode() + "\r\n"
        for url, data in images
    )
    return (
        "From: <Saved by Blink>\r\nSubject: channel\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/related; type="text/html"; boundary="----B"\r\n\r\n'
        "------B\r\nContent-Type: text/html\r\nContent-Location: https://t.me/s/chan\r\n\r\n"
        "<html><body><img src=\"https://t.me/i/flyer.jpg\"></body></html>\r\n" + parts + "------B--\r\n"
    ).encode()
