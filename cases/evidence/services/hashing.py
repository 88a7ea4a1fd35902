"""Re-upload matching: PDQ hashes of image evidence, matching them, and the analyst's decision.

1. `hash_evidence(evidence_id)` hashes one evidence item (an image, or the images inside a page archive),
   stores the hashes beside its SHA-256 and matches them. It is idempotent: an item already looked at is left
   alone, so the upload's after-commit hook, a background job and `manage.py hash_evidence` may all call it.
2. Matching compares a hash with every stored hash of quality 50 or more, by Hamming distance, up to
   `settings.PDQ_MATCH_THRESHOLD` (31 by default, PDQ's recommendation). On PostgreSQL that is one statement
   over the `bit(256)` column (`bit_count(bits # query)`); elsewhere a scan in Python. A candidate counts if it
   is an imported hash-list entry, or the evidence of another case that is not withdrawn (open, actioned or
   verified), not itself withdrawn, and not a platform's response.
3. A match is a lead for a person: PDQ does not survive crops or large edits, and unrelated pictures can
   collide. `decide_match` records the analyst's confirmation or dismissal as an audited case event; a
   confirmed match to an earlier case links the two cases ("re-upload of an earlier case").
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cases.core import clock
from cases.core.choices import CaseStatus, EventKind, EvidenceKind, Visibility
from cases.core.recorders.events import record_event
from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.core.storage import evidence_storage
from cases.evidence import pdq
from cases.models import Evidence, HashMatch, ImageHash, MatchDecision

log = logging.getLogger("patuh.hashing")

# Matches kept per hash, nearest first and then earliest: a picture reposted a thousand times needs a person to look
# at a few of its earlier copies (the first orders among them), not at every one (which grows as n squared).
MAX_MATCHES_PER_HASH = 10
# Hashes within the threshold read per new hash before the matching rules pick those 10: far more than any real
# picture has near copies, and a bound on the work when a list holds many near-duplicates.
SCAN_LIMIT = 1000
READ_CHUNK = 1024 * 1024


class HashingError(Exception):
    """The stored file could not be read as recorded (missing or altered): try again later, nothing stored."""


@dataclass
class HashOutcome:
    evidence: Evidence
    created: bool  # False: it had been hashed before, nothing was done
    hashes: list[ImageHash] = field(default_factory=list)
    matches: list[HashMatch] = field(default_factory=list)


def threshold() -> int:
    return settings.PDQ_MATCH_THRESHOLD


def min_quality() -> int:
    return settings.PDQ_MIN_QUALITY


# --- after an upload -------------------------------------------------------------------------------------


def schedule_hashing(evidence: Evidence) -> None:
    """Queue the item's hashing as a background job, run once the upload's transaction has committed (nothing
    happens if it rolls back). A job lost or failed is caught up by `manage.py hash_evidence`."""
    from cases.core.jobs import enqueue_after_commit
    from cases.tasks import hash_evidence_image

    enqueue_after_commit(hash_evidence_image, evidence.pk)


def hash_quietly(evidence_id: int) -> HashOutcome | None:
    """`hash_evidence`, never raising: an upload has already succeeded, and `manage.py hash_evidence` catches up."""
    try:
        return hash_evidence(evidence_id)
    except Exception:
        log.exception("hashing evidence %s failed; `manage.py hash_evidence` will try it again", evidence_id)
        return None


# --- hashing ---------------------------------------------------------------------------------------------


def hash_evidence(evidence_id: int) -> HashOutcome | None:
    """Hash one evidence item and match it; do nothing if it was hashed before. None if there is no such item.

    Raises HashingError when the stored file is missing or no longer matches its SHA-256 (then nothing is
    stored, so a later run tries again; `verify_evidence` raises the alarm).
    """
    evidence = Evidence.objects.select_related("case").filter(pk=evidence_id).first()
    if evidence is None:
        return None
    if ImageHash.objects.filter(evidence_id=evidence_id).exists():
        return HashOutcome(evidence, created=False)
    computed = compute_hashes(evidence)  # outside the transaction: reading and hashing take a while
    with transaction.atomic():
        Evidence.objects.select_for_update().filter(pk=evidence_id).exists()  # one hasher per item
        if ImageHash.objects.filter(evidence_id=evidence_id).exists():
            return HashOutcome(evidence, created=False)
        now = clock.now()
        rows = []
        for part, value, note in computed:
            rows.append(ImageHash.objects.create(
                evidence=evidence, part=part, pdq=value.hex if value else "",
                quality=value.quality if value else None, note=note, created_at=now,
            ))
        matches = match_evidence_hashes(evidence, rows)
    return HashOutcome(evidence, created=True, hashes=rows, matches=matches)


def compute_hashes(evidence: Evidence) -> list[tuple[str, pdq.PdqHash | None, str]]:
    """(part, hash or None, note) for each image in the item; one row with a note when there is none."""
    if evidence.content_type not in pdq.IMAGE_TYPES and evidence.content_type not in pdq.ARCHIVE_TYPES:
        return [("", None, _("not an image"))]
    data = read_stored(evidence)
    if evidence.content_type in pdq.IMAGE_TYPES:
        return [_hash_one("", data)]
    found = [_hash_one(part.name, part.data) for part in pdq.images_in_archive(data, evidence.content_type)]
    return found or [("", None, _("no images in the archive"))]


def _hash_one(part: str, data: bytes) -> tuple[str, pdq.PdqHash | None, str]:
    try:
        return part, pdq.hash_image_bytes(data), ""
    except pdq.NotAnImage as err:
        return part, None, (_("could not be decoded as an image: %(reason)s") % {"reason": err})[:300]


def read_stored(evidence: Evidence) -> bytes:
    """The stored bytes, checked against the SHA-256 recorded at upload."""
    storage = evidence_storage()
    try:
        with storage.open(evidence.file.name, "rb") as handle:
            data = b"".join(iter(lambda: handle.read(READ_CHUNK), b""))
    except FileNotFoundError as err:
        raise HashingError(_("The stored file of evidence %(id)s is missing.") % {"id": evidence.pk}) from err
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise HashingError(_("The stored file of evidence %(id)s no longer matches its SHA-256.") % {"id": evidence.pk})
    return data


# --- matching --------------------------------------------------------------------------------------------


def nearest(hex_hash: str, *, exclude: tuple[int, ...] = (), limit: int = SCAN_LIMIT,
            max_distance: int | None = None, min_q: int | None = None) -> list[tuple[int, int]]:
    """(ImageHash id, distance) of stored matchable hashes within the threshold, nearest first.

    Whether a hash may be matched by a given item (`eligible`) is decided afterwards on these few rows, so the scan
    stays one table and the same on both databases.
    """
    max_distance = threshold() if max_distance is None else max_distance
    min_q = min_quality() if min_q is None else min_q
    if connection.vendor == "postgresql":
        return _nearest_sql(hex_hash, exclude, limit, max_distance, min_q)
    return _nearest_python(hex_hash, exclude, limit, max_distance, min_q)


# The scan reads the generated bit(256) column and the quality (unknown for some imported entries: matched);
# `bit_count(bit)` needs PostgreSQL 14.
NEAREST_SQL = """
    SELECT id, bit_count(bits # %(q)s::bit(256)) AS distance
      FROM cases_imagehash
     WHERE bits IS NOT NULL AND (quality >= %(min_q)s OR quality IS NULL)
       AND bit_count(bits # %(q)s::bit(256)) <= %(d)s
       AND NOT (id = ANY(%(exclude)s))
     ORDER BY distance, id
     LIMIT %(limit)s
"""


def _nearest_sql(hex_hash, exclude, limit, max_distance, min_q):
    with connection.cursor() as cursor:
        cursor.execute(NEAREST_SQL, {"q": pdq.bit_string(hex_hash), "min_q": min_q, "d": max_distance,
                                     "exclude": list(exclude), "limit": limit})
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _nearest_python(hex_hash, exclude, limit, max_distance, min_q):
    query = int(hex_hash, 16)
    found = []
    rows = ImageHash.objects.matchable(min_q).exclude(pk__in=exclude).values_list("pk", "pdq")
    for pk, other in rows.iterator(chunk_size=10_000):
        d = (query ^ int(other, 16)).bit_count()
        if d <= max_distance:
            found.append((d, pk))
    found.sort()
    return [(pk, d) for d, pk in found[:limit]]


def counts_for_matching(evidence: Evidence) -> bool:
    """Does this item take part in matching at all? Not a platform's response (it shows what the platform did, not
    the content), not withdrawn, not on a withdrawn case: the same rules `eligible` applies to the other side."""
    return (evidence.kind != EvidenceKind.PLATFORM_RESPONSE and evidence.withdrawn_at is None
            and evidence.case.status != CaseStatus.WITHDRAWN)


def eligible(case_id: int) -> Q:
    """The stored hashes an item of this case may be matched with: every imported list entry, and the hashes of
    another case's evidence that takes part in matching (see `counts_for_matching`)."""
    return Q(hash_list__isnull=False) | (
        Q(evidence__withdrawn_at__isnull=True)
        & ~Q(evidence__kind=EvidenceKind.PLATFORM_RESPONSE)
        & ~Q(evidence__case__status=CaseStatus.WITHDRAWN)
        & ~Q(evidence__case_id=case_id)
    )


def match_evidence_hashes(evidence: Evidence, rows: list[ImageHash]) -> list[HashMatch]:
    """Match an item's new hashes against everything stored; record what was found. Call inside a transaction.

    A pair of evidence items is stored with the later upload as `evidence`, whichever was hashed first, so
    the match shows on the newer case, as a re-upload of the earlier one.
    """
    if not counts_for_matching(evidence):
        return []
    own = tuple(r.pk for r in rows)
    created: list[HashMatch] = []
    for row in rows:
        if not row.pdq or (row.quality or 0) < min_quality():
            continue
        # The nearest hashes first, then those this item may be matched with: ineligible copies (a platform's
        # responses, a withdrawn case) must not take the places of eligible ones.
        found = dict(nearest(row.pdq, exclude=own))
        candidates = sorted(ImageHash.objects.filter(pk__in=found).filter(eligible(evidence.case_id)),
                            key=lambda c: (found[c.pk], c.pk))[:MAX_MATCHES_PER_HASH]
        for candidate in candidates:
            pair = (row, candidate)
            if candidate.evidence_id is not None and candidate.evidence_id > evidence.pk:
                pair = (candidate, row)  # the other one is the later upload
            match = _store_match(*pair, distance=found[candidate.pk])
            if match is not None:
                created.append(match)
    for subject_id in sorted({m.evidence_id for m in created}):
        ours = [m for m in created if m.evidence_id == subject_id]
        _record_found(ours)
    return created


def _store_match(subject: ImageHash, matched: ImageHash, *, distance: int) -> HashMatch | None:
    if HashMatch.objects.filter(Q(evidence_hash=subject, matched_hash=matched)
                                | Q(evidence_hash=matched, matched_hash=subject)).exists():
        return None
    try:
        with transaction.atomic():
            return HashMatch.objects.create(
                evidence_id=subject.evidence_id, evidence_hash=subject, matched_hash=matched,
                matched_evidence_id=matched.evidence_id, distance=distance, found_at=clock.now(),
            )
    except IntegrityError:
        return None  # another hasher stored the same pair first


def _record_found(matches: list[HashMatch]) -> None:
    """One internal timeline entry on the newer case: what it possibly re-uploads."""
    subject = Evidence.objects.select_related("case").get(pk=matches[0].evidence_id)
    described = [describe(m) for m in matches]
    record_event(
        subject.case, EventKind.MATCH_FOUND, actor=None, visibility=Visibility.INTERNAL,
        note="; ".join(d["text"] for d in described),
        data={"evidence_id": subject.pk,
              "matches": [{k: v for k, v in d.items() if k != "text"} for d in described]},
    )


def describe(match: HashMatch) -> dict:
    """What a match points at, in words and data (for the timeline and the audit chain)."""
    matched = match.matched_hash
    if match.matched_evidence_id is not None:
        other = Evidence.objects.select_related("case").get(pk=match.matched_evidence_id)
        text = _("possibly the same content as %(ref)s (distance %(d)s)") % {
            "ref": other.case.reference, "d": match.distance}
        return {"match_id": match.pk, "matched_evidence_id": other.pk, "matched_case": other.case.reference,
                "distance": match.distance, "text": text}
    hash_list = matched.hash_list
    text = _("possibly the same content as an entry of the list “%(list)s” from %(source)s (distance %(d)s)") % {
        "list": hash_list.name, "source": hash_list.source, "d": match.distance}
    return {"match_id": match.pk, "hash_list_id": hash_list.pk, "source": hash_list.source,
            "labels": matched.labels or hash_list.labels, "distance": match.distance, "text": text}


# --- the analyst's decision ------------------------------------------------------------------------------


DECISION_EVENTS = {MatchDecision.CONFIRMED: EventKind.MATCH_CONFIRMED,
                   MatchDecision.DISMISSED: EventKind.MATCH_DISMISSED}


@transaction.atomic
def decide_match(match: HashMatch, *, actor, decision: str, note: str = "") -> HashMatch:
    """Confirm or dismiss a match; one audited event on the newer case (and on the earlier, when the decision
    links the two cases or takes a link back).

    A decision may be revised (confirm after a dismissal, or the reverse); each decision is its own event.
    """
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only analysts and supervisors decide on matches."))
    if decision not in DECISION_EVENTS:
        raise ValidationError({"decision": _("Choose confirm or dismiss.")}, code="invalid_decision")
    if "\x00" in (note or ""):
        raise ValidationError({"note": _("Remove the NUL character (\\x00) from this text.")}, code="nul")
    locked = HashMatch.objects.select_for_update().get(pk=match.pk)
    if locked.decision == decision:
        raise ValidationError(_("This match has already been decided that way."), code="already_decided")
    previous = locked.decision
    locked.decision, locked.decided_by, locked.decided_at = decision, actor, clock.now()
    locked.decision_note = (note or "").strip()
    locked.save(update_fields=["decision", "decided_by", "decided_at", "decision_note"])
    subject = Evidence.objects.select_related("case").get(pk=locked.evidence_id)
    described = describe(locked)
    data = {k: v for k, v in described.items() if k != "text"} | {
        "evidence_id": subject.pk, "decision": decision, "previous": previous}
    record_event(subject.case, DECISION_EVENTS[decision], actor=actor, visibility=Visibility.INTERNAL,
                 note=locked.decision_note or described["text"], data=data)
    # The earlier case's timeline says when it became linked to a re-upload, and when that link was taken back.
    linked, unlinked = decision == MatchDecision.CONFIRMED, previous == MatchDecision.CONFIRMED
    if locked.matched_evidence_id is not None and (linked or unlinked):
        earlier = Evidence.objects.select_related("case").get(pk=locked.matched_evidence_id)
        words = {"ref": subject.case.reference, "d": locked.distance}
        record_event(earlier.case, DECISION_EVENTS[decision], actor=actor, visibility=Visibility.INTERNAL,
                     note=(_("Re-uploaded: %(ref)s (distance %(d)s)") if linked
                           else _("No longer a re-upload of this case: %(ref)s (distance %(d)s)")) % words,
                     data=data | {"reupload_case": subject.case.reference})
    match.decision, match.decided_by, match.decided_at, match.decision_note = (
        locked.decision, locked.decided_by, locked.decided_at, locked.decision_note)
    return locked
