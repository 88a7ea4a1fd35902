"""Hostile or odd input answers a 4xx with the usual error shape, never a 500, on SQLite and PostgreSQL:
NUL characters, data of the wrong type, impossible dates, tampered cursors, days at the edges of the
calendar, non-ASCII digits in If-Match, bodies that are not JSON or too big, and the bulk rate limits."""

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request

from cases.api.idempotency import request_hash
from cases.cases.services.cases import DuplicateOpenCase, build_case, clean_new_case, create_case, create_cases_bulk
from cases.cases.workflow import TransitionError, transition
from cases.core import clock
from cases.core.choices import CaseStatus
from cases.models import Case, CaseEvent, IdempotencyKey
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401

pytestmark = pytest.mark.django_db
WIB = ZoneInfo("Asia/Jakarta")
BULK = "/api/v1/cases/bulk/"
NUL = "\x00"

# A hand-made proposal names its content basis (issue 15); a skipped rung, its reason.
BASIS = {"content_category": "terrorism", "skip_reason": "Decided at a meeting."}


def order(n, **extra):
    return {"platform": "telegram", "category": "gambling", "location_url": f"https://t.me/nul{n}/1",
            "legal_basis": "UU ITE Art. 27(2)", "reasons": "Online gambling.", **extra}


def transitions_url(case) -> str:
    return f"/api/v1/cases/{case.reference}/transitions/"


def assert_error(response, status: int, *, fields: set | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] and error["message"]
    if fields is not None:
        assert set(error.get("fields", {})) == fields, error
    return error


# --- 1. NUL characters ----------------------------------------------------------------------------------


def test_a_nul_in_one_bulk_item_marks_that_item_invalid_and_the_rest_is_created(analyst, platform_a):
    body = {"submit": True, "items": [order(1, reasons=f"a{NUL}b"), order(2), order(3, source_detail=f"{NUL}")]}
    response = bearer_client(analyst).post(BULK, body, format="json")
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["result"] for r in results] == ["invalid", "created", "invalid"]
    assert set(results[0]["fields"]) == {"reasons"} and set(results[2]["fields"]) == {"source_detail"}
    assert Case.objects.get().reference == results[1]["reference"]


def test_a_nul_in_a_bulk_note_refuses_the_batch_with_400(analyst, platform_a):
    response = bearer_client(analyst).post(BULK, {"submit": True, "note": f"run{NUL}", "items": [order(1)]},
                                           format="json")
    assert_error(response, 400, fields={"note"})
    assert not Case.objects.exists()


@pytest.mark.parametrize("field", ["reasons", "legal_basis", "location_url", "handle", "source_detail"])
def test_a_nul_in_a_single_order_answers_400_naming_the_field(analyst, platform_a, field):
    response = bearer_client(analyst).post("/api/v1/cases/", order(1, **{field: f"x{NUL}y"}), format="json")
    assert_error(response, 400, fields={field})
    assert not Case.objects.exists()


def test_a_nul_in_the_note_of_a_submitting_create_answers_400(analyst, platform_a):
    response = bearer_client(analyst).post("/api/v1/cases/", order(1, submit=True, note=f"n{NUL}"), format="json")
    assert_error(response, 400, fields={"note"})
    assert not Case.objects.exists()


def test_a_nul_in_a_platform_slug_is_an_unknown_platform(analyst, platform_a):
    client = bearer_client(analyst)
    assert_error(client.post("/api/v1/cases/", order(1, platform=f"telegram{NUL}"), format="json"), 400,
                 fields={"platform"})
    response = client.post(BULK, {"items": [order(1, platform=f"telegram{NUL}"), order(2)]}, format="json")
    assert [r["result"] for r in response.json()["results"]] == ["invalid", "created"]
    assert client.get("/api/v1/platforms/telegram%00/").status_code == 404


def test_the_service_validation_refuses_nul_in_any_text_field(analyst, platform_a):
    case = build_case(actor=analyst, now=clock.now(), platform=platform_a, category="hoax", legal_basis="x",
                      reasons="y", location_url="https://t.me/a/1", handle=f"@a{NUL}")
    for in_bulk in (False, True):
        with pytest.raises(ValidationError) as err:
            clean_new_case(case, in_bulk=in_bulk)
        assert set(err.value.message_dict) == {"handle"}
    [result] = create_cases_bulk(actor=analyst, items=[{"platform": platform_a, "category": "hoax",
                                                        "legal_basis": "x", "reasons": f"{NUL}",
                                                        "location_url": "https://t.me/a/2"}])
    assert result.outcome == "invalid" and set(result.errors) == {"reasons"}


def test_an_objection_with_nul_text_answers_400(liaison_a, make_case):
    case = make_case(submit=True)
    response = bearer_client(liaison_a).post(transitions_url(case), {"action": "object", "reason": "lawful",
                                                                     "text": f"x{NUL}"}, format="json")
    assert_error(response, 400, fields={"text"})
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_the_workflow_refuses_nul_in_the_note_or_any_string_data(supervisor, liaison_a, make_case):
    case = make_case(submit=True)
    with pytest.raises(TransitionError) as err:
        transition(case, "withdraw", actor=supervisor, note=f"stop{NUL}")
    assert err.value.code == "invalid" and set(err.value.field_errors) == {"note"}
    with pytest.raises(TransitionError) as err:
        transition(case, "report_action", actor=liaison_a, action_taken=f"removed{NUL}",
                   action_taken_at=clock.now().isoformat())
    assert err.value.code == "invalid" and set(err.value.field_errors) == {"action_taken"}
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert CaseEvent.objects.filter(case=case).count() == 2  # created, submitted


# --- 2. transition data of the wrong type, impossible times ------------------------------------------------


@pytest.mark.parametrize("text", [123, ["a"], {"a": "b"}, True])
def test_objection_text_must_be_a_string(liaison_a, make_case, text):
    case = make_case(submit=True)
    response = bearer_client(liaison_a).post(transitions_url(case), {"action": "object", "reason": "lawful",
                                                                     "text": text}, format="json")
    assert_error(response, 400, fields={"text"})


@pytest.mark.parametrize("when", ["2026-02-30T10:00:00", "2026-03-01T25:00", "2026-13-01T10:00"])
def test_an_impossible_action_time_answers_400_with_the_format_message(liaison_a, make_case, when):
    case = make_case(submit=True)
    response = bearer_client(liaison_a).post(transitions_url(case), {
        "action": "report_action", "action_taken": "removed", "action_taken_at": when}, format="json")
    error = assert_error(response, 400, fields={"action_taken_at"})
    assert error["fields"]["action_taken_at"] == [
        "Give the time as an ISO 8601 date and time, e.g. 2026-03-01T14:30+07:00."]


# --- 3. tampered cursors ------------------------------------------------------------------------------------


def cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


@pytest.mark.parametrize("query", ["p=abc", "p=1.5", "p=-1", "p=%C2%B2", "p=" + "9" * 30, "o=1&r=1&p=x"])
def test_a_tampered_cursor_answers_404_invalid_cursor(analyst, make_case, query):
    case = make_case(submit=True)
    client = bearer_client(analyst)
    for path in ("/api/v1/cases/", f"/api/v1/cases/{case.reference}/events/"):
        error = assert_error(client.get(path, {"cursor": cursor(query)}), 404)
        assert error["message"] == "Invalid cursor"


def test_a_genuine_cursor_still_works(analyst, make_case):
    for _ in range(3):
        make_case()
    client = bearer_client(analyst)
    first = client.get("/api/v1/cases/?page_size=2").json()
    assert client.get(first["next"]).status_code == 200


# --- 4. days at the edges of the calendar ---------------------------------------------------------------------

EXTREME = [
    "/api/v1/reports/compliance/?from=0001-01-01",
    "/api/v1/reports/compliance/?to=9999-12-31",
    "/api/v1/reports/compliance/?from=1999-12-31&to=2000-01-01",
    "/api/v1/reports/daily/?to=9999-12-31",
    "/api/v1/reports/commitments/?from=0001-01-01",
    "/api/v1/cases/?submitted_to=9999-12-31",
    "/api/v1/cases/?submitted_from=0001-01-01",
    "/api/v1/meetings/?held_from=0001-01-01",
    "/api/v1/cases/export.csv?submitted_from=0001-01-01",
    "/api/v1/cases/export.csv?submitted_to=9999-12-31",
]


@pytest.mark.parametrize("path", EXTREME)
def test_days_outside_the_sane_range_answer_400_before_anything_streams(analyst, make_case, path):
    make_case(submit=True)
    response = bearer_client(analyst).get(path)
    assert not response.streaming
    error = assert_error(response, 400)
    assert "Give a day between 2000-01-01 and 2100-12-31." in str(error)


@pytest.mark.parametrize("path", ["/api/v1/public/transparency/?to=9999-12-31",
                                  "/api/v1/public/transparency/?from=0001-01-01"])
def test_the_public_report_refuses_extreme_days_anonymously(settings, make_case, path):
    settings.PATUH_PUBLIC_TRANSPARENCY = True
    make_case(submit=True)
    error = assert_error(bearer_client(None).get(path), 400)
    assert error["message"] == "Give a day between 2000-01-01 and 2100-12-31."


@pytest.mark.parametrize("path", [
    "/api/v1/reports/compliance/?from=2000-01-01&to=2100-12-31",
    "/api/v1/cases/?submitted_from=2000-01-01&submitted_to=2100-12-31",
    "/api/v1/reports/daily/?from=2100-01-01&to=2100-12-31",
])
def test_the_edges_of_the_range_are_accepted(analyst, make_case, path):
    make_case(submit=True)
    assert bearer_client(analyst).get(path).status_code == 200


def test_the_export_with_the_edges_of_the_range_streams_every_row(analyst, make_case):
    make_case(submit=True)
    response = bearer_client(analyst).get("/api/v1/cases/export.csv?submitted_from=2000-01-01&submitted_to=2100-12-31")
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content).decode().strip().splitlines()) == 2


# --- 5. If-Match -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", '"²"', "١", '"3x"', "W/", '"-1"'])
def test_if_match_takes_ascii_digits_only(liaison_a, make_case, value):
    case = make_case(submit=True)
    response = bearer_client(liaison_a).post(transitions_url(case), {"action": "acknowledge"}, format="json",
                                             HTTP_IF_MATCH=value)
    assert_error(response, 400, fields={"If-Match"})


@pytest.mark.parametrize("template", ['"{v}"', "{v}", 'W/"{v}"'])
def test_if_match_accepts_the_etag_forms(liaison_a, make_case, template):
    case = make_case(submit=True)
    response = bearer_client(liaison_a).post(transitions_url(case), {"action": "acknowledge"}, format="json",
                                             HTTP_IF_MATCH=template.format(v=case.version))
    assert response.status_code == 200, response.content


# --- 6. JSON endpoints take JSON; the idempotency hash never crashes -------------------------------------------


def test_a_multipart_body_with_an_idempotency_key_answers_415(liaison_a, analyst, make_case):
    case = make_case(submit=True)
    upload = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")
    response = bearer_client(liaison_a).post(transitions_url(case), {"action": "acknowledge", "file": upload},
                                             format="multipart", HTTP_IDEMPOTENCY_KEY="k1")
    assert_error(response, 415)
    upload = SimpleUploadedFile("x.txt", b"hello", content_type="text/plain")
    response = bearer_client(analyst).post("/api/v1/cases/", {**order(1), "file": upload}, format="multipart",
                                           HTTP_IDEMPOTENCY_KEY="k2")
    assert_error(response, 415)
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("path_of", [
    lambda case, commitment, sanction: transitions_url(case),
    lambda case, commitment, sanction: "/api/v1/cases/",
    lambda case, commitment, sanction: BULK,
    lambda case, commitment, sanction: f"/api/v1/commitments/{commitment.pk}/updates/",
    lambda case, commitment, sanction: "/api/v1/sanctions/",
    lambda case, commitment, sanction: f"/api/v1/sanctions/{sanction.pk}/issue/",
])
def test_json_endpoints_refuse_form_bodies_with_415(administrator, make_case, platform_a, path_of):
    from cases.models import Commitment
    from cases.sanctions.services.sanctions import propose_sanction

    case = make_case(submit=True)
    commitment = Commitment.objects.create(platform=platform_a, text="Faster", kind="direct_line")
    sanction = propose_sanction(platform=platform_a, level=1, actor=administrator, reason="Late again.",
        **BASIS)
    response = bearer_client(administrator).post(path_of(case, commitment, sanction),
                                                 {"action": "acknowledge", "note": "x"}, format="multipart")
    assert_error(response, 415)


def test_the_idempotency_hash_reads_a_multipart_body_by_its_fields_and_file_contents():
    """Evidence uploads honour Idempotency-Key (issue 12): the same form and file hash alike, another file not."""

    def hashed(content: bytes) -> str:
        upload = SimpleUploadedFile("x.txt", content, content_type="text/plain")
        django_request = RequestFactory().post("/api/v1/x/", {"a": "b", "file": upload})
        return request_hash(Request(django_request, parsers=[MultiPartParser()]))

    assert hashed(b"hello") == hashed(b"hello") != hashed(b"hullo")
    json_request = Request(RequestFactory().post("/api/v1/x/", b'{"a": 1}', content_type="application/json"),
                           parsers=[JSONParser()])
    assert len(request_hash(json_request)) == 64


# Evidence upload keeps multipart: tests/test_api_evidence.py uploads through it.


# --- 8. limits: the bulk call keeps the per-user and per-IP limits; bodies are bounded ---------------------------


def test_bulk_intake_is_also_limited_by_the_per_user_rate(settings, analyst, platform_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "1/minute"}}
    client = bearer_client(analyst)
    assert client.post(BULK, {"items": [order(1)]}, format="json").status_code == 200
    assert_error(client.post(BULK, {"items": [order(2)]}, format="json"), 429)


def test_bulk_intake_is_also_limited_by_the_per_ip_rate(settings, analyst, platform_a):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ip": "1/minute"}}
    client = bearer_client(analyst)
    assert client.post(BULK, {"items": [order(1)]}, format="json").status_code == 200
    assert_error(client.post(BULK, {"items": [order(2)]}, format="json"), 429)


def test_a_json_body_over_the_limit_answers_413(settings, analyst, platform_a):
    settings.PATUH = {**settings.PATUH, "API_MAX_BODY_BYTES": 2000}
    client = bearer_client(analyst)
    small = {"items": [order(1)]}
    assert client.post(BULK, small, format="json").status_code == 200
    big = {"items": [order(n, reasons="x" * 100) for n in range(2, 30)]}
    error = assert_error(client.post(BULK, big, format="json"), 413)
    assert error["code"] == "request_too_large"
    assert Case.objects.count() == 1


def test_the_default_body_limit_takes_a_full_batch(analyst, platform_a):
    body = {"items": [order(n, reasons="Online gambling. " * 200) for n in range(1000)]}
    response = bearer_client(analyst).post(BULK, body, format="json")
    assert response.status_code == 200, response.content[:300]
    assert response.json()["counts"]["created"] == 1000


def test_a_duplicate_open_case_is_named_by_the_service(analyst, platform_a):
    first = create_case(actor=analyst, platform=platform_a, category="hoax", legal_basis="x", reasons="y",
                        location_url="https://t.me/dup/1")
    with pytest.raises(DuplicateOpenCase) as err:
        create_case(actor=analyst, platform=platform_a, category="hoax", legal_basis="x", reasons="y",
                    location_url="https://t.me/dup/1/?utm_source=x")
    assert err.value.existing == first
    assert first.reference in err.value.messages[0]


def test_a_case_created_at_the_start_of_the_range_is_found(analyst, make_case):
    with clock.frozen(datetime(2000, 1, 1, 0, 30, tzinfo=WIB)):
        case = make_case(submit=True)
    with clock.frozen(datetime(2000, 1, 1, 0, 30, tzinfo=WIB) + timedelta(hours=1)):
        response = bearer_client(analyst).get("/api/v1/cases/?submitted_from=2000-01-01&submitted_to=2000-01-01")
    assert [c["reference"] for c in response.json()["results"]] == [case.reference]
