"""Normalising where content lives, so the same item is recognised however it was pasted.

The crawler, complaints and agencies send the same URL in many spellings (http/https, www., mobile
hosts, tracking parameters, trailing slashes). Deduplication of open cases keys on the normal form.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def normalize_url(url: str) -> str:
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    host = HOST_ALIASES.get(host, host)
    path = parts.path or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    if host == "youtu.be" and path.strip("/"):
        host, query, path = "youtube.com", [("v", path.strip("/"))] + query, "/watch"
    if len(path) > 1:
        path = path.rstrip("/")
    if host in {"t.me", "x.com", "instagram.com", "tiktok.com"}:
        path = path.lower()  # handles on these hosts are case-insensitive
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return urlunsplit(("https", host + port, path, urlencode(sorted(query)), ""))


def normalize_location(*, url: str = "", handle: str = "", native_id: str = "") -> str:
    """One string per content item: `url:…`, `id:…` or `handle:…`, in that order of preference."""
    if url and url.strip():
        return "url:" + normalize_url(url)
    if native_id and native_id.strip():
        return "id:" + native_id.strip()
    if handle and handle.strip():
        return "handle:" + handle.strip().lstrip("@").lower()
    return ""
