"""Creating and editing cases. Status changes are not here: they belong to `cases.workflow`."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases import clock
from cases.choices import CaseStatus, EventKind, RequestedAction, Source, Visibility
from cases.models import Case, Platform
from cases.models.cases import duplicate_message
from cases.roles import MINISTRY_WRITERS, has_role, is_ministry, liaison_platform_ids, roles_of
from cases.services.deadlines import default_tier
from cases.services.events import record_event
from cases.services.references import allocate_references

# Fields the ministry may edit while a case is still a draft.
EDITABLE_FIELDS = (
    "platform", "category", "tier", "location_url", "handle", "native_id", "legal_basis", "reasons",
    "requested_action", "source", "source_detail", "issuing_authority", "redress",
)


class StaleEdit(ValidationError):
    """The case changed after the editor loaded it."""


def require_ministry_writer(actor) -> None:
    if not has_role(actor, *MINISTRY_WRITERS):
        raise PermissionDenied(_("Only ministry analysts, supervisors and administrators may do this."))


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
    """Open a case (a draft, or submitted at once). Raises ValidationError naming an open duplicate."""
    require_ministry_writer(actor)
    now = clock.now()
    case = Case(
        platform=platform, category=category, tier=tier or default_tier(category),
        location_url=(location_url or "").strip(), handle=(handle or "").strip(), native_id=(native_id or "").strip(),
        legal_basis=(legal_basis or "").strip(), reasons=(reasons or "").strip(),
        requested_action=requested_action, source=source, source_detail=source_detail or "",
        assigned_to=assigned_to, created_by=actor, created_at=now, updated_at=now,
    )
    case.full_clean(exclude=["reference"])
    case.reference = allocate_references(1)[0]
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        # Another writer opened the same location between our check and our insert.
        duplicate = case.open_duplicate()
        if duplicate is None:
            raise
        raise ValidationError({NON_FIELD_ERRORS: [duplicate_message(duplicate)]}, code="duplicate_open_case") from None
    record_event(case, EventKind.CREATED, actor=actor, to_status=CaseStatus.DRAFT, visibility=Visibility.INTERNAL,
                 data={"source": source})
    if submit:
        from cases.workflow import transition

        transition(case, "submit", actor=actor, note=note)
    return case


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
    elif case.platform_id in liaison_platform_ids(actor) and case.status != CaseStatus.DRAFT:
        visibility = Visibility.SHARED
    else:
        raise PermissionDenied(_("You cannot comment on this case."))
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose internal or shared.")})
    return record_event(case, EventKind.COMMENT, actor=actor, note=text, visibility=visibility)
