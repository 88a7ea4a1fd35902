"""Downloading evidence: one view, per persona; scope answers 404, the hash is re-checked, custody written."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cases.core.choices import CustodyKind, Visibility
from cases.evidence.services.evidence import withdraw_evidence
from cases.models import CustodyEvent
from tests.test_evidence_support import (
    PNG,
    evidence_dir,
    png_variant,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)


def url(evidence_or_pk) -> str:
    return reverse("cases:evidence-download", args=[getattr(evidence_or_pk, "pk", evidence_or_pk)])


def client_for(user) -> Client:
    client = Client(HTTP_USER_AGENT="EvidenceTest/1.0", REMOTE_ADDR="198.51.100.7")
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client


@pytest.fixture
def shared(make_case, analyst):
    return upload(make_case(submit=True), analyst, visibility=Visibility.SHARED)


@pytest.fixture
def internal(make_case, analyst):
    return upload(make_case(submit=True), analyst, name="internal.png", data=png_variant(b"internal"),
                  visibility=Visibility.INTERNAL)


@pytest.fixture
def withdrawn(make_case, analyst, supervisor):
    evidence = upload(make_case(submit=True), analyst, name="withdrawn.png", data=png_variant(b"withdrawn"),
                      visibility=Visibility.SHARED)
    return withdraw_evidence(evidence, actor=supervisor, reason="Captured the wrong channel.")


@pytest.mark.parametrize(
    ("persona", "item", "status"),
    [
        ("analyst", "shared", 200),
        ("analyst", "internal", 200),
        ("supervisor", "internal", 200),
        ("administrator", "internal", 200),
        ("auditor", "internal", 200),
        ("analyst", "withdrawn", 200),  # withdrawn evidence stays with the ministry
        ("auditor", "withdrawn", 200),
        ("liaison_a", "shared", 200),
        ("liaison_a", "internal", 404),
        ("liaison_a", "withdrawn", 404),
        ("liaison_b", "shared", 404),
        ("liaison_b", "internal", 404),
        ("anonymous", "shared", 302),
        ("anonymous", "internal", 302),
    ],
)
def test_it_answers_each_persona(request, persona, item, status):
    user = request.getfixturevalue(persona)
    evidence = request.getfixturevalue(item)
    before = CustodyEvent.objects.filter(kind=CustodyKind.DOWNLOADED).count()

    response = client_for(user).get(url(evidence))

    assert response.status_code == status
    downloads = CustodyEvent.objects.filter(kind=CustodyKind.DOWNLOADED)
    if status == 200:
        assert b"".join(response.streaming_content) == (evidence.file.open("rb").read())
        assert response["Content-Disposition"] == (
            f'attachment; filename="{evidence.case.reference}-evidence-{evidence.pk}.png"')
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"
        event = downloads.get()
        assert (event.evidence, event.actor, event.ip_address, event.user_agent) == (
            evidence, user, "198.51.100.7", "EvidenceTest/1.0")
        assert event.data["file"] == evidence.file.name
    else:
        assert downloads.count() == before
    if status == 302:
        assert response["Location"] == f"/admin/login/?next={url(evidence)}"


def test_it_redirects_anonymous_visitors_to_login_even_for_ids_that_do_not_exist(anonymous):
    response = client_for(anonymous).get(url(999999))
    assert (response.status_code, response["Location"]) == (302, f"/admin/login/?next={url(999999)}")


def test_it_answers_404_for_an_unknown_id_and_for_a_user_without_a_role(analyst, shared):
    from tests.conftest import make_user

    assert client_for(analyst).get(url(999999)).status_code == 404
    assert client_for(make_user("nobody", None)).get(url(shared)).status_code == 404


def test_it_refuses_to_download_through_a_draft_for_a_liaison(make_case, analyst, liaison_a):
    draft_evidence = upload(make_case(), analyst, visibility=Visibility.SHARED)
    assert client_for(liaison_a).get(url(draft_evidence)).status_code == 404


def test_it_only_answers_get(analyst, shared):
    assert client_for(analyst).post(url(shared)).status_code == 405
    assert not CustodyEvent.objects.filter(kind=CustodyKind.DOWNLOADED).exists()


def test_it_refuses_a_tampered_file_and_writes_an_alert(analyst, shared):
    (evidence_dir() / shared.file.name).write_bytes(PNG + b"tampered")

    response = client_for(analyst).get(url(shared))

    assert response.status_code == 409
    assert b"no longer matches" in response.content
    assert response["Cache-Control"] == "no-store"
    alert = CustodyEvent.objects.get(evidence=shared, kind=CustodyKind.MISMATCH)
    assert (alert.actor, alert.ip_address) == (analyst, "198.51.100.7")
    assert alert.data["expected_sha256"] == shared.sha256
    assert alert.data["actual_size"] == len(PNG) + len(b"tampered")
    assert not CustodyEvent.objects.filter(kind=CustodyKind.DOWNLOADED).exists()


def test_it_refuses_a_missing_file_and_writes_an_alert(liaison_a, shared):
    (evidence_dir() / shared.file.name).unlink()

    response = client_for(liaison_a).get(url(shared))

    assert response.status_code == 409
    assert b"is missing" in response.content
    assert CustodyEvent.objects.filter(evidence=shared, kind=CustodyKind.MISSING, actor=liaison_a).exists()


@override_settings(EVIDENCE_X_ACCEL_PREFIX="/protected-evidence/")
def test_it_hands_the_bytes_to_nginx_in_x_accel_mode_after_the_same_checks(analyst, liaison_b, shared):
    response = client_for(analyst).get(url(shared))

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-evidence/{shared.file.name}"
    assert response.content == b""
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert CustodyEvent.objects.filter(evidence=shared, kind=CustodyKind.DOWNLOADED, actor=analyst).exists()

    assert client_for(liaison_b).get(url(shared)).status_code == 404
    (evidence_dir() / shared.file.name).write_bytes(b"tampered")
    tampered = client_for(analyst).get(url(shared))
    assert tampered.status_code == 409
    assert "X-Accel-Redirect" not in tampered


@override_settings(EVIDENCE_TRUSTED_PROXY_COUNT=1)
def test_it_records_the_client_address_forwarded_by_a_trusted_proxy(analyst, shared):
    client_for(analyst).get(url(shared), HTTP_X_FORWARDED_FOR="spoofed, 192.0.2.44")
    assert CustodyEvent.objects.get(kind=CustodyKind.DOWNLOADED).ip_address == "192.0.2.44"


def test_it_shares_one_stored_file_between_copies_and_serves_it_for_each(make_case, analyst, shared):
    copy = upload(make_case(submit=True), analyst, name="again.png")
    response = client_for(analyst).get(url(copy))
    assert b"".join(response.streaming_content) == PNG
    assert f"-evidence-{copy.pk}.png" in response["Content-Disposition"]
