"""The SSRF guard (cases/core/outbound.py) against addresses that hide a private one, and hosts it must send in ASCII
(review r16 of issues 16 and 17). The resolver is replaced, so each case names the address a hostile DNS answer
would give; the guard must refuse what the address reaches, whatever Python version judges `is_global`."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cases.core import outbound


@pytest.fixture
def resolves_to(monkeypatch):
    def set_address(*addresses):
        monkeypatch.setattr(outbound, "resolve", lambda host, port: tuple(addresses))

    return set_address


@pytest.mark.parametrize("address", [
    "192.0.0.192",  # Oracle Cloud's metadata service (192.0.0.0/24: IETF protocol assignments, not routable)
    "192.0.0.1",
    "::a9fe:a9fe",  # IPv4-compatible IPv6 (deprecated ::/96) of 169.254.169.254
    "::7f00:1",  # ... of 127.0.0.1
    "::ffff:0:a00:1",  # IPv4-translated (SIIT, ::ffff:0:0:0/96) of 10.0.0.1
    "64:ff9b::a9fe:a9fe",  # the NAT64 well-known prefix: a NAT64 gateway reaches 169.254.169.254
    "64:ff9b::a00:5",  # ... and 10.0.0.5 in the same network
    "64:ff9b:1::a00:5",  # the local-use NAT64 prefix
    "fec0::1",  # site-local (deprecated, still routed by some networks)
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "198.18.0.1",  # benchmarking
    "240.0.0.1",  # reserved
])
def test_an_address_that_reaches_a_private_one_is_refused(address, resolves_to):
    resolves_to(address)
    with pytest.raises(outbound.Refused):
        outbound.check_url("https://hooks.example.com/patuh")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e",
                                     "::ffff:93.184.215.14"])
def test_public_addresses_pass(address, resolves_to):
    resolves_to(address)
    assert outbound.check_url("https://hooks.example.com/patuh").addresses == (address,)


class Recorder(BaseHTTPRequestHandler):
    seen: list = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        Recorder.seen.append((self.path, self.headers.get("Host")))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server(settings):
    settings.PATUH_FETCH_ALLOW_LOOPBACK_HTTP = True
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    Recorder.seen = []
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_an_internationalised_host_is_asked_for_by_its_ascii_name(local_server, resolves_to):
    """A webhook URL or a reported location on an IDN host (пример.рф) once raised UnicodeEncodeError out of the
    HTTP client: the delivery job failed without logging an attempt, again after every claim timeout."""
    resolves_to("127.0.0.1")
    response = outbound.request("GET", f"http://пример.рф:{local_server}/путь", schemes=("https", "http"))
    assert response.status == 200
    assert Recorder.seen == [("/%D0%BF%D1%83%D1%82%D1%8C", f"xn--e1afmkfd.xn--p1ai:{local_server}")]


def test_a_host_that_is_no_valid_name_is_refused_with_a_sentence(resolves_to):
    resolves_to("93.184.215.14")
    with pytest.raises(outbound.Refused):
        outbound.check_url("https://" + "a" * 64 + ".example.com/")  # a label longer than 63 characters


def test_a_failure_the_client_did_not_foresee_is_a_fetch_error(local_server, resolves_to, monkeypatch):
    resolves_to("127.0.0.1")

    def broken(*args, **kwargs):
        raise UnicodeEncodeError("latin-1", "é", 0, 1, "ordinal not in range(256)")

    monkeypatch.setattr(outbound.urllib3.HTTPConnectionPool, "urlopen", broken)
    with pytest.raises(outbound.FetchError):
        outbound.request("GET", f"http://127.0.0.1:{local_server}/", schemes=("https", "http"))


class RecordingProxy(BaseHTTPRequestHandler):
    """An HTTP proxy that writes down what it was asked to reach, and answers itself (CONNECT: 502)."""

    seen: list = []

    def do_GET(self):  # noqa: N802
        RecordingProxy.seen.append(("GET", self.path, self.headers.get("Host")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_CONNECT(self):  # noqa: N802
        RecordingProxy.seen.append(("CONNECT", self.path, self.headers.get("Host")))
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def proxy():
    server = HTTPServer(("127.0.0.1", 0), RecordingProxy)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    RecordingProxy.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_through_a_proxy_patuh_names_the_address_it_checked_not_the_host(proxy, resolves_to):
    """A vantage point's proxy once resolved the name again: a DNS answer that changes between the guard's check
    and the proxy's lookup (rebinding) reached the proxy's network, e.g. the ministry's own behind a proxy at
    10.20.0.5. The proxy is now asked for the checked address, with the name in Host (and in TLS SNI)."""
    resolves_to("93.184.215.14")
    response = outbound.request("GET", "http://content.example/post/1?x=1", schemes=("https", "http"), proxy=proxy)
    assert response.status == 200
    assert RecordingProxy.seen == [("GET", "http://93.184.215.14:80/post/1?x=1", "content.example")]

    resolves_to("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    with pytest.raises(outbound.FetchError):  # the recording proxy refuses the tunnel
        outbound.request("GET", "https://content.example/post/1", proxy=proxy)
    assert RecordingProxy.seen[-1][:2] == ("CONNECT", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443")


def test_a_dns_answer_that_changes_after_the_check_is_not_followed(local_server, monkeypatch):
    """DNS rebinding: the name resolves to one address when checked and to another a moment later. The request
    goes to the address the guard checked (here 127.0.0.2, where nothing listens), never to the second answer
    (127.0.0.1, where the server waits)."""
    import socket

    answers = iter(["127.0.0.2"])  # the first lookup of the name only
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host != "rebind.example":  # an address literal (the HTTP client's own lookup) resolves to itself
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(outbound.FetchError):
        outbound.request("GET", f"http://rebind.example:{local_server}/", schemes=("https", "http"),
                         connect_timeout=1, read_timeout=1)
    assert Recorder.seen == []


@pytest.mark.parametrize("url", ["https://2130706433/", "https://0x7f.1/", "https://017700000001/",
                                 "https://0177.0.0.1/", "https://127.1/", "https://0/", "https://[::ffff:7f00:1]/",
                                 "https://[0:0:0:0:0:ffff:169.254.169.254]/", "https://2852039166/"])
def test_decimal_octal_hex_and_short_forms_of_private_addresses_are_refused(url):
    """The C resolver reads 2130706433, 0x7f.1 and 0177.0.0.1 as 127.0.0.1 (2852039166: 169.254.169.254): the guard
    judges the address the name resolves to, never the spelling."""
    with pytest.raises(outbound.Refused):
        outbound.check_url(url)
