"""Outbound HTTP, through the project's one SSRF guard. Every request Patuh makes to a URL someone else
gave it (webhook endpoints; re-checks of reported locations) goes through here.

Why a guard: a liaison types a webhook URL, an analyst reports a content URL, and Patuh's server then
connects to it. Without a guard, `http://169.254.169.254/` (a cloud's metadata service, with its credentials),
`http://10.0.0.5:5432/` or `http://localhost:6379/` would be reached from inside the ministry's network.

The interface:
- `check_url(url, schemes=...)` parses the URL, resolves its host and refuses it (`Refused`, a sentence for
  a person) unless every address it resolves to is public. Call it when a URL is accepted (a form, the API)
  to say no at once.
- `request(method, url, ...)` checks again at send time and connects to the very address it checked (so a
  DNS answer that changes between the check and the connection cannot slip a private address in), with
  connect and read timeouts and a wall-clock limit, follows no redirect, and reads at most `max_bytes` of
  the answer. It returns a `Response`, or raises `Refused` (the guard) or `FetchError` (the network).

Refused: loopback, private (RFC 1918, unique local), link-local (169.254/16 and fe80::/10: the metadata
services of AWS, GCP and Azure), shared (100.64/10, where Alibaba's metadata lives), multicast, reserved and
unspecified addresses, and IPv4 hidden in IPv6 (::ffff:10.0.0.1, 6to4, NAT64's 64:ff9b::a00:1, ::10.0.0.1), i.e.
anything that is not globally routable (by the IANA registries, `NOT_PUBLIC`, not only Python's `is_global`).
Two settings loosen it, both named in the environment:
- PATUH_FETCH_ALLOW_HOSTS: host names (exact, comma-separated) allowed whatever they resolve to;
- PATUH_FETCH_ALLOW_LOOPBACK_HTTP: development only: plain HTTP (and HTTPS) to loopback addresses.
"""

import http.client
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _


class Refused(ValueError):
    """The guard said no. `str(err)` is a sentence for the person who gave the URL."""


class FetchError(Exception):
    """The request was allowed but failed: DNS, connection, TLS, timeout."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    addresses: tuple[str, ...]  # the checked addresses, in the resolver's order

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict
    body: bytes  # at most max_bytes
    truncated: bool  # the answer was longer than max_bytes
    elapsed_ms: int


def _allowed_hosts() -> set[str]:
    return set(getattr(settings, "PATUH_FETCH_ALLOW_HOSTS", []))


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "PATUH_FETCH_ALLOW_LOOPBACK_HTTP", False))


# Networks refused whatever `is_global` says: Python's own tables changed between patch releases (3.11.7 calls
# 192.0.0.192, Oracle Cloud's metadata address, global). From the IANA special-purpose registries.
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24",
    "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2620:4f:8000::/48",
    "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
))
# IPv6 prefixes whose last 32 bits are an IPv4 address the packet ends up at: IPv4-translated (SIIT), the NAT64
# well-known prefix (a NAT64 gateway reaches 10.0.0.5 at 64:ff9b::a00:5) and the deprecated IPv4-compatible ::/96.
EMBEDS_IPV4 = tuple(ipaddress.ip_network(n) for n in ("::ffff:0:0:0/96", "64:ff9b::/96", "::/96"))


def _plain(ip: ipaddress.IPv4Address | ipaddress.IPv6Address):
    """The IPv4 address an IPv6 one carries (IPv4-mapped, 6to4, SIIT, NAT64, IPv4-compatible), else the address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if int(ip) > 1 and any(ip in net for net in EMBEDS_IPV4):  # not :: or ::1, judged as themselves
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_refusal(address: str) -> str | None:
    """Why `address` may not be contacted, or None if it may."""
    ip = _plain(ipaddress.ip_address(address.split("%", 1)[0]))
    if ip.is_loopback:
        return None if _loopback_allowed() else _("a loopback address")
    if ip.is_multicast:
        return _("a multicast address")
    if ip.is_link_local:
        return _("a link-local address (cloud metadata services live there)")
    if not ip.is_global or any(ip in net for net in NOT_PUBLIC if net.version == ip.version):
        return _("a private or reserved address")
    return None


def resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host}) from err
    seen: list[str] = []
    for *_rest, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return tuple(seen)


def check_url(url: str, *, schemes: tuple[str, ...] = ("https",)) -> Target:
    """Parse and resolve `url`; refuse it unless it may be fetched. Returns where to connect."""
    if not isinstance(url, str) or not url or len(url) > 2000 or any(c in url for c in "\r\n\t\x00 "):
        raise Refused(_("Give a full URL, e.g. https://example.com/webhooks/patuh."))
    try:  # a broken IPv6 literal ("[::1"), a host NFKC turns into a path ("℀.com"): ValueError from urlsplit
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - parsed lazily; may raise too
    except ValueError as err:
        raise Refused(_("Give a full URL, e.g. https://example.com/webhooks/patuh.")) from err
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(_("Only http and https URLs can be fetched."))
    if parts.username is not None or parts.password is not None:
        raise Refused(_("The URL may not carry a user name or password."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(_("The URL has no host."))
    try:  # an internationalised name goes on the wire (DNS, Host, TLS) as its ASCII form, xn--...
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as err:
        raise Refused(_("The URL's host is not a valid name.")) from err
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as err:
        raise Refused(_("The URL's port is not a number from 1 to 65535.")) from err
    if not 0 < port < 65536:
        raise Refused(_("The URL's port is not a number from 1 to 65535."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    addresses = resolve(host, port)
    if not addresses:
        raise Refused(_("The host %(host)s cannot be resolved.") % {"host": host})
    allowed_host = host.lower() in _allowed_hosts()
    if not allowed_host:
        for address in addresses:
            why = address_refusal(address)
            if why is not None:
                raise Refused(_("%(host)s resolves to %(address)s, %(why)s: Patuh does not connect there.")
                              % {"host": host, "address": address, "why": why})
    if scheme not in schemes:
        loopback = all(_plain(ipaddress.ip_address(a.split("%", 1)[0])).is_loopback for a in addresses)
        if not (scheme == "http" and loopback and _loopback_allowed()):
            raise Refused(_("Use an https:// URL."))
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, addresses=addresses)


# One connection pool per (scheme, host, address, port) and thread: keep-alive for a worker sending many
# deliveries to one endpoint, without sharing a socket between threads.
_local = threading.local()


def _pool(target: Target, address: str):
    pools = getattr(_local, "pools", None)
    if pools is None:
        pools = _local.pools = {}
    key = (target.scheme, target.host, address, target.port)
    pool = pools.get(key)
    if pool is None:
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, maxsize=1, retries=False,
                server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED",
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, maxsize=1, retries=False)
        if len(pools) > 256:
            for old in pools.values():
                old.close()
            pools.clear()
        pools[key] = pool
    return pool


def _proxy_pool(proxy: str):
    """One urllib3 ProxyManager per proxy URL and thread (re-check vantage points, `proxy=` below)."""
    managers = getattr(_local, "proxies", None)
    if managers is None:
        managers = _local.proxies = {}
    manager = managers.get(proxy)
    if manager is None:
        manager = managers[proxy] = urllib3.ProxyManager(proxy, num_pools=16, maxsize=1, retries=False,
                                                         cert_reqs="CERT_REQUIRED")
    return manager


# What a request can raise besides urllib3's own errors: the standard library's HTTP client (a header it cannot
# encode, a malformed answer) and the socket layer. A caller gets a FetchError for each, never a crashed job.
UNFORESEEN = (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError)


def request(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
            schemes: tuple[str, ...] = ("https",), connect_timeout: float = 5, read_timeout: float = 10,
            max_bytes: int = 64 * 1024, proxy: str = "") -> Response:
    """One request through the guard. No redirect is followed: a 3xx comes back as it is.

    `proxy` (an operator's setting, never a user's input): send it through this HTTP proxy (CONNECT for https),
    e.g. a re-check vantage point on an Indonesian network. The proxy is asked for the address checked here, not
    the name (`http://93.184.215.14:80/...` with `Host: name`; `CONNECT 93.184.215.14:443`, then TLS with the
    name), so a DNS answer that changes after the check cannot point the proxy at its own network.
    """
    target = check_url(url, schemes=schemes)
    address = target.addresses[0]
    if proxy:
        manager = _proxy_pool(proxy)
        if target.scheme == "https":
            pool, path = manager.connection_from_host(address, target.port, "https", pool_kwargs={
                "server_hostname": target.host, "assert_hostname": target.host}), target.path
        else:
            literal = f"[{address}]" if ":" in address else address
            pool = manager.connection_from_host(address, target.port, "http")  # the proxy's own pool
            path = f"http://{literal}:{target.port}{target.path}"  # absolute-form, to the checked address
    else:
        pool, path = _pool(target, address), target.path
    sent_headers = {"Host": target.host_header, "User-Agent": "Patuh/1", **(headers or {})}
    started = time.monotonic()
    deadline = started + connect_timeout + read_timeout
    try:
        raw = pool.urlopen(method, path, body=body, headers=sent_headers, redirect=False, retries=False,
                           preload_content=False, assert_same_host=False,
                           timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))
    except UNFORESEEN as err:
        raise FetchError(_describe(err)) from err
    chunks, size, truncated = [], 0, False
    try:
        while True:
            if time.monotonic() > deadline:
                limit = f"{connect_timeout + read_timeout:g}"
                raise FetchError(_("The answer took longer than %(s)s s.") % {"s": limit})
            chunk = raw.read1(8192)  # what has arrived: a trickling answer must not outlast the deadline
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                truncated = True
                break
    except UNFORESEEN as err:
        raw.close()
        raise FetchError(_describe(err)) from err
    except FetchError:
        raw.close()
        raise
    if truncated:
        raw.close()  # never read more than asked: drop the connection instead of draining it
    else:
        raw.release_conn()
    elapsed_ms = int((time.monotonic() - started) * 1000)
    return Response(status=raw.status, headers=dict(raw.headers), body=b"".join(chunks)[:max_bytes],
                    truncated=truncated, elapsed_ms=elapsed_ms)


def _describe(err: Exception) -> str:
    """A short, stable description of a network failure (no internals of the exception's repr)."""
    reason = getattr(err, "reason", None) or err

    def is_(kind) -> bool:
        return isinstance(err, kind) or isinstance(reason, kind)

    errors = urllib3.exceptions
    if is_(errors.ConnectTimeoutError):
        return _("Connection timed out.")
    if is_(errors.ReadTimeoutError) or is_(TimeoutError):
        return _("No answer within the read timeout.")
    if is_(errors.SSLError):
        return _("TLS failed: %(reason)s") % {"reason": str(reason)[:200]}
    if is_(errors.NewConnectionError):
        return _("Connection refused or unreachable.")
    if is_(errors.ProtocolError):
        return _("The connection broke: %(reason)s") % {"reason": str(reason)[:200]}
    return str(err)[:300]
