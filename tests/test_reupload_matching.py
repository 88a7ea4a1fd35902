"""Re-upload matching with real pictures drawn in the test: what PDQ recognises, what it must not, and the rules
around it (which cases count, low quality, idempotence, the upload hook, page archives)."""

import pytest

from cases.cases.workflow import transition
from cases.core.choices import CaseStatus, EventKind, EvidenceKind, Visibility
from cases.evidence import pdq
from cases.evidence.services import hashing
from cases.evidence.services.evidence import withdraw_evidence
from cases.models import CaseEvent, HashMatch, ImageHash, MatchDecision
from tests.reupload_images import colour_shifted, cropped, encode, flat, jpeg_q40, mhtml, poster, resized
from tests.test_evidence_support import upload, use_temporary_evidence_root  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db

ORIGINAL = poster(1)
ORIGINAL_PNG = encode(ORIGINAL)


@pytest.fixture
def earlier(make_case, analyst):
    """An earlier case, ordered removed and actioned, with the original picture as its evidence."""
    case = make_case(submit=True)
    evidence = upload(case, analyst, "flyer.png", ORIGINAL_PNG, visibility=Visibility.SHARED)
    hashing.hash_evidence(evidence.pk)
    return evidence


def upload_and_hash(case, actor, name, data, **kwargs):
    evidence = upload(case, actor, name, data, **kwargs)
    return evidence, hashing.hash_evidence(evidence.pk)


@pytest.mark.parametrize(("name", "make"), [
    ("reencoded.jpg", lambda: jpeg_q40(ORIGINAL)),
    ("half-size.png", lambda: resized(ORIGINAL, 0.5)),
    ("colour-shift.png", lambda: colour_shifted(ORIGINAL)),
])
def test_a_reencoded_resized_or_recoloured_copy_matches_the_earlier_case(earlier, make_case, analyst, name, make):
    later = make_case()
    evidence, outcome = upload_and_hash(later, analyst, name, make())
    assert outcome.created and outcome.hashes[0].quality >= 50
    [match] = HashMatch.objects.filter(evidence=evidence)
    assert match.matched_evidence == earlier
    assert 0 <= match.distance <= 31
    assert match.decision == MatchDecision.PENDING
    found = CaseEvent.objects.get(case=later, kind=EventKind.MATCH_FOUND)
    assert found.visibility == Visibility.INTERNAL and found.actor is None
    assert f"possibly the same content as {earlier.case.reference} (distance {match.distance})" in found.note


@pytest.mark.parametrize(("name", "make"), [
    ("unrelated.png", lambda: encode(poster(2))),
    ("cropped.png", lambda: cropped(ORIGINAL, 0.1)),
])
def test_an_unrelated_picture_or_a_crop_does_not_match(earlier, make_case, analyst, name, make):
    evidence, outcome = upload_and_hash(make_case(), analyst, name, make())
    assert outcome.hashes[0].quality >= 50  # a real hash, just far away
    assert not HashMatch.objects.exists()
    assert not CaseEvent.objects.filter(kind=EventKind.MATCH_FOUND).exists()


def test_a_flat_low_quality_picture_is_kept_but_never_matched(make_case, analyst):
    first, outcome = upload_and_hash(make_case(submit=True), analyst, "red.png", flat())
    assert outcome.hashes[0].pdq and outcome.hashes[0].quality < 50  # kept, with its quality
    second, _ = upload_and_hash(make_case(), analyst, "red-again.png", flat(size=(800, 600)))
    third, _ = upload_and_hash(make_case(), analyst, "red.jpg", encode(__import__("PIL.Image").Image.new(
        "RGB", (400, 300), (200, 30, 30)), "JPEG"))
    assert ImageHash.objects.filter(evidence__in=[first, second, third]).count() == 3
    assert not HashMatch.objects.exists()


def test_the_same_file_on_another_case_matches_at_distance_zero(earlier, make_case, analyst):
    evidence, _ = upload_and_hash(make_case(), analyst, "flyer-again.png", ORIGINAL_PNG)
    assert evidence.first_copy == earlier  # stored once (SHA-256), hashed per item
    assert HashMatch.objects.get(evidence=evidence).distance == 0


def test_withdrawn_cases_withdrawn_evidence_the_same_case_and_platform_responses_are_not_matched(
        make_case, analyst, supervisor, liaison_a):
    withdrawn_case = make_case(submit=True)
    upload_and_hash(withdrawn_case, analyst, "a.png", ORIGINAL_PNG)
    transition(withdrawn_case, "withdraw", actor=supervisor, note="Sent by mistake.")
    withdrawn_item, _ = upload_and_hash(make_case(submit=True), analyst, "b.jpg", jpeg_q40(ORIGINAL))
    withdraw_evidence(withdrawn_item, actor=analyst, reason="Wrong file.")
    target = make_case(submit=True)
    upload_and_hash(target, liaison_a, "our-response.png", resized(ORIGINAL), kind=EvidenceKind.PLATFORM_RESPONSE)
    assert not HashMatch.objects.exists()
    # The same case: a second screenshot of the same post is not a re-upload.
    upload_and_hash(target, analyst, "c.png", colour_shifted(ORIGINAL))
    upload_and_hash(target, analyst, "d.png", ORIGINAL_PNG)
    assert not HashMatch.objects.exists()
    # A fresh case still matches the open one.
    evidence, _ = upload_and_hash(make_case(), analyst, "e.jpg", jpeg_q40(ORIGINAL))
    assert {m.matched_evidence.case for m in HashMatch.objects.filter(evidence=evidence)} == {target}


def test_the_match_is_stored_on_the_later_upload_whichever_was_hashed_first(make_case, analyst):
    old = upload(make_case(submit=True), analyst, "old.png", ORIGINAL_PNG)
    new = upload(make_case(), analyst, "new.jpg", jpeg_q40(ORIGINAL))
    hashing.hash_evidence(new.pk)  # the backlog reaches the older item last
    hashing.hash_evidence(old.pk)
    [match] = HashMatch.objects.all()
    assert (match.evidence, match.matched_evidence) == (new, old)
    assert CaseEvent.objects.get(kind=EventKind.MATCH_FOUND).case == new.case


def test_hashing_is_idempotent(earlier, make_case, analyst):
    evidence, first = upload_and_hash(make_case(), analyst, "x.jpg", jpeg_q40(ORIGINAL))
    again = hashing.hash_evidence(evidence.pk)
    assert first.created and not again.created
    assert ImageHash.objects.filter(evidence=evidence).count() == 1
    assert HashMatch.objects.count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.MATCH_FOUND).count() == 1


def test_the_upload_hashes_after_its_commit(earlier, make_case, analyst, django_capture_on_commit_callbacks):
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        evidence = upload(case, analyst, "re.jpg", jpeg_q40(ORIGINAL))
    assert callbacks  # the hook ran after the commit, not inside the upload
    assert ImageHash.objects.get(evidence=evidence).quality >= 50
    assert HashMatch.objects.get(evidence=evidence).matched_evidence == earlier


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after each job, as in production
def test_on_the_database_queue_the_upload_queues_a_job_and_a_worker_hashes_it(make_case, analyst, settings):
    """The production path: the upload only queues the hashing; `manage.py worker` hashes and matches."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "webhooks"]}}
    earlier_evidence = upload(make_case(), analyst, "orig.png", ORIGINAL_PNG)
    evidence = upload(make_case(), analyst, "re.jpg", jpeg_q40(ORIGINAL))
    assert not ImageHash.objects.exists()  # nothing was hashed inside the upload's request
    assert DBTaskResult.objects.filter(task_path="cases.tasks.hash_evidence_image").count() == 2
    call_command("worker", "--batch", "--no-startup-delay", "-v", "0")
    assert ImageHash.objects.filter(evidence__in=[earlier_evidence, evidence]).count() == 2
    assert HashMatch.objects.get(evidence=evidence).matched_evidence == earlier_evidence


def test_a_failed_hashing_does_not_fail_the_upload(make_case, analyst, django_capture_on_commit_callbacks,
                                                    monkeypatch, caplog):
    def broken(evidence):
        raise RuntimeError("pdq exploded")

    monkeypatch.setattr(hashing, "compute_hashes", broken)
    with django_capture_on_commit_callbacks(execute=True):
        evidence = upload(make_case(), analyst, "x.png", ORIGINAL_PNG)
    assert evidence.pk and not ImageHash.objects.exists()  # left for `manage.py hash_evidence`
    assert "hash_evidence will try it again" in caplog.text.replace("`", "")


def test_documents_are_looked_at_once_and_noted(make_case, analyst):
    from tests.test_evidence_support import PDF

    evidence, outcome = upload_and_hash(make_case(), analyst, "note.pdf", PDF, kind=EvidenceKind.DOCUMENT)
    [row] = outcome.hashes
    assert (row.pdq, row.quality, row.note) == ("", None, "not an image")


def test_images_inside_an_mhtml_page_archive_are_hashed_and_matched(earlier, make_case, analyst):
    archive = mhtml(("https://t.me/i/flyer.jpg", jpeg_q40(ORIGINAL)))
    evidence, outcome = upload_and_hash(make_case(), analyst, "page.mhtml", archive, kind=EvidenceKind.PAGE_ARCHIVE)
    [row] = outcome.hashes
    assert row.part == "https://t.me/i/flyer.jpg" and row.quality >= 50
    assert HashMatch.objects.get(evidence=evidence).matched_evidence == earlier


def test_an_archive_holding_the_same_url_twice_is_hashed_and_previewed_part_by_part(earlier, make_case, analyst,
                                                                                    client):
    archive = mhtml(("https://t.me/i/flyer.jpg", encode(poster(9), "JPEG")),
                    ("https://t.me/i/flyer.jpg", jpeg_q40(ORIGINAL)),
                    ("https://t.me/i/" + "x" * 400, encode(poster(10), "JPEG")),
                    ("https://t.me/i/" + "x" * 400, jpeg_q40(poster(11))))
    evidence, outcome = upload_and_hash(make_case(), analyst, "page.mhtml", archive, kind=EvidenceKind.PAGE_ARCHIVE)
    assert [len(row.part) <= 300 and row.quality >= 50 for row in outcome.hashes] == [True] * 4
    assert len({row.part for row in outcome.hashes}) == 4
    [match] = outcome.matches
    assert match.matched_evidence == earlier and match.evidence_hash.part == "https://t.me/i/flyer.jpg #2"
    client.force_login(analyst)
    preview = client.get(f"/admin/cases/hashmatch/{match.pk}/image/later/")  # the second part, not the first
    assert preview.status_code == 200
    assert pdq.distance(pdq.hash_image_bytes(preview.content).hex, pdq.hash_image_bytes(ORIGINAL_PNG).hex) <= 31


def test_a_missing_file_is_left_for_later(make_case, analyst):
    from cases.core.storage import evidence_storage

    evidence = upload(make_case(), analyst, "x.png", ORIGINAL_PNG)
    evidence_storage().delete(evidence.file.name)
    with pytest.raises(hashing.HashingError, match="missing"):
        hashing.hash_evidence(evidence.pk)
    assert not ImageHash.objects.exists()


def test_the_threshold_is_configurable(earlier, make_case, analyst, settings):
    settings.PDQ_MATCH_THRESHOLD = 0
    upload_and_hash(make_case(), analyst, "x.png", colour_shifted(ORIGINAL))
    assert not HashMatch.objects.exists()


def test_an_open_case_is_matched(make_case, analyst):
    case = make_case(submit=True)
    upload_and_hash(case, analyst, "a.png", ORIGINAL_PNG)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    evidence, _ = upload_and_hash(make_case(), analyst, "b.jpg", jpeg_q40(ORIGINAL))
    assert HashMatch.objects.filter(evidence=evidence).exists()


def test_a_picture_reposted_many_times_points_at_its_earliest_copies_only(make_case, analyst):
    cases = [make_case(submit=True) for _ in range(hashing.MAX_MATCHES_PER_HASH + 3)]
    for case in cases:
        upload_and_hash(case, analyst, "flyer.png", ORIGINAL_PNG)
    last = HashMatch.objects.filter(evidence__case=cases[-1])
    assert last.count() == hashing.MAX_MATCHES_PER_HASH
    assert {m.matched_evidence.case for m in last} == set(cases[:hashing.MAX_MATCHES_PER_HASH])


def test_copies_that_may_not_be_matched_do_not_crowd_out_an_earlier_case(make_case, analyst, liaison_a):
    # More exact copies than matches kept per hash, none of which may be matched (platforms' responses showing the
    # picture), all nearer to the new upload than the earlier case's re-encoded copy.
    for i in range(hashing.MAX_MATCHES_PER_HASH + 2):
        upload_and_hash(make_case(submit=True), liaison_a, f"response-{i}.png", ORIGINAL_PNG,
                        kind=EvidenceKind.PLATFORM_RESPONSE)
    earlier, _ = upload_and_hash(make_case(submit=True), analyst, "flyer.jpg", jpeg_q40(ORIGINAL))
    evidence, outcome = upload_and_hash(make_case(), analyst, "repost.png", ORIGINAL_PNG)
    assert [m.matched_evidence for m in outcome.matches] == [earlier]


def test_evidence_of_a_withdrawn_case_hashed_late_is_not_matched(make_case, analyst, supervisor):
    old_case = make_case(submit=True)
    old = upload(old_case, analyst, "old.png", ORIGINAL_PNG)
    transition(old_case, "withdraw", actor=supervisor, note="Sent by mistake.")
    new, _ = upload_and_hash(make_case(), analyst, "new.jpg", jpeg_q40(ORIGINAL))
    outcome = hashing.hash_evidence(old.pk)  # the backlog reaches the withdrawn case's item last
    assert outcome.created and outcome.matches == []
    assert not HashMatch.objects.exists()
