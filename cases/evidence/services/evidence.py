"""Evidence: upload, withdrawal, integrity checks and the chain of custody.

Evidence here includes screenshots of terrorist propaganda and of child sexual abuse, so every file
enters through `upload_evidence` and leaves through `open_for_download`; both write the custody trail.
Uploads are streamed: the file is never held in memory, only hashed and inspected chunk by chunk on
its way to a spool file inside EVIDENCE_ROOT.
"""

import contextlib
import hashlib
import ipaddress
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.cases.services.cases import require_ministry_writer
from cases.core import audit, clock
from cases.core.choices import CustodyKind, EventKind, EvidenceKind, Visibility
from cases.core.recorders.events import actor_name, record_event
from cases.core.roles import MINISTRY_WRITERS, has_role, is_ministry
from cases.core.storage import INCOMING_DIR, SpooledFile, evidence_storage, incoming_dir, new_spool_file, stored_name
from cases.evidence import filetypes
from cases.evidence.services import hashing
from cases.models import Case, CustodyEvent, Evidence

log = logging.getLogger("patuh.evidence")

CHUNK_SIZE = 1024 * 1024
# Capture times a little ahead of the server clock are tolerated (clocks on analysts' machines drift).
CAPTURE_CLOCK_SKEW = timedelta(minutes=5)
# Removed from displayed file names: control characters, and the bidirectional overrides that make
# "invoice\u202egnp.exe" display as "invoiceexe.png".
_CONTROL_CHARS = dict.fromkeys([*range(32), 127, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


class EvidenceIntegrityError(Exception):
    """The stored file is missing or no longer matches its recorded hash."""

    def __init__(self, result: "IntegrityResult"):
        super().__init__(result.kind)
        self.result = result


@dataclass(frozen=True)
class IntegrityResult:
    kind: str  # CustodyKind.VERIFIED, MISMATCH or MISSING
    expected_sha256: str
    expected_size: int
    actual_sha256: str = ""
    actual_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.kind == CustodyKind.VERIFIED

    def as_data(self) -> dict:
        data = {"expected_sha256": self.expected_sha256, "expected_size": self.expected_size}
        if self.actual_size is not None:
            data |= {"actual_sha256": self.actual_sha256, "actual_size": self.actual_size}
        return data


@dataclass
class _Spool:
    path: str
    sha256: str
    size: int
    filetype: filetypes.FileType


# --- custody --------------------------------------------------------------------------------------

def record_custody(
    evidence: Evidence,
    kind: str,
    *,
    actor,
    request_meta: dict | None = None,
    note: str = "",
    data: dict | None = None,
) -> CustodyEvent:
    """Append one custody event. `request_meta` carries `ip_address` and `user_agent` when a person acted."""
    meta = request_meta or {}
    user = actor if actor is not None and actor.is_authenticated else None
    return audit.create(
        CustodyEvent,
        evidence=evidence,
        kind=kind,
        actor=user,
        actor_name=actor_name(user),
        created_at=clock.now(),
        ip_address=_valid_ip(meta.get("ip_address")),
        user_agent=(meta.get("user_agent") or "")[:300],
        note=note,
        data={"file": evidence.file.name, "sha256": evidence.sha256, **(data or {})},
    )


def _valid_ip(value) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


# --- upload ---------------------------------------------------------------------------------------

@transaction.atomic
def upload_evidence(
    *,
    case: Case,
    actor,
    file,
    kind: str,
    visibility: str,
    captured_at: datetime | None = None,
    source_url: str = "",
    description: str = "",
    request_meta: dict | None = None,
) -> Evidence:
    """Store one file as evidence of `case` and open its chain of custody.

    1. Who may: ministry writers, on any case; a liaison, on a submitted case of their platform, and
       then only as a shared platform response.
    2. The name must carry an accepted extension; the content must be that type (magic bytes) and free
       of embedded markup; size within EVIDENCE_MAX_UPLOAD_BYTES; not empty.
    3. Identical bytes already stored (same SHA-256) are not stored twice: the new row links to the
       first copy and shares its file.
    4. The Evidence row, its custody event and the case's timeline event are written together. Any
       refusal (ValidationError, PermissionDenied) leaves no row and no file behind.
    """
    kind, visibility = _upload_terms(actor, case, kind, visibility)
    now = clock.now()
    original_name = clean_original_name(getattr(file, "name", "") or "")
    expected = filetypes.type_for_name(original_name)
    evidence = Evidence(
        case=case, kind=kind, visibility=visibility, captured_at=captured_at, source_url=(source_url or "").strip(),
        description=(description or "").strip(), original_name=original_name, uploaded_by=actor, uploaded_at=now,
    )
    evidence.full_clean(exclude=["file", "sha256", "size", "content_type"])
    if captured_at is not None and captured_at > now + CAPTURE_CLOCK_SKEW:
        raise ValidationError({"captured_at": _("The capture time is in the future.")}, code="captured_in_future")
    if captured_at is not None and (problem := clock.moment_problem(captured_at)):
        raise ValidationError({"captured_at": problem}, code="out_of_range")

    spool = _spool(file, expected=expected)
    created_name = None
    try:
        evidence.sha256, evidence.size, evidence.content_type = spool.sha256, spool.size, spool.filetype.mime
        created_name = _store_or_link(evidence, spool)
        linked = evidence.first_copy is not None
        record_custody(
            evidence, CustodyKind.LINKED if linked else CustodyKind.UPLOADED, actor=actor, request_meta=request_meta,
            data={"size": spool.size, "content_type": spool.filetype.mime, "original_name": original_name,
                  **({"first_copy": evidence.first_copy_id} if linked else {})},
        )
        record_event(
            case, EventKind.EVIDENCE_ADDED, actor=actor, visibility=visibility, note=evidence.description,
            data={"evidence_id": evidence.pk, "kind": kind, "content_type": spool.filetype.mime, "size": spool.size,
                  "sha256": spool.sha256},
        )
        hashing.schedule_hashing(evidence)  # PDQ hash and re-upload matching, after the commit
    except BaseException:
        if created_name:
            evidence_storage().delete(created_name)
        raise
    finally:
        _remove(spool.path)
    return evidence


def _upload_terms(actor, case: Case, kind: str, visibility: str) -> tuple[str, str]:
    """The kind and visibility the upload gets, or PermissionDenied."""
    if has_role(actor, *MINISTRY_WRITERS):
        return kind, visibility
    if not is_ministry(actor) and Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        # A platform's upload is its response, and the ministry must see it shared with the platform.
        return EvidenceKind.PLATFORM_RESPONSE, Visibility.SHARED
    raise PermissionDenied(_("You may not add evidence to this case."))


def clean_original_name(name: str) -> str:
    """The uploader's file name, kept for display only: its last path component, without control characters.

    A name that tries to climb out of a folder (`../../etc/passwd`) is refused outright: no honest client
    sends one, and the message tells the caller what was wrong.
    """
    parts = [p for p in name.replace("\\", "/").split("/") if p]
    if ".." in parts:
        raise ValidationError(
            _("The file name “%(name)s” contains a path (“..”). Upload the file under its plain name.")
            % {"name": name.translate(_CONTROL_CHARS)[:200]},
            code="path_in_name",
        )
    base = (parts[-1] if parts else "").translate(_CONTROL_CHARS).strip()
    if base in {"", "."}:
        raise ValidationError(_("The file has no name."), code="no_name")
    if len(base) > 255:
        suffix = PurePosixPath(base).suffix[:20]
        base = base[: 255 - len(suffix)] + suffix
    return base


def _spool(file, *, expected: filetypes.FileType) -> _Spool:
    """Stream `file` to a spool file, hashing, measuring and inspecting it on the way."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    declared = getattr(file, "size", None)
    if isinstance(declared, int):
        _check_size(declared, limit)
    inspector = filetypes.ContentInspector(expected)
    digest = hashlib.sha256()
    size = 0
    fd, path = new_spool_file()
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in file.chunks(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(
                        _("The file is larger than %(limit)s, the limit.") % {"limit": format_size(limit)},
                        code="too_large",
                    )
                inspector.feed(chunk)
                digest.update(chunk)
                out.write(chunk)
        _check_size(size, limit)
        filetype = inspector.finish()
        filetypes.check_structure(path, filetype)
    except BaseException:
        _remove(path)
        raise
    return _Spool(path=path, sha256=digest.hexdigest(), size=size, filetype=filetype)


def _check_size(size: int, limit: int) -> None:
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": format_size(size), "limit": format_size(limit)},
            code="too_large",
        )


def _store_or_link(evidence: Evidence, spool: _Spool) -> str | None:
    """Save the row, linked to an earlier identical file or with a newly stored one (whose name is returned)."""
    for _attempt in range(2):
        first = _first_copy(spool.sha256)
        if first is not None:
            evidence.first_copy, evidence.file.name = first, first.file.name
            evidence.save()
            return None
        name = _store(spool)
        evidence.file.name = name
        try:
            with transaction.atomic():
                evidence.save()
        except IntegrityError:
            # An identical upload committed first (the one-first-copy constraint): link to it instead.
            evidence_storage().delete(name)
            evidence.pk = None
            continue
        except BaseException:
            evidence_storage().delete(name)
            raise
        return name
    raise RuntimeError("evidence deduplication did not settle")  # pragma: no cover - needs three racing uploads


def _first_copy(sha256: str) -> Evidence | None:
    return Evidence.objects.filter(sha256=sha256, first_copy__isnull=True).first()


def _store(spool: _Spool) -> str:
    storage = evidence_storage()
    content = SpooledFile(spool.path)
    try:
        return storage.save(stored_name(spool.sha256, spool.filetype.extension), content)
    finally:
        content.close()


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):  # a local store moved it into place
        os.remove(path)


def format_size(size: int) -> str:
    """1536 -> "1.5 KB", 104857600 -> "100 MB": for refusal messages."""
    if size < 1024:
        return _("%(n)d bytes") % {"n": size}
    value, unit = (size / 1024, "KB") if size < 1024 * 1024 else (size / (1024 * 1024), "MB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


# --- withdrawal -----------------------------------------------------------------------------------

@transaction.atomic
def withdraw_evidence(evidence: Evidence, *, actor, reason: str, request_meta: dict | None = None) -> Evidence:
    """Withdraw an item: it stays on the timeline and with the ministry, and disappears for the platform.

    Nothing is deleted (the chain of custody must survive the mistake it corrects).
    """
    require_ministry_writer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"withdrawal_reason": _("Give the reason for withdrawing this evidence.")},
                              code="reason_required")
    locked = Evidence.objects.select_for_update().select_related("case").get(pk=evidence.pk)
    if locked.is_withdrawn:
        raise ValidationError(_("This evidence has already been withdrawn."), code="already_withdrawn")
    locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_reason = clock.now(), actor, reason
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_custody(locked, CustodyKind.WITHDRAWN, actor=actor, request_meta=request_meta, note=reason)
    record_event(locked.case, EventKind.EVIDENCE_WITHDRAWN, actor=actor, visibility=locked.visibility, note=reason,
                 data={"evidence_id": locked.pk, "kind": locked.kind})
    evidence.withdrawn_at, evidence.withdrawn_by, evidence.withdrawal_reason = (
        locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_reason)
    return locked


# --- integrity ------------------------------------------------------------------------------------

def hash_stored_file(name: str, *, keep_open: bool = False, progress=None) -> tuple[str, int, File | None] | None:
    """(sha256, size, handle) of a stored file, or None when it is missing. Reads in chunks.

    With `keep_open`, the handle is returned rewound, so the bytes served are the bytes just hashed.
    """
    storage = evidence_storage()
    if not name or not storage.exists(name):
        return None
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        return None
    digest = hashlib.sha256()
    size = 0
    try:
        for chunk in iter(lambda: handle.read(CHUNK_SIZE), b""):
            digest.update(chunk)
            size += len(chunk)
            if progress is not None:
                progress(len(chunk))
    except BaseException:
        handle.close()
        raise
    if keep_open:
        handle.seek(0)
    else:
        handle.close()
        handle = None
    return digest.hexdigest(), size, handle


def judge(evidence: Evidence, hashed) -> IntegrityResult:
    """Compare what `hash_stored_file` found with what was recorded at upload."""
    expected = {"expected_sha256": evidence.sha256, "expected_size": evidence.size}
    if hashed is None:
        return IntegrityResult(CustodyKind.MISSING, **expected)
    sha256, size = hashed[0], hashed[1]
    kind = CustodyKind.VERIFIED if (sha256, size) == (evidence.sha256, evidence.size) else CustodyKind.MISMATCH
    return IntegrityResult(kind, **expected, actual_sha256=sha256, actual_size=size)


def open_for_download(evidence: Evidence, *, actor, request_meta: dict | None = None, keep_open: bool = True):
    """Re-verify the stored file and record the download; return the open, rewound file (or None).

    A missing or altered file is never served: the failure is written to the custody trail (it is an
    alert, committed even though the download is refused) and EvidenceIntegrityError is raised.
    """
    hashed = hash_stored_file(evidence.file.name, keep_open=keep_open)
    result = judge(evidence, hashed)
    handle = hashed[2] if hashed else None
    if not result.ok:
        if handle is not None:
            handle.close()
        record_custody(evidence, result.kind, actor=actor, request_meta=request_meta,
                       note=_("Found on download; the file was not served."), data=result.as_data())
        raise EvidenceIntegrityError(result)
    try:
        record_custody(evidence, CustodyKind.DOWNLOADED, actor=actor, request_meta=request_meta,
                       data={"size": evidence.size})
    except BaseException:
        if handle is not None:
            handle.close()
        raise
    return handle


def verify_stored_files(
    evidence: Iterable[Evidence], *, progress=None
) -> Iterator[tuple[Evidence, IntegrityResult]]:
    """Re-hash each distinct stored file once and record a verification on every item that uses it.

    `evidence` must be ordered by file name (items sharing a file are then adjacent). Yields each item
    with its result, so the caller can report as it goes.
    """
    batch: list[Evidence] = []
    for item in evidence:
        if batch and item.file.name != batch[0].file.name:
            yield from _verify_batch(batch, progress)
            batch = []
        batch.append(item)
    if batch:
        yield from _verify_batch(batch, progress)


def _verify_batch(batch: list[Evidence], progress) -> Iterator[tuple[Evidence, IntegrityResult]]:
    hashed = hash_stored_file(batch[0].file.name, progress=progress)
    results = []
    with transaction.atomic():
        for item in batch:
            result = judge(item, hashed)
            record_custody(item, result.kind, actor=None, note=_("Scheduled integrity check (verify_evidence)."),
                           data=result.as_data())
            results.append((item, result))
    yield from results


# --- orphans --------------------------------------------------------------------------------------

ORPHAN_SAFE_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class Orphan:
    """Bytes with no evidence row: an upload that never finished (`.incoming/...`), or a stored file whose row was
    never committed (the worker died between storing the file and committing its transaction)."""

    name: str  # the storage name, or ".incoming/<file>" for a spool inside EVIDENCE_ROOT
    size: int
    modified: datetime
    kind: str  # "unfinished" or "unrecorded"


def find_orphans(*, older_than: timedelta = ORPHAN_SAFE_AGE) -> list[Orphan]:
    """Every file under the evidence store that no Evidence row references and that is older than `older_than`
    (an upload in progress has files no row references yet: the age keeps them out)."""
    cutoff = clock.now() - older_than
    found: list[Orphan] = []
    incoming = incoming_dir()
    for path in sorted(incoming.iterdir()):
        if path.is_file():
            stat = path.stat()
            modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            if modified <= cutoff:
                found.append(Orphan(f"{INCOMING_DIR}/{path.name}", stat.st_size, modified, "unfinished"))
    storage = evidence_storage()
    batch: list[str] = []
    for name in _stored_names(storage, ""):
        batch.append(name)
        if len(batch) == 1000:
            found.extend(_unrecorded(storage, batch, cutoff))
            batch = []
    found.extend(_unrecorded(storage, batch, cutoff))
    return found


def _stored_names(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        if not folder and sub == INCOMING_DIR:
            continue
        yield from _stored_names(storage, f"{folder}/{sub}" if folder else sub)


def _unrecorded(storage, names: list[str], cutoff: datetime) -> list[Orphan]:
    if not names:
        return []
    known = set(Evidence.objects.filter(file__in=names).values_list("file", flat=True))
    orphans = []
    for name in names:
        if name in known:
            continue
        modified = storage.get_modified_time(name)
        if modified <= cutoff:
            orphans.append(Orphan(name, storage.size(name), modified, "unrecorded"))
    return orphans


def remove_orphan(orphan: Orphan) -> None:
    """Delete one orphan, checking again that no row took it meanwhile; each removal is logged."""
    if orphan.kind == "unfinished":
        _remove(str(incoming_dir() / orphan.name.removeprefix(f"{INCOMING_DIR}/")))
    else:
        if Evidence.objects.filter(file=orphan.name).exists():
            return
        evidence_storage().delete(orphan.name)
    log.warning("removed orphaned evidence bytes: %s (%s, %d bytes, last modified %s)", orphan.name, orphan.kind,
                orphan.size, orphan.modified.isoformat())
