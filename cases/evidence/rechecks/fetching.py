"""Fetching a location from a vantage point, through the SSRF guard, following redirects one guarded hop at a time.

Why redirects are followed here and not by the HTTP client: each hop's URL must pass the guard (a platform's
redirect to `http://169.254.169.254/` is refused like any other URL), every hop is kept as evidence, and a loop
is recognised as such (an unknown verdict, not a timeout).
"""

from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.utils.translation import gettext as _

from cases.core import outbound
from cases.evidence.rechecks.interpreters import Fetch, Hop

REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Vantage:
    name: str
    proxy: str = ""
    country: str = ""

    @property
    def in_indonesia(self) -> bool:
        return self.country == "ID"

    @property
    def description(self) -> str:
        return f"{self.name} ({'proxy' if self.proxy else 'direct'}{', ' + self.country if self.country else ''})"


def vantages() -> list[Vantage]:
    return [Vantage(**v) for v in settings.PATUH_RECHECKS["VANTAGES"]]


def vantage(name: str) -> Vantage | None:
    return next((v for v in vantages() if v.name == name), None)


def user_agent() -> str:
    """Who is asking, for a platform's operations team reading its logs."""
    conf = settings.PATUH_RECHECKS
    return (f"Patuh/1 (re-check of a takedown order; {settings.PATUH['ISSUING_AUTHORITY']}; "
            f"contact: {conf['CONTACT']})")


def request_headers() -> dict:
    return {"User-Agent": user_agent(), "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
            "Accept-Language": "id,en;q=0.8"}


def fetch(url: str, where: Vantage) -> Fetch:
    """GET `url` from `where`, following at most MAX_REDIRECTS redirects. Never raises for the network's sake."""
    conf = settings.PATUH_RECHECKS
    hops: list[Hop] = []
    seen: set[str] = set()
    current = url
    headers = request_headers()
    for _hop in range(conf["MAX_REDIRECTS"] + 1):
        if current in seen:
            return Fetch(url, hops, failure="redirect_loop", error=current)
        seen.add(current)
        hop = Hop(url=current, request_headers=headers)
        hops.append(hop)
        try:
            response = outbound.request(
                "GET", current, headers=headers, schemes=("https", "http"), proxy=where.proxy,
                connect_timeout=conf["CONNECT_TIMEOUT"], read_timeout=conf["READ_TIMEOUT"],
                max_bytes=conf["MAX_BODY_BYTES"],
            )
        except outbound.Refused as err:
            hop.error = str(err)
            return Fetch(url, hops, failure="refused", error=hop.error)
        except outbound.FetchError as err:
            hop.error = str(err)
            timed_out = "time" in hop.error.lower() or "longer than" in hop.error.lower()
            return Fetch(url, hops, failure="timeout" if timed_out else "network", error=hop.error)
        hop.status, hop.headers, hop.body = response.status, response.headers, response.body
        hop.truncated, hop.elapsed_ms = response.truncated, response.elapsed_ms
        location = next((v for k, v in response.headers.items() if k.lower() == "location"), "")
        if response.status in REDIRECTS and location:
            try:
                current = urljoin(current, location)
            except ValueError:  # a broken IPv6 literal, a host NFKC turns into a path: the page's author chose it
                why = _("the redirect's Location is not a URL: %(location)s") % {"location": location[:200]}
                return Fetch(url, hops, failure="refused", error=why)
            continue
        return Fetch(url, hops)
    return Fetch(url, hops, failure="too_many_redirects", error=current)
