"""Evidence in the ministry console: upload and withdraw through the services, a read-only record with its
custody trail."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.core.choices import CustodyKind, EvidenceKind, Visibility
from cases.models import CustodyEvent, Evidence
from tests.test_evidence_support import (
    PNG,
    evidence_dir,
    stored_files,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)

ADD_URL = reverse("admin:cases_evidence_add")


def console(user) -> Client:
    client = Client(HTTP_USER_AGENT="Console/1.0")
    client.force_login(user)
    return client


def add_form(case, name="shot.png", data=PNG, **extra):
    return {
        "case": case.pk, "upload": SimpleUploadedFile(name, data), "kind": EvidenceKind.SCREENSHOT,
        "visibility": Visibility.SHARED, "captured_at_0": "", "captured_at_1": "", "source_url": "t.me/example/1",
        "description": "From the console", **extra,
    }


def test_it_uploads_from_the_console_through_the_service(make_case, analyst):
    case = make_case()
    assert console(analyst).get(ADD_URL).status_code == 200

    response = console(analyst).post(ADD_URL, add_form(case))

    evidence = Evidence.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_evidence_change", args=[evidence.pk])
    assert (evidence.case, evidence.uploaded_by, evidence.original_name) == (case, analyst, "shot.png")
    assert evidence.source_url == "https://t.me/example/1"
    custody = CustodyEvent.objects.get(evidence=evidence)
    assert (custody.kind, custody.user_agent, custody.ip_address) == (CustodyKind.UPLOADED, "Console/1.0", "127.0.0.1")


def test_it_shows_the_services_refusal_on_the_form(make_case, analyst):
    response = console(analyst).post(ADD_URL, add_form(make_case(), data=b"MZ\x90\x00" + b"\x00" * 60))
    assert response.status_code == 200
    assert "The file&#x27;s content is a Windows executable, not a PNG image." in response.content.decode()
    assert not Evidence.objects.exists()
    assert stored_files(evidence_dir()) == []


def test_it_does_not_let_an_auditor_add(make_case, auditor):
    assert console(auditor).get(ADD_URL).status_code == 403


def test_it_shows_a_read_only_record_with_its_custody_trail_in_order(make_case, analyst, supervisor):
    evidence = upload(make_case(submit=True), analyst, visibility=Visibility.SHARED)
    console(analyst).get(reverse("cases:evidence-download", args=[evidence.pk]))
    change_url = reverse("admin:cases_evidence_change", args=[evidence.pk])

    page = console(supervisor).get(change_url).content.decode()

    assert 'name="sha256"' not in page and 'type="file"' not in page  # nothing editable
    assert evidence.sha256 in page
    assert reverse("cases:evidence-download", args=[evidence.pk]) in page
    assert reverse("admin:cases_evidence_withdraw", args=[evidence.pk]) in page
    trail = page[page.index("Chain of custody"):]
    assert trail.index("Uploaded") < trail.index("Downloaded")
    assert console(analyst).post(change_url, {"description": "edited"}).status_code == 403


def test_it_withdraws_through_the_console_form(make_case, analyst, supervisor, auditor):
    evidence = upload(make_case(submit=True), analyst, visibility=Visibility.SHARED)
    withdraw_url = reverse("admin:cases_evidence_withdraw", args=[evidence.pk])
    assert console(auditor).get(withdraw_url).status_code == 403
    assert console(supervisor).post(withdraw_url, {"reason": ""}).status_code == 200  # reason required

    response = console(supervisor).post(withdraw_url, {"reason": "Not the reported channel."})

    assert response.status_code == 302
    evidence.refresh_from_db()
    assert (evidence.withdrawn_by, evidence.withdrawal_reason) == (supervisor, "Not the reported channel.")
    page = console(auditor).get(reverse("admin:cases_evidence_change", args=[evidence.pk])).content.decode()
    assert "Withdrawn" in page and withdraw_url not in page


@pytest.mark.parametrize("name", ["evidence", "custodyevent"])
def test_it_lists_evidence_and_custody_for_ministry_staff(make_case, analyst, auditor, name):
    upload(make_case(), analyst)
    response = console(auditor).get(reverse(f"admin:cases_{name}_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
