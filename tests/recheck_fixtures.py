"""Which local URL serves which fixture, and the verdict each interpreter must give (tests and benchmark)."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.recheck_server import Route, fixture


@dataclass(frozen=True)
class Case:
    platform: str  # the platform slug the case is on (chooses the interpreter for a local URL)
    path: str  # the case's location on the local server
    verdict: str
    route: Route | None = None  # served at the path the interpreter fetches
    extra: dict = field(default_factory=dict)  # other routes (redirect targets)
    name: str = ""

    @property
    def id(self) -> str:
        return f"{self.platform}-{self.name or self.path.strip('/').replace('/', '_')}-{self.verdict}"


def html(name: str, status: int = 200, **headers) -> Route:
    return Route(status, fixture(name), headers)


def json_route(name: str, status: int = 200) -> Route:
    return Route(status, fixture(name), {"Content-Type": "application/json; charset=utf-8"})


def redirect(to: str, status: int = 302) -> Route:
    return Route(status, b"", {"Location": to})


GONE, RESTRICTED, LIVE, UNKNOWN = "gone", "restricted", "live", "unknown"
PAGE = fixture("generic/page_live.html")

CASES = [
    # Telegram: t.me preview pages (posts through their embed widget).
    Case("telegram", "/example_channel/1045", LIVE, html("telegram/post_live.html"), name="post"),
    Case("telegram", "/example_channel/1046", GONE, html("telegram/post_gone.html"), name="post"),
    Case("telegram", "/example_channel", LIVE, html("telegram/channel_live.html"), name="channel"),
    Case("telegram", "/free_name", GONE, html("telegram/channel_gone.html"), name="free-username"),
    Case("telegram", "/banned_channel", GONE, html("telegram/channel_banned.html"), name="banned"),
    Case("telegram", "/lawless_channel", RESTRICTED, html("telegram/channel_local_laws.html"), name="local-laws"),
    Case("telegram", "/odd_channel", UNKNOWN, html("telegram/unrecognised.html"), name="unrecognised"),
    # X: posts through the oEmbed endpoint, other pages as they are.
    Case("x", "/example_user/status/1760000000000000001", LIVE, json_route("x/oembed_live.json"), name="post"),
    Case("x", "/example_user/status/2", GONE, json_route("x/oembed_404.json", 404), name="post"),
    Case("x", "/example_user/status/3", RESTRICTED, json_route("x/oembed_403.json", 403), name="post"),
    Case("x", "/suspended_user", GONE, html("x/profile_suspended.html"), name="suspended"),
    Case("x", "/withheld_user", RESTRICTED, html("x/profile_withheld.html"), name="withheld"),
    Case("x", "/shell_user", UNKNOWN, html("x/shell.html"), name="script-shell"),
    # Facebook.
    Case("facebook", "/examplepage/posts/1", LIVE, html("facebook/post_live.html"), name="post"),
    Case("facebook", "/examplepage/posts/2", GONE, html("facebook/post_gone.html"), name="unavailable"),
    Case("facebook", "/examplepage/posts/3", RESTRICTED, html("facebook/post_country.html"), name="country"),
    Case("facebook", "/examplepage/posts/4", UNKNOWN, redirect("/login/?next=%2Fexamplepage%2Fposts%2F4"),
         {"/login/": html("facebook/login.html")}, name="login-wall"),
    Case("facebook", "/examplepage/posts/5", GONE, html("generic/not_found.html", 404), name="404"),
    # YouTube: the watch page's playability status.
    Case("youtube", "/watch?v=live0000001", LIVE, html("youtube/watch_live.html"), name="ok"),
    Case("youtube", "/watch?v=gone0000001", GONE, html("youtube/watch_removed.html"), name="removed"),
    Case("youtube", "/watch?v=geo00000001", RESTRICTED, html("youtube/watch_country.html"), name="country"),
    Case("youtube", "/watch?v=age00000001", RESTRICTED, html("youtube/watch_age.html"), name="age"),
    Case("youtube", "/watch?v=bot00000001", UNKNOWN, html("youtube/watch_bot.html"), name="bot-check"),
    # TikTok.
    Case("tiktok", "/@example/video/7340000000000000001", LIVE, html("tiktok/video_live.html"), name="video"),
    Case("tiktok", "/@example/video/7340000000000000002", GONE, html("tiktok/video_gone.html"), name="video"),
    Case("tiktok", "/@example/video/7340000000000000003", RESTRICTED, html("tiktok/video_region.html"),
         name="region"),
    Case("tiktok", "/@gone_account", GONE, html("tiktok/account_gone.html"), name="account"),
    Case("tiktok", "/@private_account", RESTRICTED, html("tiktok/account_private.html"), name="private"),
    Case("tiktok", "/@example/video/7340000000000000004", UNKNOWN, html("tiktok/captcha.html"), name="captcha"),
    # Generic HTTP, and what the network can do.
    Case("other", "/page", LIVE, Route(200, PAGE)),
    Case("other", "/missing", GONE, html("generic/not_found.html", 404)),
    Case("other", "/deleted", GONE, Route(410, b"Gone")),
    Case("other", "/legal", RESTRICTED, Route(451, b"Unavailable For Legal Reasons")),
    Case("other", "/forbidden", UNKNOWN, Route(403, b"Forbidden")),
    Case("other", "/error", UNKNOWN, Route(503, b"Service Unavailable")),
    Case("other", "/challenge", UNKNOWN, html("generic/challenge.html", 403)),
    Case("other", "/blocked", RESTRICTED, redirect("/internetpositif/landing"),
         {"/internetpositif/landing": html("generic/internet_positif.html")}, name="isp-block"),
    Case("other", "/slow", UNKNOWN, Route(200, PAGE, behaviour="slow", delay=3.0)),
    Case("other", "/trickle", UNKNOWN, Route(200, PAGE, behaviour="trickle", delay=0.1)),
    Case("other", "/huge", LIVE, Route(200, behaviour="huge", size=20 * 1024 * 1024)),
    Case("other", "/loop-a", UNKNOWN, redirect("/loop-b"), {"/loop-b": redirect("/loop-a")}, name="redirect-loop"),
    Case("other", "/far/0", UNKNOWN, redirect("/far/1"),
         {f"/far/{i}": redirect(f"/far/{i + 1}") for i in range(1, 12)}, name="too-many-redirects"),
    Case("other", "/to-metadata", UNKNOWN, redirect("http://169.254.169.254/latest/meta-data/"), name="ssrf"),
]


def served_path(fetch_url: str) -> str:
    parts = urlsplit(fetch_url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
