"""Uploading evidence through the service: what is refused (and leaves nothing), what is stored, who may."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from cases.core import clock
from cases.core.choices import CustodyKind, EventKind, EvidenceKind, Visibility
from cases.demo.evidence import attach_demo_evidence
from cases.evidence.services.evidence import upload_evidence, withdraw_evidence
from cases.models import CaseEvent, CustodyEvent, Evidence
from tests.test_evidence_support import (
    GIF,
    HTML,
    JPEG,
    MHTML,
    MP4,
    PDF,
    PNG,
    TEXT,
    WARC,
    WARC_GZ,
    WEBM,
    WEBP,
    evidence_dir,
    spool_files,
    stored_files,
    upload,
    use_temporary_evidence_root,  # noqa: F401 - autouse fixture
)

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"This program cannot be run"
POLYGLOT = PNG + b"<html><body><script>alert(document.cookie)</script></body></html>"


def assert_nothing_left(case):
    assert not Evidence.objects.exists()
    assert not CustodyEvent.objects.exists()
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.EVIDENCE_ADDED).exists()
    assert stored_files(evidence_dir()) == []  # nor anything in the spool directory


class StreamOnly:
    """A file-like object that declares no size: the limit must hold while streaming."""

    def __init__(self, name, data, chunk=1000):
        self.name, self._data, self._chunk = name, data, chunk

    def chunks(self, chunk_size=None):
        for start in range(0, len(self._data), self._chunk):
            yield self._data[start:start + self._chunk]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param("channel.png", POLYGLOT, "also contains web markup or script (“<html>”)", id="png-html-polyglot"),
        pytest.param("poster.png", EXE, "The file's content is a Windows executable, not a PNG image.",
                     id="exe-as-png"),
        pytest.param("../../etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", "contains a path (“..”)",
                     id="path-traversal"),
        pytest.param("empty.png", b"", "The file is empty.", id="empty"),
        pytest.param("photo.jpg", PNG, "The file's content is a PNG image, not a JPEG image.", id="png-as-jpg"),
        pytest.param("notes.txt", HTML, "The file's content is an HTML page, not plain text.", id="html-as-txt"),
        pytest.param("payload.zip", b"PK\x03\x04rest", "Files ending in .zip are not accepted", id="zip"),
        pytest.param("README", TEXT, "has no extension", id="no-extension"),
        pytest.param("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
                     "an SVG image (which can carry script), not a PNG image", id="svg-as-png"),
        pytest.param("order.pdf", PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript >>"),
                     "The PDF contains JavaScript", id="pdf-javascript"),
        pytest.param("log.txt", TEXT * 400 + b"\x00\x01binary", "contains binary data further on",
                     id="binary-in-text"),
    ],
)
def test_it_refuses_a_bad_file_and_leaves_nothing_behind(make_case, analyst, name, data, message):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        # A plain File keeps the name exactly as given (Django's UploadedFile would already cut the path).
        upload_evidence(case=case, actor=analyst, file=File(io.BytesIO(data), name=name),
                        kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL)
    assert message in " ".join(exc.value.messages)
    assert_nothing_left(case)


def test_it_refuses_a_traversal_name_that_django_already_cut_down(make_case, analyst):
    case = make_case()
    with pytest.raises(ValidationError, match="The file name “passwd” has no extension"):
        upload(case, analyst, name="../../etc/passwd", data=b"root:x:0:0:root:/root:/bin/bash\n")
    assert_nothing_left(case)


def test_it_refuses_a_file_over_the_size_limit_before_reading_it(make_case, analyst):
    case = make_case()
    with override_settings(EVIDENCE_MAX_UPLOAD_BYTES=1024), pytest.raises(ValidationError) as exc:
        upload(case, analyst, data=PNG + b"\x00" * 2048)
    assert exc.value.messages == [f"The file is {(len(PNG) + 2048) / 1024:.1f} KB; the limit is 1 KB."]
    assert_nothing_left(case)


def test_it_stops_streaming_at_the_limit_when_the_size_is_not_declared(make_case, analyst):
    case = make_case()
    with override_settings(EVIDENCE_MAX_UPLOAD_BYTES=1024), pytest.raises(ValidationError) as exc:
        upload_evidence(case=case, actor=analyst, file=StreamOnly("big.png", PNG + b"\x00" * 4096),
                        kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL)
    assert exc.value.messages == ["The file is larger than 1 KB, the limit."]
    assert_nothing_left(case)


def test_it_words_the_default_limit_in_megabytes(make_case, analyst):
    from cases.evidence.services.evidence import format_size

    assert format_size(100 * 1024 * 1024) == "100 MB"
    assert format_size(int(120.3 * 1024 * 1024)) == "120.3 MB"


def test_it_finds_a_polyglot_marker_split_across_chunks(make_case, analyst):
    case = make_case()
    data = PNG + b"\x00" * (9000 - len(PNG)) + b"<script>"
    with pytest.raises(ValidationError, match="script"):
        upload_evidence(case=case, actor=analyst, file=StreamOnly("x.png", data, chunk=9003),
                        kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL)
    assert_nothing_left(case)


def test_it_stores_a_screenshot_under_a_generated_name_with_its_custody_and_timeline(make_case, analyst):
    case = make_case()
    captured = clock.now() - timedelta(hours=1)
    evidence = upload(case, analyst, name="Screenshot 2026-01-01 at 10.00.png", visibility=Visibility.SHARED,
                      captured_at=captured, source_url="https://t.me/example/1", description="Channel header",
                      request_meta={"ip_address": "203.0.113.9", "user_agent": "pytest"})

    sha = hashlib.sha256(PNG).hexdigest()
    assert (evidence.sha256, evidence.size, evidence.content_type) == (sha, len(PNG), "image/png")
    assert evidence.original_name == "Screenshot 2026-01-01 at 10.00.png"
    assert evidence.file.name == f"{sha[:2]}/{sha[2:4]}/{sha}.png"
    assert (evidence.uploaded_by, evidence.captured_at, evidence.source_url) == (
        analyst, captured, "https://t.me/example/1")
    assert stored_files(evidence_dir()) == [evidence_dir() / evidence.file.name]
    assert (evidence_dir() / evidence.file.name).read_bytes() == PNG
    assert spool_files(evidence_dir()) == []

    custody = CustodyEvent.objects.get(evidence=evidence)
    assert (custody.kind, custody.actor, custody.ip_address, custody.user_agent) == (
        CustodyKind.UPLOADED, analyst, "203.0.113.9", "pytest")
    event = case.events.get(kind=EventKind.EVIDENCE_ADDED)
    assert (event.visibility, event.actor, event.data["evidence_id"]) == (Visibility.SHARED, analyst, evidence.pk)


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("a.png", PNG, "image/png"), ("a.jpeg", JPEG, "image/jpeg"), ("a.gif", GIF, "image/gif"),
        ("a.webp", WEBP, "image/webp"), ("a.pdf", PDF, "application/pdf"), ("a.mp4", MP4, "video/mp4"),
        ("a.webm", WEBM, "video/webm"), ("a.html", HTML, "text/html"), ("a.mhtml", MHTML, "multipart/related"),
        ("a.warc", WARC, "application/warc"), ("a.warc.gz", WARC_GZ, "application/gzip"),
        ("a.txt", TEXT, "text/plain"),
    ],
)
def test_it_accepts_every_allowed_type(make_case, analyst, name, data, mime):
    evidence = upload(make_case(), analyst, name=name, data=data)
    assert evidence.content_type == mime
    assert evidence.file.name.endswith("." + name.split(".", 1)[1].replace("jpeg", "jpg"))


def test_it_links_a_duplicate_on_another_case_to_its_first_copy_and_stores_it_once(make_case, analyst,
                                                                                     supervisor):
    first = upload(make_case(), analyst, name="flyer.png")
    other_case = make_case()
    copy = upload(other_case, supervisor, name="same-flyer-again.png", visibility=Visibility.SHARED)

    assert copy.pk != first.pk
    assert copy.first_copy == first
    assert copy.file.name == first.file.name
    assert copy.original_name == "same-flyer-again.png"
    assert stored_files(evidence_dir()) == [evidence_dir() / first.file.name]
    assert CustodyEvent.objects.get(evidence=copy).kind == CustodyKind.LINKED
    assert CustodyEvent.objects.get(evidence=copy).data["first_copy"] == first.pk
    assert other_case.events.filter(kind=EventKind.EVIDENCE_ADDED, visibility=Visibility.SHARED).exists()


def test_it_links_to_the_winner_when_an_identical_upload_committed_first(make_case, analyst, monkeypatch):
    """Two identical uploads race: the loser's insert hits the one-first-copy constraint and links instead."""
    from cases.evidence.services import evidence as service

    first = upload(make_case(), analyst)
    lookups = iter([None])  # the loser looked before the winner committed
    real = service._first_copy
    monkeypatch.setattr(service, "_first_copy", lambda sha: next(lookups, None) or real(sha))

    copy = upload(make_case(), analyst, name="again.png")

    assert (copy.first_copy, copy.file.name) == (first, first.file.name)
    assert stored_files(evidence_dir()) == [evidence_dir() / first.file.name]


def test_it_forces_a_liaison_upload_to_a_shared_platform_response(make_case, liaison_a):
    case = make_case(submit=True)
    evidence = upload(case, liaison_a, name="takedown-confirmation.pdf", data=PDF,
                      kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL)
    assert (evidence.kind, evidence.visibility) == (EvidenceKind.PLATFORM_RESPONSE, Visibility.SHARED)
    assert case.events.get(kind=EventKind.EVIDENCE_ADDED).visibility == Visibility.SHARED


@pytest.mark.parametrize(
    ("persona", "submit", "platform"),
    [
        ("liaison_a", False, "platform_a"),  # a draft
        ("liaison_b", True, "platform_a"),  # another platform's case
        ("auditor", True, "platform_a"),  # reads everything, changes nothing
        ("anonymous", True, "platform_a"),
    ],
)
def test_it_refuses_uploads_from_those_who_may_not(request, make_case, persona, submit, platform):
    case = make_case(submit=submit, platform=request.getfixturevalue(platform))
    with pytest.raises(PermissionDenied):
        upload(case, request.getfixturevalue(persona))
    assert_nothing_left(case)


def test_it_refuses_a_capture_time_in_the_future_and_an_invalid_kind(make_case, analyst):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        upload(case, analyst, captured_at=clock.now() + timedelta(days=1))
    assert "captured_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        upload(case, analyst, kind="selfie")
    assert "kind" in exc.value.message_dict
    assert_nothing_left(case)


def test_it_withdraws_evidence_with_a_reason_keeping_it_on_the_timeline(make_case, analyst, supervisor):
    case = make_case(submit=True)
    evidence = upload(case, analyst, visibility=Visibility.SHARED)
    with pytest.raises(ValidationError, match="reason"):
        withdraw_evidence(evidence, actor=supervisor, reason="  ")

    withdraw_evidence(evidence, actor=supervisor, reason="Wrong channel captured.")

    evidence.refresh_from_db()
    assert (evidence.withdrawn_by, evidence.withdrawal_reason) == (supervisor, "Wrong channel captured.")
    assert evidence.withdrawn_at is not None
    assert list(evidence.custody_events.values_list("kind", flat=True)) == [CustodyKind.UPLOADED, CustodyKind.WITHDRAWN]
    event = case.events.get(kind=EventKind.EVIDENCE_WITHDRAWN)
    assert (event.note, event.visibility, event.data["evidence_id"]) == (
        "Wrong channel captured.", Visibility.SHARED, evidence.pk)
    with pytest.raises(ValidationError, match="already been withdrawn"):
        withdraw_evidence(evidence, actor=supervisor, reason="Again.")


@pytest.mark.parametrize("persona", ["auditor", "liaison_a"])
def test_it_lets_only_ministry_writers_withdraw(request, make_case, analyst, persona):
    evidence = upload(make_case(submit=True), analyst, visibility=Visibility.SHARED)
    with pytest.raises(PermissionDenied):
        withdraw_evidence(evidence, actor=request.getfixturevalue(persona), reason="No.")
    evidence.refresh_from_db()
    assert evidence.withdrawn_at is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("sha256", "0" * 64), ("size", 1), ("file", "aa/bb/other.png"), ("content_type", "text/html")],
)
def test_it_refuses_to_change_the_stored_file_of_saved_evidence(make_case, analyst, field, value):
    evidence = upload(make_case(), analyst)
    if field == "file":
        evidence.file.name = value
    else:
        setattr(evidence, field, value)
    with pytest.raises(ValidationError, match="cannot be changed"):
        evidence.save()
    with pytest.raises(ValidationError, match="cannot be changed"):
        evidence.save(update_fields=[field])
    fresh = Evidence.objects.get(pk=evidence.pk)
    assert (fresh.sha256, fresh.size, fresh.file.name) == (hashlib.sha256(PNG).hexdigest(), len(PNG),
                                                           Evidence.objects.get(pk=evidence.pk).file.name)


def test_it_still_saves_the_description_of_saved_evidence(make_case, analyst):
    evidence = upload(make_case(), analyst)
    evidence.description = "Clarified."
    evidence.save()
    assert Evidence.objects.get(pk=evidence.pk).description == "Clarified."


def test_it_attaches_deterministic_demo_evidence_with_shared_copies(make_case, analyst):
    cases = [make_case(submit=True) for _ in range(6)]
    attached = [attach_demo_evidence(case, actor=analyst, index=i) for i, case in enumerate(cases)]

    assert [len(items) for items in attached] == [3, 2, 2, 1, 2, 3]
    flyers = Evidence.objects.filter(original_name="flyer.png").order_by("id")
    assert flyers.count() == 2
    assert flyers[1].first_copy == flyers[0]
    assert len(stored_files(evidence_dir())) == Evidence.objects.filter(first_copy__isnull=True).count()
    assert {e.visibility for items in attached for e in items} == {Visibility.SHARED, Visibility.INTERNAL}


def test_it_keeps_the_uploaders_name_for_display_only(make_case, analyst):
    evidence = upload_evidence(
        case=make_case(), actor=analyst, file=SimpleUploadedFile("x.png", PNG),
        kind=EvidenceKind.SCREENSHOT, visibility=Visibility.INTERNAL,
    )
    from cases.evidence.services.evidence import clean_original_name

    assert clean_original_name("C:\\Users\\me\\Desktop\\shot\x00.png") == "shot.png"
    assert clean_original_name("/home/me/upload/shot.png") == "shot.png"
    assert clean_original_name("invoice\u202egnp.exe") == "invoicegnp.exe"
    assert "x.png" not in evidence.file.name
