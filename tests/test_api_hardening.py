"""Issue 12, hardening: each class of hostile input found over a real server answers a 4xx in the error shape
(never a 500), at the level a client meets it (an HTTP request). One section per class of the issue.

The fuzz suite (tests/test_api_fuzz.py) sends the same strings inside otherwise valid bodies; the process
tests (a killed upload, two gunicorn workers sharing the rate limits) are in tests/test_hardening_processes.py.
"""

import pytest

from cases.models import Case
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db
CASES = "/api/v1/cases/"
BULK = "/api/v1/cases/bulk/"


def order(url, **extra):
    return {"platform": "telegram", "category": "gambling", "location_url": url,
            "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling.", **extra}


def assert_error(response, status: int, *, fields: set | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if fields is not None:
        assert set(error.get("fields", {})) == fields, error
    return error


# --- 1. odd URLs: a field error per item, never a 500, and the valid items of a batch are created ----------

ODD_URLS = ["https://t.me:abc/x", "https://t.me:99999/x", "http://[::1", "https://[::1/x", "https://t.me:0/x",
            "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "ftp://t.me/x", "https://:80/x", "http://"]


@pytest.mark.parametrize("url", ODD_URLS)
def test_an_odd_url_in_a_single_order_is_a_field_error(analyst, platform_a, url):
    response = bearer_client(analyst).post(CASES, order(url), format="json")
    assert_error(response, 400, fields={"location_url"})
    assert not Case.objects.exists()


def test_odd_urls_in_a_batch_are_invalid_items_and_the_valid_ones_are_created(analyst, platform_a):
    items = [order(url) for url in ODD_URLS] + [order("https://t.me/fine/1"), order("https://t.me:8443/fine/2")]
    response = bearer_client(analyst).post(BULK, {"items": items}, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["invalid"] * len(ODD_URLS) + ["created", "created"]
    assert all(set(r["fields"]) == {"location_url"} for r in results[:len(ODD_URLS)])
    assert Case.objects.count() == 2


# --- 10. de-duplication sees through percent-encoded unreserved characters and invisible characters --------

@pytest.mark.parametrize("variant", ["https://t.me/chan/1\u200b", "https://t.me/chan/%31", "https://t.me/%63han/1",
                                     "https://t.me/chan/\ufeff1", "https://t.me/chan/1\u2060/"])
def test_trivial_variants_of_a_url_are_duplicates_and_keep_their_spelling(analyst, platform_a, variant):
    client = bearer_client(analyst)
    first = client.post(CASES, order("https://t.me/chan/1"), format="json")
    assert first.status_code == 201, first.content
    second = client.post(CASES, order(variant), format="json")
    error = assert_error(second, 409)
    assert error["existing_reference"] == first.json()["reference"]
    response = client.post(BULK, {"items": [order(variant)]}, format="json")
    assert response.json()["results"][0]["result"] == "duplicate"


def test_a_url_keeps_the_spelling_it_was_sent_with(analyst, platform_a):
    response = bearer_client(analyst).post(CASES, order("https://t.me/chan/%31"), format="json")
    assert response.status_code == 201 and response.json()["location_url"] == "https://t.me/chan/%31"


def test_escapes_of_reserved_characters_still_make_another_url(analyst, platform_a):
    client = bearer_client(analyst)
    assert client.post(CASES, order("https://example.org/a/b"), format="json").status_code == 201
    assert client.post(CASES, order("https://example.org/a%2Fb"), format="json").status_code == 201


# --- 2. text that is not valid Unicode (a JSON-escaped lone surrogate) is refused at the edge -----------------

SURROGATE = "\\ud800"  # as it travels inside the JSON text: an escape Python decodes into an unencodable str


def raw_json(client, path, text, **extra):
    return client.post(path, data=text.encode(), content_type="application/json", **extra)


@pytest.mark.parametrize("field", ["reasons", "legal_basis", "location_url", "handle", "source_detail", "platform"])
def test_a_lone_surrogate_in_an_order_is_a_field_error(analyst, platform_a, field):
    body = {**order("https://t.me/s/1"), field: "PLACEHOLDER"}
    text = __import__("json").dumps(body).replace("PLACEHOLDER", f"a{SURROGATE}b")
    assert_error(raw_json(bearer_client(analyst), CASES, text), 400, fields={field})
    assert not Case.objects.exists()


def test_a_lone_surrogate_in_one_bulk_item_marks_that_item_and_the_rest_is_created(analyst, platform_a):
    import json

    items = [order("https://t.me/s/1", reasons="PLACEHOLDER"), order("https://t.me/s/2"),
             {**order("https://t.me/s/3"), "KEY": "x"}]
    text = json.dumps({"items": items}).replace("PLACEHOLDER", SURROGATE).replace("KEY", f"k{SURROGATE}")
    response = raw_json(bearer_client(analyst), BULK, text)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["invalid", "created", "invalid"]
    assert set(results[0]["fields"]) == {"reasons"} and set(results[2]["fields"]) == {"k\\ud800"}
    assert Case.objects.count() == 1


def test_a_lone_surrogate_in_a_liaisons_transition_note_is_a_field_error(liaison_a, make_case):
    case = make_case(submit=True)
    text = '{"action": "acknowledge", "note": "ok' + SURROGATE + '"}'
    assert_error(raw_json(bearer_client(liaison_a), f"{CASES}{case.reference}/transitions/", text), 400,
                 fields={"note"})
    case.refresh_from_db()
    assert case.status == "submitted"


def test_a_lone_surrogate_in_a_bulk_note_or_a_sanction_reason_is_a_field_error(analyst, supervisor, platform_a):
    text = '{"note": "' + SURROGATE + '", "items": []}'
    assert_error(raw_json(bearer_client(analyst), BULK, text), 400, fields={"note"})
    text = '{"platform": "telegram", "level": 1, "reason": "late' + SURROGATE + '"}'
    assert_error(raw_json(bearer_client(supervisor), "/api/v1/sanctions/", text), 400, fields={"reason"})


# --- 3. deeply nested JSON answers 400 too_deep, for any token -------------------------------------------

@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
@pytest.mark.parametrize("depth", [33, 950, 100_000])
def test_deeply_nested_json_answers_400_too_deep(request, make_case, persona, depth):
    case = make_case(submit=True)
    client = bearer_client(request.getfixturevalue(persona))
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    error = assert_error(raw_json(client, f"{CASES}{case.reference}/transitions/", body), 400)
    assert error["code"] == "too_deep", error
    for path in (CASES, BULK, "/api/v1/webhooks/", "/api/v1/sanctions/"):
        response = raw_json(client, path, body)  # refused for this role (403) or too deep (400), never a 500
        assert response.status_code in (400, 403), (path, response.content)
        assert response.status_code == 403 or response.json()["error"]["code"] == "too_deep", path


def test_json_nested_32_levels_is_still_read(analyst, platform_a):
    body = '{"items": ' + "[" * 31 + "]" * 31 + "}"  # the object is level 1, the lists 2 to 32
    response = raw_json(bearer_client(analyst), BULK, body)
    assert response.status_code == 200, response.content


# --- 8. the error shape everywhere under /api/ --------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/v1/cases/PTH-1/nothing/", "/api/v2/cases/",
                                  "/api/v1/evidence/1x/", "/api/v1/cases/%E2%80%8B/"])
def test_an_unmatched_api_path_answers_404_in_the_error_shape(analyst, path):
    error = assert_error(bearer_client(analyst).get(path), 404)
    assert error["code"] == "not_found"


def test_a_console_404_is_still_a_page(admin_client):
    response = admin_client.get("/admin/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_form_field_over_the_memory_limit_answers_413_in_the_error_shape(analyst, make_case):
    case = make_case()
    response = bearer_client(analyst).post(f"{CASES}{case.reference}/evidence/",
                                           {"description": "x" * (3 * 1024 * 1024)}, format="multipart")
    assert assert_error(response, 413)["code"] == "request_too_large"


def test_too_many_form_fields_answer_400_in_the_error_shape(analyst, make_case):
    case = make_case()
    response = bearer_client(analyst).post(f"{CASES}{case.reference}/evidence/",
                                           {f"f{i}": "x" for i in range(1001)}, format="multipart")
    assert assert_error(response, 400)["code"] == "too_many_fields"


def test_a_server_error_answers_500_in_the_error_shape_without_internals(analyst, monkeypatch):
    from cases.commitments.api import resources

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/patuh/db password=hunter2")

    monkeypatch.setattr(resources.PlatformViewSet, "list", explode)
    client = bearer_client(analyst)
    client.raise_request_exception = False
    response = client.get("/api/v1/platforms/")
    error = assert_error(response, 500)
    assert error["code"] == "server_error"
    assert b"secret" not in response.content and b"Traceback" not in response.content


def test_a_session_owing_its_second_factor_gets_the_error_shape(client, analyst, settings):
    settings.PATUH = {**settings.PATUH, "REQUIRE_2FA": True}
    client.force_login(analyst)
    response = client.get("/api/v1/cases/")
    assert assert_error(response, 403)["code"] == "two_factor_required"


# --- 9. Idempotency-Key on evidence upload ---------------------------------------------------------------

def _upload(client, case, data: bytes, key: str, **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(f"{CASES}{case.reference}/evidence/",
                       {"file": SimpleUploadedFile("shot.png", data), "description": "Screenshot", **fields},
                       format="multipart", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
def test_a_retried_upload_with_its_idempotency_key_stores_one_item(request, make_case, persona, tmp_path, settings):
    from cases.models import Evidence
    from tests.test_evidence_support import PNG

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True)
    client = bearer_client(request.getfixturevalue(persona))
    first = _upload(client, case, PNG, "upload-1")
    assert first.status_code == 201, first.content
    again = _upload(client, case, PNG, "upload-1")
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Evidence.objects.count() == 1
    other = _upload(client, case, PNG + b"\0", "upload-1")  # the same key with another file: a client bug
    assert assert_error(other, 422)["code"] == "idempotency_key_reused"
    other = _upload(client, case, PNG, "upload-1", description="Another")
    assert assert_error(other, 422)["code"] == "idempotency_key_reused"
    assert Evidence.objects.count() == 1


# --- 11. a file name with a path is refused as sent, before Django strips the path -------------------------

@pytest.mark.parametrize("name", ["../../etc/passwd.png", "..\\..\\windows\\shot.png", "a/../../shot.png",
                                  "..", "../", "%2e%2e/x.png".replace("%2e", ".")])
@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
def test_a_path_traversal_file_name_is_refused_and_nothing_is_stored(request, make_case, name, persona, tmp_path,
                                                                      settings):
    from cases.models import Evidence
    from tests.test_evidence_support import PNG

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True)
    # Django's test client strips the path of a file's name itself; a hostile client does not: the body by hand.
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n'
            b"Content-Type: image/png\r\n\r\n" + PNG + b"\r\n--B--\r\n")
    response = bearer_client(request.getfixturevalue(persona)).post(
        f"{CASES}{case.reference}/evidence/", data=body, content_type="multipart/form-data; boundary=B")
    error = assert_error(response, 400, fields={"file"})
    assert ".." in error["message"] or "name" in error["message"]
    assert not Evidence.objects.exists()
    incoming = tmp_path / "evidence" / ".incoming"
    assert not incoming.exists() or not any(incoming.iterdir())


# --- 7. dates within a sensible range, answered as RFC 3339 ----------------------------------------------

RFC3339 = __import__("re").compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@pytest.mark.parametrize(("captured_at", "status"), [
    ("0153-01-01T00:00:00Z", 400), ("0001-01-01T00:00:00+14:00", 400), ("1989-12-31T23:59:59Z", 400),
    ("9999-12-31T23:59:59-14:00", 400), ("2999-01-01T00:00:00Z", 400), ("1990-01-01T00:00:00Z", 201),
])
def test_a_capture_time_outside_the_range_is_a_field_error(make_case, analyst, tmp_path, settings, captured_at,
                                                           status):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_evidence_support import PNG

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True)
    response = bearer_client(analyst).post(f"{CASES}{case.reference}/evidence/", {
        "file": SimpleUploadedFile("shot.png", PNG), "captured_at": captured_at}, format="multipart")
    if status == 400:
        assert_error(response, 400, fields={"captured_at"})
    else:
        assert response.status_code == 201, response.content
        assert RFC3339.match(response.json()["captured_at"]), response.json()["captured_at"]


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00Z",
                                   "0153-01-01T00:00:00Z"])
def test_a_time_filter_outside_the_range_answers_400(analyst, since):
    assert_error(bearer_client(analyst).get(CASES, {"updated_since": since}), 400, fields={"updated_since"})


def test_a_time_held_from_before_1924_is_still_answered_as_rfc3339(make_case, analyst, tmp_path, settings):
    from datetime import UTC, datetime

    from cases.models import Evidence
    from tests.test_evidence_support import upload

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    item = upload(make_case(submit=True), analyst)
    Evidence.objects.filter(pk=item.pk).update(captured_at=datetime(153, 1, 1, tzinfo=UTC))  # held from before
    body = bearer_client(analyst).get(f"/api/v1/evidence/{item.pk}/").json()
    assert body["captured_at"] == "0153-01-01T00:00:00Z"
    assert all(RFC3339.match(body[k]) for k in ("uploaded_at",))


# --- 5. polyglots: data after a format's end, archives inside images ---------------------------------------

def _zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("run.exe", b"MZ" + b"\x90" * 64)
    return buffer.getvalue()


def _pdf_with_incremental_update() -> bytes:
    from tests.test_evidence_support import PDF

    return PDF + b"1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 0\ntrailer\n<< /Size 2 >>\nstartxref\n9\n%%EOF\r\n"


def _png_with_zip_in_a_chunk() -> bytes:
    from tests.test_evidence_support import png_variant

    return png_variant(_zip())


POLYGLOTS = {
    "png_then_zip": ("shot.png", lambda png, **_: png + _zip()),
    "jpeg_then_zip": ("shot.jpg", lambda jpeg, **_: jpeg + _zip()),
    "gif_that_is_a_script": ("shot.gif", lambda **_: b"GIF89a=1;alert(document.domain);//"[:29]),
    "gif_then_zip": ("shot.gif", lambda gif, **_: gif + _zip()),
    "pdf_then_zip": ("note.pdf", lambda pdf, **_: pdf + _zip()),
    "webp_then_zip": ("shot.webp", lambda webp, **_: webp + _zip()),
    "zip_inside_a_png_chunk": ("shot.png", lambda **_: _png_with_zip_in_a_chunk()),
    "truncated_png": ("shot.png", lambda png, **_: png[:-20]),
}


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
@pytest.mark.parametrize("kind", list(POLYGLOTS))
def test_a_polyglot_is_refused_with_a_clear_message_and_nothing_is_stored(request, make_case, tmp_path, settings,
                                                                          persona, kind):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.models import Evidence
    from tests import test_evidence_support as samples

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    case = make_case(submit=True)
    name, build = POLYGLOTS[kind]
    data = build(png=samples.PNG, jpeg=samples.JPEG, gif=samples.GIF, pdf=samples.PDF, webp=samples.WEBP)
    response = bearer_client(request.getfixturevalue(persona)).post(
        f"{CASES}{case.reference}/evidence/", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    error = assert_error(response, 400)
    assert any(word in error["message"] for word in ("polyglot", "well-formed", "after its end")), error
    assert not Evidence.objects.exists()
    assert not [p for p in (tmp_path / "evidence").rglob("*") if p.is_file()]


@pytest.mark.parametrize(("name", "data"), [
    ("note.pdf", _pdf_with_incremental_update()), ("shot.png", None), ("shot.jpg", None), ("shot.gif", None),
    ("shot.webp", None), ("padded.jpg", "padded"),
])
def test_well_formed_files_are_still_stored(make_case, analyst, tmp_path, settings, name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import test_evidence_support as samples

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    plain = {"png": samples.PNG, "jpg": samples.JPEG, "gif": samples.GIF, "webp": samples.WEBP}
    if data is None:
        data = plain[name.rsplit(".", 1)[1]]
    elif data == "padded":
        data = samples.JPEG + b"\x00" * 100 + b"\r\n"  # cameras pad after the end marker
    response = bearer_client(analyst).post(f"{CASES}{make_case(submit=True).reference}/evidence/",
                                           {"file": SimpleUploadedFile(name, data)}, format="multipart")
    assert response.status_code == 201, response.content


# --- 12. the schema says what the server does -----------------------------------------------------------

@pytest.fixture(scope="module")
def schema():
    from tests.openapi import openapi_schema

    return openapi_schema()  # generated once for the run (tests/openapi.py)


def _parameter(schema, path, method, name):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def test_an_empty_or_odd_idempotency_key_is_refused_as_the_schema_says(schema, analyst, platform_a):
    header = _parameter(schema, "/api/v1/cases/", "post", "Idempotency-Key")["schema"]
    assert header["minLength"] == 1 and header["maxLength"] == 200
    pattern = __import__("re").compile(header["pattern"])
    client = bearer_client(analyst)
    for key in ["", " ", " padded", "tab\there", "é", "x" * 201]:
        assert not pattern.search(key)
        response = client.post(CASES, order("https://t.me/k/1"), format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert_error(response, 400, fields={"Idempotency-Key"})
    for key in ["a", "3f1c-uuid-like", "x" * 200]:
        assert pattern.search(key)
    assert not Case.objects.exists()


def test_an_empty_platform_filter_is_refused_as_the_schema_says(schema, analyst):
    for path in ("/api/v1/cases/", "/api/v1/reports/compliance/"):
        parameter = _parameter(schema, path, "get", "platform")["schema"]
        assert parameter["type"] == "array" and parameter["items"]["minLength"] == 1, (path, parameter)
        assert_error(bearer_client(analyst).get(path, {"platform": ""}), 400, fields={"platform"})


@pytest.mark.parametrize("size", ["1001", "99999999999999999999", "9" * 5000, "0001000"])
def test_a_huge_page_size_is_capped_not_refused(make_case, analyst, size):
    make_case()
    response = bearer_client(analyst).get(CASES, {"page_size": size})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize("size", ["0", "000", "-1", "1.5", "²", "abc"])
def test_a_page_size_that_is_not_a_whole_number_from_1_answers_400(analyst, size):
    assert_error(bearer_client(analyst).get(CASES, {"page_size": size}), 400, fields={"page_size"})


@pytest.mark.parametrize(("path", "method"), [
    ("/api/v1/cases/", "post"), ("/api/v1/cases/{reference}/transitions/", "post"),
    ("/api/v1/commitments/{id}/updates/", "post"), ("/api/v1/cases/{reference}/evidence/", "post"),
    ("/api/v1/cases/bulk/", "post"),
])
def test_every_idempotent_operation_documents_its_422(schema, path, method):
    assert "422" in schema["paths"][path][method]["responses"]


def test_a_download_is_documented_in_the_type_it_is_served_as(schema, make_case, analyst, tmp_path, settings):
    from tests.test_evidence_support import upload

    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    documented = schema["paths"]["/api/v1/evidence/{id}/download/"]["get"]["responses"]["200"]["content"]
    item = upload(make_case(submit=True), analyst)
    response = bearer_client(analyst).get(f"/api/v1/evidence/{item.pk}/download/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "image/png" in documented and "application/pdf" in documented


def test_a_refused_sanction_step_answers_409_like_a_refused_transition(schema, supervisor, platform_a):
    client = bearer_client(supervisor)
    first = client.post("/api/v1/sanctions/", {"platform": "telegram", "level": 1, "reason": "Late.",
                                                  "content_category": "hoax"}, format="json")
    assert first.status_code == 201, first.content
    busy = client.post("/api/v1/sanctions/", {"platform": "telegram", "level": 1, "reason": "Again.",
                                                 "content_category": "hoax"}, format="json")
    assert assert_error(busy, 409)["code"] == "state"
    pk = first.json()["id"]
    lifted = client.post(f"/api/v1/sanctions/{pk}/lift/", {"reason": "Complied."}, format="json")
    assert lifted.status_code == 200, lifted.content
    again = client.post(f"/api/v1/sanctions/{pk}/comply/", {}, format="json")
    assert assert_error(again, 409)["code"] == "state"
    assert_error(client.post(f"/api/v1/sanctions/{pk}/lift/", {}, format="json"), 400, fields={"reason"})
    for step in ("issue", "comply", "lift"):
        assert "409" in schema["paths"][f"/api/v1/sanctions/{{id}}/{step}/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/sanctions/"]["post"]["responses"]


# --- path lookups: an odd id or reference is 404, never a 500 ------------------------------------------------

@pytest.mark.parametrize("path", [
    "/api/v1/evidence/99999999999999999999/", "/api/v1/evidence/%D9%A3/", "/api/v1/evidence/99999999999999999999/"
    "download/", "/api/v1/meetings/99999999999999999999/", "/api/v1/meetings/abc/", "/api/v1/commitments/%D9%A3/",
    "/api/v1/sanctions/1e9/", "/api/v1/published-reports/99999999999999999999/", "/api/v1/webhooks/-1/",
    "/api/v1/cases/" + "A" * 300 + "/", "/api/v1/cases/PTH-%E2%80%8B1/", "/api/v1/platforms/%00/",
])
def test_an_odd_id_or_reference_in_a_path_is_404(analyst, path):
    assert assert_error(bearer_client(analyst).get(path), 404)["code"] == "not_found"


@pytest.mark.parametrize("url", ["http://[::1", "https://[::1/hook", "https://example.org:abc/hook",
                                 "https://example.org:99999/hook", "javascript:alert(1)"])
def test_an_odd_webhook_url_is_a_field_error(liaison_a, url):
    """Found by the fuzz suite: the SSRF guard's own parse raised on an unclosed IPv6 host."""
    response = bearer_client(liaison_a).post("/api/v1/webhooks/", {"url": url, "event_types": ["case.submitted"]},
                                             format="json")
    assert_error(response, 400, fields={"url"})


def test_a_nul_in_a_category_is_a_field_error_on_postgresql_too(analyst, platform_a):
    """Found by the fuzz suite on PostgreSQL: the category's default tier was looked up with the NUL in it before
    any validation, and PostgreSQL refused the query. The parser now refuses a NUL like a lone surrogate."""
    response = raw_json(bearer_client(analyst), CASES, __import__("json").dumps(order("https://t.me/n/1",
                                                                                      category="gambling\x00")))
    assert_error(response, 400, fields={"category"})
    bulk = raw_json(bearer_client(analyst), BULK, __import__("json").dumps(
        {"items": [order("https://t.me/n/1", category="\x00"), order("https://t.me/n/2")]}))
    assert [r["result"] for r in bulk.json()["results"]] == ["invalid", "created"]
