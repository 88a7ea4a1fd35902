"""Normalising where content lives, so the same item is recognised however it was pasted.

The crawler, complaints and agencies send the same URL in many spellings (http/https, www., mobile
hosts, tracking parameters, trailing slashes). Deduplication of open cases keys on the normal form.
"""

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _

HOST_ALIASES = {
    "telegram.me": "t.me",
    "telegram.dog": "t.me",
    "m.facebook.com": "facebook.com",
    "web.facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "mobile.twitter.com": "x.com",
    "twitter.com": "x.com",
    "mobile.x.com": "x.com",
    "m.youtube.com": "youtube.com",
    "music.youtube.com": "youtube.com",
    "vm.tiktok.com": "tiktok.com",
    "m.tiktok.com": "tiktok.com",
}
TRACKING_PARAMS = {"fbclid", "gclid", "igshid", "si", "ref", "ref_src", "feature", "s", "t_", "mibextid"}


WEB_SCHEMES = frozenset({"http", "https"})
# A scheme as RFC 3986 spells it, before the first ":" (`javascript:`, `data:`, `ftp://`, `HTTPS://`).
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# host:port without a scheme ("t.me:443/x") is not a scheme: the part after ":" is digits or empty.
_HOST_PORT = re.compile(r"[^:/?#]+:[0-9]*(?:[/?#]|$)")
# RFC 3986 unreserved characters: %41 and A are the same URL, so their escapes are decoded before comparing.
_UNRESERVED_ESCAPE = re.compile(r"%(4[1-9A-Fa-f]|5[0-9Aa]|6[1-9A-Fa-f]|7[0-9Aa]|3[0-9]|2[DdEe]|5[Ff]|7[Ee])")


class InvalidLocation(ValueError):
    """A location that cannot be the address of web content: a message for the person who sent it."""


def _invisible(char: str) -> bool:
    """Zero-width and other format characters (Unicode category Cf: U+200B, U+FEFF, bidi marks, ...) and
    controls: they change nothing a person sees, so they must not make two spellings of one URL differ."""
    return unicodedata.category(char) in ("Cf", "Cc")


def strip_invisible(text: str) -> str:
    return "".join(c for c in text if not _invisible(c))


def _decode_unreserved(text: str) -> str:
    return _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def normalize_url(url: str) -> str:
    """The comparable form of a web address. Raises InvalidLocation when it is not one (another scheme than
    http/https, a port that is not a number from 1 to 65535, an unclosed IPv6 host, no host)."""
    url = strip_invisible(url).strip()
    scheme = _SCHEME.match(url)
    if "://" in url or (scheme and not _HOST_PORT.match(url)):
        if scheme is None or scheme.group(1).lower() not in WEB_SCHEMES:
            raise InvalidLocation(_("Only http and https addresses are accepted."))
    else:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidLocation(_("The address is malformed: its host or port is not valid (a port is a number "
                                "from 1 to 65535, an IPv6 host is closed by “]”).")) from None
    if port == 0:
        raise InvalidLocation(_("The address is malformed: its host or port is not valid (a port is a number "
                                "from 1 to 65535, an IPv6 host is closed by “]”)."))
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise InvalidLocation(_("The address has no host."))
    if host.startswith("www."):
        host = host[4:]
    host = HOST_ALIASES.get(host, host)
    path = _decode_unreserved(parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    if host == "youtu.be" and path.strip("/"):
        host, query, path = "youtube.com", [("v", path.strip("/"))] + query, "/watch"
    if len(path) > 1:
        path = path.rstrip("/")
    if host in {"t.me", "x.com", "instagram.com", "tiktok.com"}:
        path = path.lower()  # handles on these hosts are case-insensitive
    port = f":{port}" if port and port not in (80, 443) else ""
    return urlunsplit(("https", host + port, path, urlencode(sorted(query)), ""))


def normalize_location(*, url: str = "", handle: str = "", native_id: str = "") -> str:
    """One string per content item: `url:…`, `id:…` or `handle:…`, in that order of preference.

    Raises InvalidLocation for a URL that is not a web address. What was sent is kept as sent on the case;
    only this comparable form drops invisible characters and decodes escaped unreserved characters."""
    if url and url.strip():
        return "url:" + normalize_url(url)
    native_id, handle = strip_invisible(native_id or "").strip(), strip_invisible(handle or "").strip()
    if native_id:
        return "id:" + native_id
    if handle:
        return "handle:" + handle.lstrip("@").lower()
    return ""
