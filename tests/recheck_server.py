"""A local HTTP server that plays the platforms for the re-check tests and benchmark.

Routes map a path (with its query, if the fetch sends one) to a `Route`: a status, headers and a body, or a
behaviour the network can have: `slow` (answers after `delay` seconds), `trickle` (a byte at a time),
`huge` (streams `size` bytes). Every request is logged with its time, host and User-Agent, so tests can check
what Patuh sent and benchmarks can check the rate limits held.
"""

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "rechecks"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    behaviour: str = ""  # "", "slow", "trickle", "huge"
    delay: float = 0.0
    size: int = 0


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Hit:
    at: float
    host: str
    path: str
    user_agent: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        server = self.server
        server.hits.append(Hit(time.monotonic(), self.headers.get("Host", ""), self.path,
                               self.headers.get("User-Agent", "")))
        route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0]) or server.default
        if route is None:
            route = Route(404, b"<html><body>Not found</body></html>")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._serve(route)

    def _serve(self, route: Route):
        if route.behaviour == "slow":
            time.sleep(route.delay)
        self.send_response(route.status)
        headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
        if route.behaviour == "huge":
            headers["Content-Length"] = str(route.size)
        elif route.behaviour == "trickle":
            headers["Content-Length"] = str(len(route.body))
        else:
            headers["Content-Length"] = str(len(route.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if route.behaviour == "huge":
            chunk = b"<p>" + b"x" * 65525 + b"</p>\n"
            sent = 0
            while sent < route.size:
                piece = chunk[: route.size - sent]
                self.wfile.write(piece)
                sent += len(piece)
        elif route.behaviour == "trickle":
            for i in range(len(route.body)):
                self.wfile.write(route.body[i:i + 1])
                self.wfile.flush()
                time.sleep(route.delay)
        else:
            self.wfile.write(route.body)


class FixtureServer:
    """`with FixtureServer(routes) as server: server.url("/path")`. Binds 127.0.0.1 (or `host`) on a free port."""

    def __init__(self, routes: dict[str, Route] | None = None, *, host: str = "127.0.0.1",
                 default: Route | None = None):
        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = dict(routes or {})
        self.httpd.default = default
        self.httpd.hits = []
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def routes(self) -> dict[str, Route]:
        return self.httpd.routes

    @property
    def hits(self) -> list[Hit]:
        return self.httpd.hits

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
