"""A real HTTP receiver on loopback for the webhook tests: it records every request and answers as scripted.

    with Receiver() as receiver:
        receiver.script(500, 500, 200)          # the first two requests get 500, then 200
        receiver.script((200, 3.0))             # or (status, seconds to wait before answering)
        receiver.script((302, 0, b"", {"Location": "/elsewhere"}))   # ... and the body and extra headers
        ...
        receiver.wait_for(3)                    # blocks until 3 requests arrived (or fails after a timeout)
"""

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes
    at: float  # time.time() when it arrived
    path: str

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    default_status: int = 200
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._script: list[tuple] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Answer at once: without it, Nagle's algorithm holds the body back for the client's delayed ACK
                # (40 ms a request), as no real server would.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(dict(self.headers), body, time.time(), self.path))
                    answer = receiver._script.pop(0) if receiver._script else (receiver.default_status, 0)
                    status, delay, payload, extra = (*answer, b'{"ok": true}', {})[:4]
                    receiver._lock.notify_all()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test)

            def log_message(self, format, *args):  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/patuh"

    def script(self, *answers) -> None:
        with self._lock:
            for answer in answers:
                self._script.append(answer if isinstance(answer, tuple) else (answer, 0))

    def wait_for(self, n: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {n} request(s) within {timeout} s, got {len(self.requests)}")
                self._lock.wait(left)
            return list(self.requests)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
