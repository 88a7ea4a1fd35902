"""Progress on commitments: liaisons report on their own platform's, the ministry on any."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases import clock
from cases.choices import CommitmentStatus
from cases.models import Commitment, CommitmentUpdate
from cases.roles import MINISTRY_WRITERS, has_role, liaison_platform_ids

# A liaison reports progress; declaring a commitment fulfilled or withdrawn is the ministry's call.
LIAISON_STATUSES = (CommitmentStatus.IN_PROGRESS, CommitmentStatus.OPEN)


@transaction.atomic
def post_update(
    commitment: Commitment,
    *,
    actor,
    note: str,
    status: str = "",
    progress_percent: int | None = None,
    evidence_url: str = "",
) -> CommitmentUpdate:
    ministry = has_role(actor, *MINISTRY_WRITERS)
    if not ministry and commitment.platform_id not in liaison_platform_ids(actor):
        raise PermissionDenied(_("You cannot update this commitment."))
    # Decide on the current row, not the caller's copy: the ministry may have just changed its status.
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = _("Describe the progress.")
    if status and status not in CommitmentStatus.values:
        errors["status"] = _("Unknown status.")
    elif status and not ministry and (status not in LIAISON_STATUSES or commitment.status not in LIAISON_STATUSES):
        errors["status"] = _("Only the ministry can set this commitment's status now (it is %(current)s).") % {
            "current": CommitmentStatus(commitment.status).label.lower()}
    if progress_percent is not None and not 0 <= progress_percent <= 100:
        errors["progress_percent"] = _("Give a percentage between 0 and 100.")
    if errors:
        raise ValidationError(errors)
    locked = commitment
    now = clock.now()
    update = CommitmentUpdate(commitment=locked, author=actor, note=note, status=status or "",
                              progress_percent=progress_percent, evidence_url=evidence_url or "", created_at=now)
    update.full_clean()
    update.save()
    if status and status != locked.status:
        locked.status = status
    locked.updated_at = now
    locked.save(update_fields=["status", "updated_at"])
    return update
