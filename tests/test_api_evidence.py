"""Evidence over the API: list, upload (multipart), read, and download through the one audited download view."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.timezone import localtime

from cases.core import clock
from cases.core.choices import CustodyKind, EvidenceKind, Visibility
from cases.models import CustodyEvent, Evidence
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401
from tests.test_evidence_support import (
    PNG,
    png_variant,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_a(make_case):
    return make_case(submit=True)


@pytest.fixture
def items(case_a, analyst):
    return {
        "shared": upload(case_a, analyst, visibility=Visibility.SHARED),
        "internal": upload(case_a, analyst, name="internal.png", data=png_variant(b"internal"),
                           visibility=Visibility.INTERNAL),
    }


def listed(user, case) -> set[int]:
    response = bearer_client(user).get(f"/api/v1/cases/{case.reference}/evidence/")
    assert response.status_code == 200, response.content
    return {e["id"] for e in response.json()["results"]}


def test_each_persona_lists_what_it_may_see(case_a, items, analyst, auditor, liaison_a, liaison_b):
    everything = {e.pk for e in items.values()}
    assert listed(analyst, case_a) == everything
    assert listed(auditor, case_a) == everything
    assert listed(liaison_a, case_a) == {items["shared"].pk}
    assert bearer_client(liaison_b).get(f"/api/v1/cases/{case_a.reference}/evidence/").status_code == 404
    assert bearer_client(None).get(f"/api/v1/cases/{case_a.reference}/evidence/").status_code == 401


def test_reading_one_item_and_its_download_url(items, liaison_a, liaison_b):
    shared, internal = items["shared"], items["internal"]
    body = bearer_client(liaison_a).get(f"/api/v1/evidence/{shared.pk}/").json()
    assert body["sha256"] == shared.sha256 and body["download_url"] == f"/api/v1/evidence/{shared.pk}/download/"
    assert "withdrawal_reason" not in body
    assert bearer_client(liaison_a).get(f"/api/v1/evidence/{internal.pk}/").status_code == 404
    assert bearer_client(liaison_b).get(f"/api/v1/evidence/{shared.pk}/").status_code == 404


def test_a_token_client_downloads_through_the_audited_view(items, liaison_a, liaison_b):
    shared, internal = items["shared"], items["internal"]
    client = bearer_client(liaison_a)
    response = client.get(f"/api/v1/evidence/{shared.pk}/download/", HTTP_USER_AGENT="PlatformSync/2.0")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Cache-Control"] == "no-store" and response["X-Content-Type-Options"] == "nosniff"
    custody = CustodyEvent.objects.filter(evidence=shared, kind=CustodyKind.DOWNLOADED).get()
    assert custody.actor == liaison_a and custody.user_agent == "PlatformSync/2.0"
    assert client.get(f"/api/v1/evidence/{internal.pk}/download/").status_code == 404
    assert bearer_client(liaison_b).get(f"/api/v1/evidence/{shared.pk}/download/").status_code == 404
    assert bearer_client(None).get(f"/api/v1/evidence/{shared.pk}/download/").status_code == 401
    assert not CustodyEvent.objects.filter(kind=CustodyKind.DOWNLOADED).exclude(actor=liaison_a).exists()


def test_an_analyst_uploads_evidence(case_a, analyst):
    response = bearer_client(analyst).post(
        f"/api/v1/cases/{case_a.reference}/evidence/",
        {"file": SimpleUploadedFile("capture.png", PNG), "kind": "screenshot", "visibility": "shared",
         "description": "The channel's banner."}, format="multipart")
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get(pk=response.json()["id"])
    assert (evidence.kind, evidence.visibility, evidence.uploaded_by) == ("screenshot", "shared", analyst)
    assert CustodyEvent.objects.filter(evidence=evidence, kind=CustodyKind.UPLOADED).exists()


def test_a_liaisons_upload_is_always_a_shared_platform_response(case_a, liaison_a):
    response = bearer_client(liaison_a).post(
        f"/api/v1/cases/{case_a.reference}/evidence/",
        {"file": SimpleUploadedFile("removed.png", png_variant(b"x")), "kind": "screenshot", "visibility": "internal"},
        format="multipart")
    assert response.status_code == 201, response.content
    assert (response.json()["kind"], response.json()["visibility"]) == (EvidenceKind.PLATFORM_RESPONSE, "shared")


def test_upload_refusals(case_a, make_case, analyst, auditor, liaison_b):
    url = f"/api/v1/cases/{case_a.reference}/evidence/"
    response = bearer_client(analyst).post(url, {"file": SimpleUploadedFile("fake.png", b"MZ\x90\x00not a png")},
                                           format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    response = bearer_client(auditor).post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    assert response.status_code == 403  # the case is visible to auditors; uploading is not theirs to do
    response = bearer_client(liaison_b).post(url, {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart")
    assert response.status_code == 404  # not visible: not there
    response = bearer_client(analyst).post(url, {"kind": "screenshot"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()["error"]["fields"]
    assert not Evidence.objects.exists()


# --- upload attacks through the two upload paths that are not the service's own tests: the API and the platform
# console's response evidence (with a transition, which must be rolled back with the refused file) ------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
GZIP_BOMB = gzip.compress(b"\x00" * (20 * 1024 * 1024), compresslevel=9)  # 20 MB of zeros in ~20 KB
WARC_BOMB = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"\x00" * (20 * 1024 * 1024), compresslevel=9)
ATTACKS = [
    pytest.param("poster.png", EXE, "Windows executable", id="exe-as-png"),
    pytest.param("channel.png", PNG + b"<html><script>alert(1)</script></html>", "web markup", id="polyglot"),
    pytest.param("../../../etc/cron.d/x.png", PNG, None, id="path-traversal"),
    pytest.param("..\\..\\boot.ini.png", PNG, None, id="windows-traversal"),
    pytest.param("payload.zip", b"PK\x03\x04" + b"\x00" * 40, "not accepted", id="zip"),
    pytest.param("archive.warc.gz", GZIP_BOMB, "gzip archive", id="gzip-bomb"),
    pytest.param("logo.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "SVG", id="svg-as-png"),
    pytest.param("empty.png", b"", "empty", id="empty"),
    pytest.param("photo.png\x00.txt", PNG, None, id="nul-in-name"),
]


def _nothing_stored(case):
    assert not Evidence.objects.filter(case=case).exists()
    assert not CustodyEvent.objects.filter(evidence__case=case).exists()


@pytest.mark.parametrize("persona", ["analyst", "liaison_a"])
@pytest.mark.parametrize(("name", "data", "words"), ATTACKS)
def test_api_upload_attacks_are_refused_and_leave_nothing(request, case_a, persona, name, data, words):
    response = bearer_client(request.getfixturevalue(persona)).post(
        f"/api/v1/cases/{case_a.reference}/evidence/", {"file": SimpleUploadedFile(name, data)}, format="multipart")
    if response.status_code == 201:
        # A hostile name may be stored only once cleaned: no path and no NUL reach the storage or the record.
        stored = Evidence.objects.get(pk=response.json()["id"])
        assert words is None, f"{name} was accepted"
        assert "/" not in stored.original_name and "\\" not in stored.original_name
        assert "\x00" not in stored.original_name and ".." not in stored.file.name
        return
    assert response.status_code == 400, response.content
    message = response.json()["error"]["message"] + str(response.json()["error"].get("fields", ""))
    assert words is None or words in message, message
    _nothing_stored(case_a)


def test_api_upload_over_the_size_limit_is_refused_with_400(case_a, analyst, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024
    response = bearer_client(analyst).post(f"/api/v1/cases/{case_a.reference}/evidence/",
                                           {"file": SimpleUploadedFile("big.png", PNG + b"\x00" * 4096)},
                                           format="multipart")
    assert response.status_code == 400 and "limit is 1 KB" in response.json()["error"]["message"]
    _nothing_stored(case_a)


def test_a_compressed_warc_is_stored_as_sent_never_inflated(case_a, analyst):
    """A WARC whose records inflate to 20 MB is judged from its first 16 inflated bytes and stored compressed."""
    response = bearer_client(analyst).post(f"/api/v1/cases/{case_a.reference}/evidence/",
                                           {"file": SimpleUploadedFile("crawl.warc.gz", WARC_BOMB)},
                                           format="multipart")
    assert response.status_code == 201, response.content
    assert Evidence.objects.get(pk=response.json()["id"]).size == len(WARC_BOMB) < 200 * 1024


@pytest.mark.parametrize(("name", "data", "words"), [a for a in ATTACKS if a.values[2] is not None])
def test_console_response_evidence_attacks_roll_the_transition_back(client, case_a, liaison_a, name, data, words):
    client.force_login(liaison_a)
    version = case_a.version
    response = client.post(
        f"/platform/cases/case/{case_a.pk}/act/report_action/",
        {"version": version, "action_taken": "removed", "note": "done",
         "action_taken_at": localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
         "response_evidence": SimpleUploadedFile(name, data)})
    assert response.status_code == 200  # the form again, with the refusal
    assert words in response.content.decode()
    case_a.refresh_from_db()
    assert (case_a.status, case_a.version) == ("submitted", version)  # the action report went with the file
    _nothing_stored(case_a)
