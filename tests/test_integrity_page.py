"""The integrity page (issue 13): when the audit chains and the stored evidence were last verified, with what
result and chain heads; an auditor starts a check; the scheduled commands are recorded too."""

import pytest
from django.core.management import call_command
from django.db import connection

from cases.core.choices import EvidenceKind, Visibility
from cases.evidence.services.evidence import upload_evidence
from cases.models import CaseEvent, IntegrityCheck
from tests.test_consoles import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive(settings, tmp_path, make_case, analyst):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(submit=True)
    upload_evidence(case=case, actor=analyst, file=SimpleUploadedFile("a.png", PNG), kind=EvidenceKind.SCREENSHOT,
                    visibility=Visibility.INTERNAL)
    return case


def test_an_auditor_starts_a_check_and_reads_its_result(client, auditor, archive,
                                                        django_capture_on_commit_callbacks):
    client.force_login(auditor)
    page = client.get("/admin/integrity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count("Never verified.") == 2
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued when the request commits
        client.post("/admin/integrity/", HTTP_ACCEPT_LANGUAGE="en")
    done = client.get("/admin/integrity/", HTTP_ACCEPT_LANGUAGE="en")
    check = IntegrityCheck.objects.get()
    assert check.started_by == auditor and check.finished_at is not None  # the test settings run jobs at once
    assert check.audit_ok and check.evidence_ok and check.evidence_counts["verified"] == 1
    heads = {h["chain"]: h for h in check.audit_heads}
    assert heads["case events"]["count"] == CaseEvent.objects.count()
    assert heads["case events"]["last_hash"] == CaseEvent.objects.order_by("-id").first().hash
    page = done.content.decode()
    assert "every link holds" in page and "every file intact" in page and heads["case events"]["last_hash"] in page
    assert "1 intact, 0 altered, 0 missing." in page


def test_a_broken_file_shows_as_a_failure(client, supervisor, archive, settings,
                                          django_capture_on_commit_callbacks):
    from cases.models import Evidence

    item = Evidence.objects.get()
    (settings.EVIDENCE_ROOT / item.file.name).write_bytes(b"tampered")
    client.force_login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/integrity/")
    page = client.get("/admin/integrity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "failures" in page and archive.reference in page
    assert IntegrityCheck.objects.get().evidence_ok is False


def test_the_scheduled_commands_are_recorded(client, auditor, archive):
    call_command("verify_audit", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("verify_evidence", "--no-progress", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert IntegrityCheck.objects.filter(source="command", audit_ok=True).count() == 1
    assert IntegrityCheck.objects.filter(source="command", evidence_ok=True).count() == 1
    client.force_login(auditor)
    page = client.get("/admin/integrity/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Never verified." not in page and "scheduled command" in page


def test_liaisons_have_no_integrity_page(client, liaison_a):
    client.force_login(liaison_a)
    assert client.get("/admin/integrity/").status_code == 404
    assert client.post("/admin/integrity/").status_code == 404
    assert not IntegrityCheck.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")
