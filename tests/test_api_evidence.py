"""Evidence over the API: list, upload (multipart), read, and download through the one audited download view."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.choices import CustodyKind, EvidenceKind, Visibility
from cases.models import CustodyEvent, Evidence
from tests.test_api_support import bearer_client, unthrottled  # noqa: F401
from tests.test_evidence_support import (
    PNG,
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
        "internal": upload(case_a, analyst, name="internal.png", data=PNG + b"internal",
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
        {"file": SimpleUploadedFile("removed.png", PNG + b"x"), "kind": "screenshot", "visibility": "internal"},
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
