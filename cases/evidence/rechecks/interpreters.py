"""Per-platform interpreters: what a fetched page says about the content.

Each interpreter turns a `Fetch` (every hop of the request, redirects included) into one verdict word and a
sentence saying what was seen:
- gone: removed, account or channel suspended or deleted, 404 or 410;
- restricted: the page itself says the content is withheld in this country, age-gated or private, or an
  Indonesian network's block page (Internet Positif / TrustPositif) answered instead of the platform;
- live: the content is served;
- unknown: no answer (timeout, refused, redirect loop), a captcha, a login wall, an error page, or a page the
  interpreter does not recognise. Unknown never acts on a case.

Platforms answer 200 with a page for almost everything, so a platform interpreter says "live" only when it
finds the content itself, and "unknown" when it finds none of its markers. `LOOKS_FOR` states, per
interpreter, what it looks for (shown in the README and on the console). The markers come from the pages the
platforms serve to a client without an account, and from their documented public endpoints; the fixtures in
tests/fixtures/rechecks/ reproduce them.
"""

import json
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

GONE, RESTRICTED, LIVE, UNKNOWN = "gone", "restricted", "live", "unknown"

log = logging.getLogger(__name__)


@dataclass
class Hop:
    """One request and what came back (status None: no answer, see `error`)."""

    url: str
    request_headers: dict
    status: int | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    elapsed_ms: int = 0
    error: str = ""


@dataclass
class Fetch:
    """Every hop of one re-check, in order. `failure` names why it stopped without a final answer."""

    url: str
    hops: list[Hop]
    failure: str = ""  # "", "refused", "timeout", "network", "redirect_loop", "too_many_redirects"
    error: str = ""

    @property
    def final(self) -> Hop | None:
        answered = [h for h in self.hops if h.status is not None]
        return answered[-1] if answered else None

    @property
    def elapsed_ms(self) -> int:
        return sum(h.elapsed_ms for h in self.hops)


@dataclass(frozen=True)
class Reading:
    verdict: str
    finding: str


def _text(hop: Hop) -> str:
    return hop.body.decode("utf-8", "replace").lower()


def _header(hop: Hop, name: str) -> str:
    lower = name.lower()
    return next((str(v) for k, v in hop.headers.items() if k.lower() == lower), "")


# Pages that stand in front of any site: a captcha or bot check, and Indonesia's ISP block pages.
CAPTCHA_MARKERS = ("captcha", "cf-chl-", "challenge-platform", "verify you are human", "unusual traffic",
                   "are you a robot")
ISP_BLOCK_MARKERS = ("internetpositif", "internet positif", "trustpositif", "trust positif")


class Interpreter:
    """The generic HTTP interpreter; platform interpreters refine `read`."""

    name = "generic"
    label = _("Generic HTTP")
    hosts: tuple[str, ...] = ()
    platform_slugs: tuple[str, ...] = ()
    looks_for = _(
        "404 or 410: gone. 451 (Unavailable For Legal Reasons): restricted. An Indonesian block page "
        "(Internet Positif, TrustPositif) anywhere on the way: restricted. A captcha or bot check, 401, 403, "
        "429 or a server error: unknown. Any other 2xx: live."
    )

    def fetch_url(self, url: str) -> str:
        """The URL to fetch for a case's location (an interpreter may ask a public endpoint instead)."""
        return url

    def interpret(self, fetch: Fetch) -> Reading:
        blocked = self.isp_block(fetch)  # first: a block page may also end in a hop that got no answer
        if blocked is not None:
            return blocked
        failure = self.failure(fetch)
        if failure is not None:
            return failure
        hop = fetch.final
        text = _text(hop)
        try:
            reading = self.read(hop, text, fetch)
        except Exception:  # a page built to break the reader: keep it as evidence, decide nothing from it
            # The host only: a reported location may itself be sensitive (CSAM), and logs are not evidence.
            log.exception("the %s interpreter could not read a page of %s", self.name, urlsplit(hop.url).hostname)
            return Reading(UNKNOWN, _("HTTP %(status)s, but the %(platform)s page could not be read.")
                           % {"status": hop.status, "platform": self.label})
        return reading if reading is not None else self.generic(hop, text)

    def read(self, hop: Hop, text: str, fetch: Fetch) -> Reading | None:
        return None

    # --- shared steps -------------------------------------------------------------------------------------

    def failure(self, fetch: Fetch) -> Reading | None:
        if fetch.failure == "redirect_loop":
            return Reading(UNKNOWN, _("Redirect loop: %(url)s was reached twice.") % {"url": fetch.error})
        if fetch.failure == "too_many_redirects":
            return Reading(UNKNOWN, _("More than %(n)s redirects.") % {"n": settings.PATUH_RECHECKS["MAX_REDIRECTS"]})
        if fetch.failure == "refused":
            return Reading(UNKNOWN, _("Not fetched: %(why)s") % {"why": fetch.error})
        if fetch.failure in ("timeout", "network") or fetch.final is None:
            return Reading(UNKNOWN, _("No answer: %(why)s") % {"why": fetch.error or _("no response")})
        return None

    def isp_block(self, fetch: Fetch) -> Reading | None:
        for hop in fetch.hops:
            where = f"{hop.url} {_header(hop, 'location')}".lower()
            if any(m.replace(" ", "") in where for m in ISP_BLOCK_MARKERS) or \
                    any(m in _text(hop)[:20000] for m in ISP_BLOCK_MARKERS):
                return Reading(RESTRICTED, _("An Indonesian network's block page (Internet Positif / TrustPositif) "
                                             "answered instead of the site: blocked in Indonesia."))
        return None

    def generic(self, hop: Hop, text: str) -> Reading:
        status = hop.status
        if status in (404, 410):
            return Reading(GONE, _("HTTP %(status)s: the page does not exist.") % {"status": status})
        if status == 451:
            return Reading(RESTRICTED, _("HTTP 451 Unavailable For Legal Reasons."))
        if any(m in text for m in CAPTCHA_MARKERS):
            return Reading(UNKNOWN, _("A captcha or bot check answered instead of the page."))
        if status in (401, 403, 407):
            return Reading(UNKNOWN, _("HTTP %(status)s: access refused (a login or block wall).") % {"status": status})
        if status == 429 or status >= 500:
            return Reading(UNKNOWN, _("HTTP %(status)s: the site did not serve the page now.") % {"status": status})
        if 200 <= status < 300:
            size = len(hop.body)
            more = _(" (truncated)") if hop.truncated else ""
            return Reading(LIVE, _("HTTP %(status)s: the page is served (%(size)s bytes%(more)s).")
                           % {"status": status, "size": size, "more": more})
        return Reading(UNKNOWN, _("HTTP %(status)s: no verdict.") % {"status": status})

    def unrecognised(self, hop: Hop) -> Reading:
        return Reading(UNKNOWN, _("HTTP %(status)s, but none of the %(platform)s page markers was found.")
                       % {"status": hop.status, "platform": self.label})


# Patterns over a fetched page run in time linear in its size: the page's author may be the adversary, and
# Python's regular expressions backtrack. A tag is read as `<name` up to the next `<` or `>` (one scan per tag,
# never past the next tag, and at most 2,000 characters), and its attributes are then read from that tag alone
# (a name starts only where no name character precedes it; possessive quantifiers never give back).
META_TAG = re.compile(r"<meta\b[^<>]{0,2000}>")
ATTRIBUTE = re.compile(r'(?<![a-z_:.-])([a-z_:.-]++)\s*+=\s*+"([^"]*+)"')


def _attributes(tag: str) -> dict[str, str]:
    return dict(ATTRIBUTE.findall(tag))


def _meta(text: str, prop: str) -> str:
    """The content of the first `<meta property="prop" content="...">` (attributes in any order)."""
    for tag in META_TAG.finditer(text):
        attributes = _attributes(tag.group(0))
        if attributes.get("property") == prop:
            return attributes.get("content", "")
    return ""


class Telegram(Interpreter):
    name = "telegram"
    label = _("Telegram")
    hosts = ("t.me", "telegram.me", "telegram.dog")
    platform_slugs = ("telegram",)
    looks_for = _(
        "Public t.me preview pages. A post (t.me/channel/123) is fetched as its embed widget (?embed=1): "
        "“tgme_widget_message_error” (Post not found): gone; the message text, photo or video: live. A channel "
        "page: “can't be displayed because it violated local laws”: restricted; any other “can't be "
        "displayed” notice (Terms of Service, terrorism, pornography): gone; a page without a title or "
        "subscriber count (“Telegram: Contact @name”, the username is free): gone; title with subscribers or "
        "members: live."
    )

    POST = re.compile(r"^/(?:s/)?([A-Za-z0-9_]{4,64})/(\d+)/?$")

    def fetch_url(self, url: str) -> str:
        parts = urlsplit(url)
        match = self.POST.match(parts.path)
        if match and "embed=1" not in parts.query:
            query = urlencode({"embed": "1", "mode": "tme"})
            return f"{parts.scheme}://{parts.netloc}/{match.group(1)}/{match.group(2)}?{query}"
        return url

    def read(self, hop, text, fetch):
        if hop.status in (404, 410):
            return None
        if "tgme_widget_message_error" in text:
            return Reading(GONE, _("Telegram's widget says the post is not found (deleted, or the channel is gone)."))
        notice = re.search(r"can(?:'|’|no)t be displayed[^<]{0,200}", text)
        if notice:
            if "local law" in notice.group(0) or "your country" in notice.group(0):
                return Reading(RESTRICTED, _("Telegram: “%(notice)s”: withheld here.") % {"notice": notice.group(0)})
            return Reading(GONE, _("Telegram: “%(notice)s”: blocked by Telegram.") % {"notice": notice.group(0)})
        if any(m in text for m in ("tgme_widget_message_text", "tgme_widget_message_photo",
                                   "tgme_widget_message_video", "tgme_widget_message_document")):
            return Reading(LIVE, _("The post is shown (message content found in Telegram's widget)."))
        if "tgme_page_title" in text and "tgme_page_extra" in text:
            extra = re.search(r'class="tgme_page_extra"[^<>]{0,200}>\s{0,200}([^<]{1,80})', text)
            return Reading(LIVE, _("The channel page is shown (%(extra)s).")
                           % {"extra": extra.group(1).strip() if extra else _("title and subscriber count")})
        if "tgme_page" in text and "tgme_page_title" not in text:
            return Reading(GONE, _("Telegram shows only “%(title)s”: no such channel or user (the username is free).")
                           % {"title": _meta(text, "og:title") or "Telegram"})
        return None if hop.status != 200 else self.unrecognised(hop)


class X(Interpreter):
    name = "x"
    label = _("X (Twitter)")
    hosts = ("x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com")
    platform_slugs = ("x", "twitter")
    looks_for = _(
        "Posts (/user/status/123) through X's public oEmbed endpoint, because x.com serves no post to a client "
        "without JavaScript: 200 with the post's HTML: live; 404: gone (deleted, or the account is gone); "
        "403: restricted (a protected or withheld post). Other pages: “Account suspended” or “this account "
        "doesn't exist”: gone; “withheld in Indonesia” (or any country): restricted."
    )

    STATUS = re.compile(r"^/[A-Za-z0-9_]{1,15}/status(?:es)?/\d+")

    def fetch_url(self, url: str) -> str:
        if self.STATUS.match(urlsplit(url).path):
            endpoint = settings.PATUH_RECHECKS["X_OEMBED"]
            return f"{endpoint}?{urlencode({'url': url, 'omit_script': 'true', 'dnt': 'true'})}"
        return url

    def read(self, hop, text, fetch):
        oembed = "oembed" in urlsplit(fetch.url).path
        if oembed:
            if hop.status == 200:
                try:
                    data = json.loads(hop.body)
                except ValueError:
                    data = {}
                if isinstance(data, dict) and data.get("html"):
                    return Reading(LIVE, _("X's oEmbed endpoint returns the post (%(author)s).")
                                   % {"author": data.get("author_name") or data.get("author_url") or "?"})
                return self.unrecognised(hop)
            if hop.status == 404:
                return Reading(GONE, _("X's oEmbed endpoint: 404, the post is deleted or its account is gone."))
            if hop.status == 403:
                return Reading(RESTRICTED, _("X's oEmbed endpoint: 403, the post is not public (protected or "
                                             "withheld)."))
            return None
        if "withheld in" in text:
            return Reading(RESTRICTED, _("X says the account or post is withheld in a country."))
        if "account suspended" in text or "this account doesn’t exist" in text or "this account doesn't exist" in text:
            return Reading(GONE, _("X says the account is suspended or does not exist."))
        return None if hop.status != 200 else self.unrecognised(hop)


class Facebook(Interpreter):
    name = "facebook"
    label = _("Facebook")
    hosts = ("facebook.com", "www.facebook.com", "m.facebook.com", "web.facebook.com", "fb.com", "fb.watch")
    platform_slugs = ("facebook", "meta")
    looks_for = _(
        "A redirect to the login page, or a login form instead of the post: unknown (login wall). “isn't "
        "available in your country” or “legal restrictions”: restricted. “This content isn't available”, "
        "“this page isn't available” or 404: gone. The post's og:title or og:description: live."
    )

    def read(self, hop, text, fetch):
        path = urlsplit(hop.url).path.lower()
        if path.startswith("/login") or "login.php" in path or 'id="login_form"' in text:
            return Reading(UNKNOWN, _("Facebook asks to log in before showing the page (login wall)."))
        if "available in your country" in text or "legal restrictions" in text:
            return Reading(RESTRICTED, _("Facebook says the content is not available in this country."))
        if any(m in text for m in ("this content isn't available", "this content isn’t available",
                                   "this page isn't available", "this page isn’t available")):
            return Reading(GONE, _("Facebook says the content isn't available (removed, or no longer public)."))
        if hop.status == 200 and (_meta(text, "og:title") or _meta(text, "og:description")):
            title = _meta(text, "og:title")[:120]
            return Reading(LIVE, _("Facebook serves the post (“%(title)s”).") % {"title": title})
        return None if hop.status != 200 else self.unrecognised(hop)


class YouTube(Interpreter):
    name = "youtube"
    label = _("YouTube")
    hosts = ("youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be")
    platform_slugs = ("youtube", "google")
    looks_for = _(
        "The watch page's playabilityStatus: OK: live; ERROR (removed, terminated account, unavailable): gone; "
        "UNPLAYABLE (“not made available in your country”, private): restricted; LOGIN_REQUIRED or "
        "CONTENT_CHECK_REQUIRED for age or privacy: restricted, but “confirm you're not a bot”: unknown. A "
        "consent or “unusual traffic” page: unknown."
    )

    STATUS = re.compile(r'"playabilitystatus":\s*\{\s*"status":\s*"([a-z_]+)"(?:,\s*"reason":\s*"([^"]{0,300})")?')

    def read(self, hop, text, fetch):
        host = (urlsplit(hop.url).hostname or "").lower()
        if host.startswith("consent.") or "/sorry/" in hop.url:
            return Reading(UNKNOWN, _("Google's consent or “unusual traffic” page answered instead of the video."))
        match = self.STATUS.search(text)
        if not match:
            return None if hop.status != 200 else self.unrecognised(hop)
        status, reason = match.group(1), (match.group(2) or "").strip()
        said = {"status": status.upper(), "reason": reason or "-"}
        if status == "ok":
            return Reading(LIVE, _("YouTube plays the video (playabilityStatus OK)."))
        if status == "error":
            return Reading(GONE, _("YouTube: %(status)s, “%(reason)s”.") % said)
        if status == "login_required" and "bot" in reason:
            return Reading(UNKNOWN, _("YouTube asks to confirm this is not a bot: %(reason)s.") % said)
        if status in ("unplayable", "login_required", "content_check_required", "age_check_required"):
            return Reading(RESTRICTED, _("YouTube: %(status)s, “%(reason)s”.") % said)
        return Reading(UNKNOWN, _("YouTube: %(status)s, “%(reason)s”: no verdict.") % said)


class TikTok(Interpreter):
    name = "tiktok"
    label = _("TikTok")
    hosts = ("tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com")
    platform_slugs = ("tiktok",)
    looks_for = _(
        "The page's __UNIVERSAL_DATA_FOR_REHYDRATION__ data: the video detail's statusCode 0: live; a status "
        "message about the region or a private video: restricted; any other non-zero statusCode (10204, "
        "“item doesn't exist”): gone. “Couldn't find this account”: gone; “This account is private”: "
        "restricted. A captcha (“verify to continue”): unknown."
    )

    DATA_TAG = re.compile(r"<script\b[^<>]{0,2000}>")

    def read(self, hop, text, fetch):
        if "verify to continue" in text or "captcha" in text:
            return Reading(UNKNOWN, _("TikTok shows a captcha instead of the page."))
        if "couldn't find this account" in text or "couldn’t find this account" in text:
            return Reading(GONE, _("TikTok says it couldn't find this account."))
        if "this account is private" in text:
            return Reading(RESTRICTED, _("TikTok says this account is private."))
        raw = self.data_script(hop.body.decode("utf-8", "replace"))
        if raw is None:
            return None if hop.status != 200 else self.unrecognised(hop)
        try:
            data = json.loads(raw)
            detail = data["__DEFAULT_SCOPE__"]["webapp.video-detail"]
            code, message = int(detail.get("statusCode", -1)), str(detail.get("statusMsg", ""))
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError):
            return self.unrecognised(hop)
        said = {"code": code, "message": message or "-"}
        if code == 0:
            return Reading(LIVE, _("TikTok serves the video (statusCode 0)."))
        lowered = message.lower()
        if "region" in lowered or "country" in lowered or "private" in lowered:
            return Reading(RESTRICTED, _("TikTok: statusCode %(code)s, “%(message)s”.") % said)
        return Reading(GONE, _("TikTok: statusCode %(code)s, “%(message)s”.") % said)


    def data_script(self, page: str) -> str | None:
        """The first `<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">`'s text, or None (one pass over the page)."""
        for tag in self.DATA_TAG.finditer(page):
            if _attributes(tag.group(0).lower()).get("id") == "__universal_data_for_rehydration__":
                end = page.find("</script>", tag.end())
                return page[tag.end():end] if end >= 0 else None
        return None


GENERIC = Interpreter()
PLATFORM_INTERPRETERS = (Telegram(), X(), Facebook(), YouTube(), TikTok())
ALL = (*PLATFORM_INTERPRETERS, GENERIC)
BY_NAME = {i.name: i for i in ALL}


def for_location(url: str, platform_slug: str = "") -> Interpreter:
    """The interpreter for a URL: by its host, else by the case's platform, else the generic one."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for interpreter in PLATFORM_INTERPRETERS:
        bare = [h.removeprefix("www.") for h in interpreter.hosts]
        if any(host == h or host.endswith("." + h) for h in bare):
            return interpreter
    for interpreter in PLATFORM_INTERPRETERS:
        if platform_slug in interpreter.platform_slugs:
            return interpreter
    return GENERIC
