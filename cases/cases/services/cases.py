"""Creating and editing cases. Status changes are not here: they belong to `cases.cases.workflow`."""

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.cases.models.cases import duplicate_message
from cases.core import clock
from cases.core.choices import CaseStatus, EventKind, RequestedAction, Source, Visibility
from cases.core.recorders.bulk import insert_many
from cases.core.recorders.deadlines import default_tier
from cases.core.recorders.events import actor_name, record_event
from cases.core.recorders.references import allocate_references
from cases.core.roles import MINISTRY_WRITERS, has_role, is_ministry, roles_of
from cases.models import Case, CaseEvent, Platform

# Fields the ministry may edit while a case is still a draft.
EDITABLE_FIELDS = (
    "platform", "category", "tier", "location_url", "handle", "native_id", "legal_basis", "reasons",
    "requested_action", "source", "source_detail", "issuing_authority", "redress",
)


class StaleEdit(ValidationError):
    """The case changed after the editor loaded it."""


class DuplicateOpenCase(ValidationError):
    """Creation refused only because an open case (`existing`) already holds this location on this platform."""

    def __init__(self, existing: Case):
        super().__init__({NON_FIELD_ERRORS: [ValidationError(duplicate_message(existing),
                                                             code="duplicate_open_case")]})
        self.existing = existing
        self.code = "duplicate_open_case"


def require_ministry_writer(actor) -> None:
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only ministry analysts, supervisors and administrators may do this."))


def build_case(
    *,
    actor,
    now,
    platform: Platform,
    category: str,
    legal_basis: str,
    reasons: str,
    location_url: str = "",
    handle: str = "",
    native_id: str = "",
    tier: str = "",
    requested_action: str = RequestedAction.REMOVE,
    source: str = Source.MINISTRY,
    source_detail: str = "",
    assigned_to=None,
    tier_for: Callable[[str], str] = default_tier,
) -> Case:
    """An unsaved draft with the caller's text tidied: the one recipe for single and bulk creation.

    `tier_for` gives the category's default tier; bulk intake passes a cached one (one query per category).
    """
    return Case(
        platform=platform, category=category, tier=tier or tier_for(category),
        location_url=(location_url or "").strip(), handle=(handle or "").strip(), native_id=(native_id or "").strip(),
        legal_basis=(legal_basis or "").strip(), reasons=(reasons or "").strip(),
        requested_action=requested_action, source=source, source_detail=source_detail or "",
        assigned_to=assigned_to, created_by=actor, created_at=now, updated_at=now,
    )


# Not re-validated per item in bulk: related rows resolved once per batch, and the fields this module sets.
BULK_UNCHECKED_FIELDS = ["reference", "platform", "created_by", "assigned_to"] + [
    f.name for f in Case._meta.concrete_fields
    if not f.editable and f.name not in ("reference", "normalized_location", "created_by")
]


def nul_errors(obj) -> dict[str, list[str]]:
    """Text fields of `obj` holding a NUL character, which PostgreSQL cannot store."""
    return {
        f.name: [_("Remove the NUL character (\\x00) from this text.")]
        for f in obj._meta.concrete_fields
        if isinstance(getattr(obj, f.attname, None), str) and "\x00" in getattr(obj, f.attname)
    }


def clean_new_case(case: Case, *, in_bulk: bool = False) -> None:
    """The validation every new case passes (no NUL in any text; fields, choices, a location; no open duplicate).

    In bulk, the related rows were resolved once for the batch and duplicates are checked in one query
    for the batch (`create_cases_bulk`), so the per-row lookups are skipped, and so are the fields this
    service sets itself (status, timestamps, counters); every field the caller gives is judged the same.
    Single creation raises `DuplicateOpenCase` when an open duplicate is the only problem.
    """
    nul = nul_errors(case)
    if nul:
        raise ValidationError(nul)  # before any value can reach the database
    if in_bulk:
        case.full_clean(exclude=BULK_UNCHECKED_FIELDS, validate_constraints=False)
        return
    try:
        case.full_clean(exclude=["reference"])
    except ValidationError as err:
        # Only a case-wide error (the fields are fine): is it that an open case holds this location?
        duplicate = case.open_duplicate() if set(getattr(err, "error_dict", {})) == {NON_FIELD_ERRORS} else None
        if duplicate is not None:
            raise DuplicateOpenCase(duplicate) from None
        raise


@transaction.atomic
def create_case(
    *,
    actor,
    platform: Platform,
    category: str,
    legal_basis: str,
    reasons: str,
    location_url: str = "",
    handle: str = "",
    native_id: str = "",
    tier: str = "",
    requested_action: str = RequestedAction.REMOVE,
    source: str = Source.MINISTRY,
    source_detail: str = "",
    assigned_to=None,
    submit: bool = False,
    note: str = "",
) -> Case:
    """Open a case (a draft, or submitted at once). Raises ValidationError; `DuplicateOpenCase` (one) names
    the open case already holding this location."""
    require_ministry_writer(actor)
    if assigned_to is not None and not is_ministry(assigned_to):
        raise ValidationError({"assigned_to": _("Cases can only be assigned to ministry staff.")})
    now = clock.now()
    case = build_case(
        actor=actor, now=now, platform=platform, category=category, legal_basis=legal_basis, reasons=reasons,
        location_url=location_url, handle=handle, native_id=native_id, tier=tier,
        requested_action=requested_action, source=source, source_detail=source_detail, assigned_to=assigned_to,
    )
    clean_new_case(case)
    case.reference = allocate_references(1)[0]
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another writer opened the same location between our check and our insert.
        duplicate = case.open_duplicate()
        if duplicate is None:
            raise
        raise DuplicateOpenCase(duplicate) from None
    record_event(case, EventKind.CREATED, actor=actor, to_status=CaseStatus.DRAFT, visibility=Visibility.INTERNAL,
                 data={"source": source})
    if submit:
        from cases.cases.workflow import transition

        transition(case, "submit", actor=actor, note=note)
    return case


# --- bulk intake ----------------------------------------------------------------------------------------

MAX_BULK_ITEMS = 1000
# What an item may carry: `build_case`'s fields (the batch supplies the actor, the time and the tier lookup).
BULK_ITEM_FIELDS = frozenset(inspect.signature(build_case).parameters) - {"actor", "now", "tier_for"}
BULK_REQUIRED_FIELDS = frozenset(
    n for n, p in inspect.signature(build_case).parameters.items()
    if p.default is inspect.Parameter.empty and n in BULK_ITEM_FIELDS
)


class BulkOutcome:
    CREATED = "created"
    DUPLICATE = "duplicate"
    INVALID = "invalid"


@dataclass
class BulkItemResult:
    """What became of one item of a batch, in the batch's order."""

    index: int
    outcome: str
    case: Case | None = None  # the created case
    reference: str = ""  # the created case, or the open case it duplicates
    duplicate_of_index: int | None = None  # a duplicate of an earlier item of the same batch
    errors: dict[str, list[str]] = field(default_factory=dict)


@transaction.atomic
def create_cases_bulk(*, actor, items: Sequence[dict], submit: bool = False, note: str = "") -> list[BulkItemResult]:
    """Open many cases at once, each item judged on its own: created, duplicate or invalid.

    Each item takes `create_case`'s keyword arguments (`platform` a Platform). The rules are the same:
    every item goes through `build_case` and `clean_new_case`, and submitting goes through
    `cases.cases.workflow.prepare_submission`, the bulk form of `transition(case, "submit")`, before the rows
    are written, so each is written once.

    Why a bulk path: the crawler sends thousands of items a day. Here references come in one block,
    duplicates (against open cases and within the batch) are found in one query, and cases and their
    events are inserted with `bulk_create`. If a concurrent writer opens the same location first (the
    partial unique index refuses our insert), the batch falls back to one insert per item, so the
    collision becomes a `duplicate` result, not an error.
    """
    require_ministry_writer(actor)
    if len(items) > MAX_BULK_ITEMS:
        raise ValidationError(
            _("A batch holds at most %(max)d items; this one has %(n)d. Split it.") % {"max": MAX_BULK_ITEMS,
                                                                                       "n": len(items)},
            code="too_many_items",
        )
    now = clock.now()
    tier_for = functools.cache(default_tier)
    results: list[BulkItemResult] = []
    candidates: list[tuple[BulkItemResult, Case]] = []
    # 1. Build and validate each item on its own.
    for index, item in enumerate(items):
        result = BulkItemResult(index=index, outcome=BulkOutcome.INVALID)
        results.append(result)
        fields = {k: v for k, v in item.items() if k not in ("submit", "note")}
        unknown = sorted(set(fields) - BULK_ITEM_FIELDS)
        missing = sorted(BULK_REQUIRED_FIELDS - set(fields))
        if unknown or missing or not isinstance(fields.get("platform"), Platform):
            result.errors = {**{f: [_("Unknown field.")] for f in unknown},
                             **{f: [_("This field is required.")] for f in missing}}
            if "platform" in fields and not isinstance(fields["platform"], Platform):
                result.errors["platform"] = [_("Choose a platform.")]
            continue
        try:
            case = build_case(actor=actor, now=now, tier_for=tier_for, **fields)
            clean_new_case(case, in_bulk=True)
        except ValidationError as err:
            result.errors = _error_dict(err)
            continue
        candidates.append((result, case))
    # 2. Duplicates within the batch (the first occurrence wins) and against open cases, in one query.
    first_seen: dict[tuple[int, str], BulkItemResult] = {}
    unique: list[tuple[BulkItemResult, Case]] = []
    for result, case in candidates:
        key = (case.platform_id, case.normalized_location)
        if key in first_seen:
            result.outcome, result.duplicate_of_index = BulkOutcome.DUPLICATE, first_seen[key].index
            continue
        first_seen[key] = result
        unique.append((result, case))
    existing = {
        (pid, loc): ref
        for pid, loc, ref in Case.objects.open()
        .filter(platform_id__in={c.platform_id for _r, c in unique},
                normalized_location__in={c.normalized_location for _r, c in unique})
        .values_list("platform_id", "normalized_location", "reference")
    } if unique else {}
    fresh: list[tuple[BulkItemResult, Case]] = []
    for result, case in unique:
        ref = existing.get((case.platform_id, case.normalized_location))
        if ref is not None:
            result.outcome, result.reference = BulkOutcome.DUPLICATE, ref
        else:
            fresh.append((result, case))
    # 3. References in one block; if submitting, the submission stamped in memory (the rules of the submit
    #    transition, `cases.cases.workflow.prepare_submission`), so each row is written once; then the rows.
    for (_result, case), reference in zip(fresh, allocate_references(len(fresh)), strict=True):
        case.reference = reference
    submission = None
    if submit and fresh:
        from cases.cases.workflow import prepare_submission

        submission = prepare_submission([case for _result, case in fresh], actor=actor, note=note)
    created = _insert_cases(fresh)
    for result, case in fresh:
        if result.outcome == BulkOutcome.CREATED:
            result.reference, result.case = case.reference, case
    # 4. Within-batch duplicates point at the case their first occurrence became.
    for result in results:
        if result.duplicate_of_index is not None:
            result.reference = results[result.duplicate_of_index].reference
    # 5. The CREATED events; with a submission, its SUBMITTED events and notices too.
    name = actor_name(actor)
    created_events = [
        {"case_id": case.pk, "kind": EventKind.CREATED, "actor_id": actor.pk, "actor_name": name,
         "from_status": "", "to_status": CaseStatus.DRAFT, "note": "", "visibility": Visibility.INTERNAL,
         "created_at": now, "data": {"source": case.source}}
        for case in created
    ]
    if submission is not None:
        submission.record(before=created_events)
    else:
        insert_many(CaseEvent, created_events)
    return results


def _insert_cases(fresh: list[tuple[BulkItemResult, Case]]) -> list[Case]:
    """Insert the batch in one statement; on a concurrent duplicate, one by one. Sets each result's outcome."""
    cases = [case for _result, case in fresh]
    try:
        with transaction.atomic():
            insert_many(Case, cases, with_ids=True)
    except IntegrityError:
        for case in cases:
            case.pk = None
            case._state.adding = True
    else:
        for result, _case in fresh:
            result.outcome = BulkOutcome.CREATED
        return cases
    created = []
    for result, case in fresh:
        try:
            with transaction.atomic():
                case.save(force_insert=True)
        except IntegrityError:
            duplicate = case.open_duplicate()
            if duplicate is None:
                raise
            case.pk = None
            result.outcome, result.reference = BulkOutcome.DUPLICATE, duplicate.reference
            continue
        result.outcome = BulkOutcome.CREATED
        created.append(case)
    return created


def _error_dict(err: ValidationError) -> dict[str, list[str]]:
    if hasattr(err, "error_dict"):
        return {k: [str(m) for m in v] for k, v in err.message_dict.items()}
    return {NON_FIELD_ERRORS: [str(m) for m in err.messages]}


@transaction.atomic
def update_case(case: Case, *, actor, expected_version: int, **changes) -> Case:
    """Edit a draft's fields. Refuses if someone else changed the case since `expected_version`."""
    require_ministry_writer(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: _("This field cannot be edited.") for f in sorted(unknown)})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.version != expected_version:
        raise StaleEdit(
            _("Case %(ref)s was changed by someone else since you opened it. Reload it and make your edit again.")
            % {"ref": locked.reference},
            code="stale",
        )
    if locked.status != CaseStatus.DRAFT:
        raise ValidationError(
            _("Case %(ref)s has been submitted; its order can no longer be edited. Withdraw it and open a new case.")
            % {"ref": locked.reference}
        )
    before = {}
    for name, value in changes.items():
        old = getattr(locked, name)
        if old != value:
            before[name] = str(getattr(old, "pk", old))
            setattr(locked, name, value)
    if not before:
        return locked
    locked.full_clean(exclude=["reference"])
    locked.version += 1
    locked.updated_at = clock.now()
    locked.save()
    record_event(locked, EventKind.EDITED, actor=actor, visibility=Visibility.INTERNAL,
                 data={"changed": sorted(before), "before": before})
    return locked


@transaction.atomic
def assign_case(case: Case, *, actor, assignee) -> Case:
    require_ministry_writer(actor)
    if assignee is not None and not is_ministry(assignee):
        raise ValidationError(_("Cases can only be assigned to ministry staff."))
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.assigned_to_id == getattr(assignee, "pk", None):
        return locked
    Case.objects.filter(pk=locked.pk).update(assigned_to=assignee, version=locked.version + 1, updated_at=clock.now())
    locked.refresh_from_db()
    record_event(locked, EventKind.ASSIGNED, actor=actor, visibility=Visibility.INTERNAL,
                 data={"assignee": getattr(assignee, "username", None)})
    return locked


@transaction.atomic
def add_comment(case: Case, *, actor, text: str, visibility: str = Visibility.INTERNAL):
    """A comment on the timeline. Liaisons' comments are always shared; they cannot write internal notes."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write a comment.")})
    roles = roles_of(actor)
    if is_ministry(actor):
        if not roles & MINISTRY_WRITERS:
            raise PermissionDenied(_("Auditors read; they do not comment."))
    elif Case.objects.visible_to(actor).filter(pk=case.pk).exists():
        visibility = Visibility.SHARED  # a liaison's comment always reaches the ministry and the platform
    else:
        raise PermissionDenied(_("You cannot comment on this case."))
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose internal or shared.")})
    return record_event(case, EventKind.COMMENT, actor=actor, note=text, visibility=visibility)
