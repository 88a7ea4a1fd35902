"""A re-check as a WARC file (ISO 28500, written with warcio): what was asked, what came back, and what Patuh
concluded.

Records, in order: `warcinfo` (who captured it, with which software); for each hop a `request` record and, if
anything came back, a `response` record (status line, headers and the body up to the cap; `WARC-Truncated:
length` when the cap cut it); last a `metadata` record (JSON) with the case, vantage point, interpreter, verdict
and finding, and the error of a hop that got no answer. Headers are stored as the client parsed them; a
`Transfer-Encoding` header is renamed, because the body is stored de-chunked.

For categories whose bodies must never be kept (child sexual abuse material), the response records carry no
body: the metadata records its size and SHA-256 instead.
"""

import hashlib
import io
import json
from http import HTTPStatus
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cases.evidence.rechecks.interpreters import Fetch, Reading


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _response_headers(headers: dict) -> list[tuple[str, str]]:
    out = []
    for name, value in headers.items():
        if name.lower() == "transfer-encoding":
            name = "X-Patuh-Original-Transfer-Encoding"
        out.append((str(name), str(value)))
    return out


def build(fetch: Fetch, reading: Reading, *, metadata: dict, keep_body: bool = True) -> bytes:
    """The gzipped WARC bytes of one re-check (`.warc.gz`, one gzip member per record)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="WARC/1.1")
    writer.write_record(writer.create_warcinfo_record("patuh-recheck.warc.gz", {
        "software": "Patuh (cases/evidence/rechecks), warcio",
        "format": "WARC File Format 1.1",
        "description": "An automatic re-check of a takedown order's location.",
    }))
    hops = []
    for hop in fetch.hops:
        parts = urlsplit(hop.url)
        target = parts.path or "/"
        if parts.query:
            target = f"{target}?{parts.query}"
        request_headers = StatusAndHeaders(
            f"GET {target} HTTP/1.1", [("Host", parts.netloc), *hop.request_headers.items()], is_http_request=True)
        writer.write_record(writer.create_warc_record(hop.url, "request", payload=io.BytesIO(b""),
                                                      http_headers=request_headers))
        digest = hashlib.sha256(hop.body).hexdigest()
        hops.append({"url": hop.url, "status": hop.status, "elapsed_ms": hop.elapsed_ms, "error": hop.error,
                     "body_bytes": len(hop.body), "body_sha256": digest, "truncated": hop.truncated})
        if hop.status is None:
            continue
        body = hop.body if keep_body else b""
        warc_headers = {}
        if hop.truncated:
            warc_headers["WARC-Truncated"] = "length"
        if not keep_body:
            warc_headers["WARC-Truncated"] = "unspecified"
        http_headers = StatusAndHeaders(f"{hop.status} {_reason(hop.status)}", _response_headers(hop.headers),
                                        protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(hop.url, "response", payload=io.BytesIO(body),
                                                      length=len(body), http_headers=http_headers,
                                                      warc_headers_dict=warc_headers))
    summary = {**metadata, "verdict": reading.verdict, "finding": str(reading.finding), "hops": hops,
               "failure": fetch.failure, "error": fetch.error, "body_kept": keep_body}
    payload = json.dumps(summary, ensure_ascii=False, sort_keys=True, indent=1).encode()
    writer.write_record(writer.create_warc_record(fetch.url, "metadata", payload=io.BytesIO(payload),
                                                  length=len(payload), warc_content_type="application/json"))
    return buffer.getvalue()
