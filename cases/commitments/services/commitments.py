"""The commitment lifecycle: recorded in a meeting, progressed by the platform, judged by the ministry.

One table (`TRANSITIONS`) and one transition function (`transition`), in the idiom of cases/core/lifecycle.py:
each step locks the row, checks state, role and platform, and writes exactly one CommitmentEvent in the hash
chain. Liaisons report progress on, and start, their own platform's commitments; declaring one fulfilled or
overdue is the ministry's call; recording, editing, withdrawing and reopening are the supervisors'. The
deadline sweeper marks commitments past their due date overdue (`sweep_overdue`).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.cases.workflow import TransitionError
from cases.core import clock
from cases.core.choices import CommitmentStatus
from cases.core.lifecycle import SYSTEM, Lifecycle, Step
from cases.core.roles import ADMINISTRATOR, LIAISON, MINISTRY_WRITERS, SUPERVISOR
from cases.models import Commitment, CommitmentEvent, CommitmentUpdate, Meeting, Platform

CS = CommitmentStatus
DECIDERS = frozenset({SUPERVISOR, ADMINISTRATOR})
REPORTERS = MINISTRY_WRITERS | {LIAISON}
LIVE = (CS.OPEN, CS.IN_PROGRESS, CS.OVERDUE)
# What a commitment says, as the ministry records it (`open`, `edit`).
CONTENT_FIELDS = ("meeting", "kind", "text", "text_en", "owner", "owner_name", "due_on", "measured_category",
                  "target_hours", "source")
PROGRESS_FIELDS = ("progress_percent", "evidence_url")


class CommitmentError(TransitionError):
    """A refused commitment step; the API answers 409 (400 when the step's data was invalid)."""


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Meeting | Platform):
        return value.pk
    return value


def _validate_content(commitment: Commitment, data: dict, actor, now) -> dict:
    candidate = Commitment(**{f.attname: getattr(commitment, f.attname) for f in Commitment._meta.concrete_fields})
    platform = data.get("platform")
    if commitment.pk is None:
        if not isinstance(platform, Platform):
            raise CommitmentError(_("Choose the platform."), field_errors={"platform": _("This field is required.")},
                                  code="invalid")
        candidate.platform = platform
    for name in CONTENT_FIELDS:
        if name in data:
            setattr(candidate, name, data[name] if data[name] is not None or name in ("meeting", "due_on",
                                                                                       "target_hours") else "")
    try:
        candidate.full_clean(exclude=["status", "platform"] if commitment.pk else ["status"], validate_unique=False)
    except ValidationError as err:
        errors = {k: " ".join(v) for k, v in err.message_dict.items()}
        raise CommitmentError(" ".join(errors.values()), field_errors=errors, code="invalid") from None
    changes = {}
    for name in CONTENT_FIELDS:
        old, new = getattr(commitment, name, None), getattr(candidate, name)
        if commitment.pk is None or old != new:
            changes[name] = new
    if commitment.pk is None:
        changes["platform"] = candidate.platform
    elif not changes:
        raise CommitmentError(_("Nothing changed."), code="invalid")
    return {"changes": changes}


def _apply_content(commitment: Commitment, cleaned: dict, actor, now) -> dict:
    creating = commitment.pk is None
    data = {}
    for name, value in cleaned["changes"].items():
        if not creating:
            data[name] = [_jsonable(getattr(commitment, name)), _jsonable(value)]
        else:
            data[name] = _jsonable(value)
        setattr(commitment, name, value)
    commitment.updated_at = now
    if creating:
        commitment.created_at = now
        data["platform"] = commitment.platform.slug
    return {"fields": data}


def _validate_progress(commitment: Commitment, data: dict, actor, now) -> dict:
    errors = {}
    percent = data.get("progress_percent")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100):
        errors["progress_percent"] = _("Give a percentage between 0 and 100.")
    url = data.get("evidence_url") or ""
    if url:
        probe = CommitmentUpdate(evidence_url=url)
        try:
            probe.clean_fields(exclude=[f.name for f in CommitmentUpdate._meta.fields if f.name != "evidence_url"])
        except ValidationError as err:
            errors["evidence_url"] = " ".join(err.message_dict.get("evidence_url", err.messages))
    if errors:
        raise CommitmentError(_("The progress report is invalid."), field_errors=errors, code="invalid")
    return {"progress_percent": percent, "evidence_url": url}


def _apply_progress(commitment: Commitment, cleaned: dict, actor, now) -> dict:
    commitment.updated_at = now
    return {k: v for k, v in cleaned.items() if v not in (None, "")}


def _after_progress(commitment: Commitment, cleaned: dict, actor, now, event) -> None:
    """The progress log the consoles show: one entry per reported step (not the system's)."""
    if actor is None or not event.note:
        return
    update = CommitmentUpdate.objects.create(
        commitment=commitment, author=actor, note=event.note,
        status=commitment.status if event.from_status != event.to_status else "",
        progress_percent=cleaned.get("progress_percent"), evidence_url=cleaned.get("evidence_url") or "",
        created_at=now,
    )
    commitment.step_result = update


def _apply_status(commitment: Commitment, cleaned: dict, actor, now) -> dict:
    commitment.updated_at = now
    return {k: v for k, v in (cleaned or {}).items() if v not in (None, "")}


def _noun(commitment: Commitment) -> str:
    if not commitment.pk:
        return _("The commitment")
    return _("The commitment “%(text)s”") % {"text": (commitment.text_en or commitment.text)[:60]}


TRANSITIONS = (
    Step("open", (), CS.OPEN, DECIDERS, gettext_lazy("Record the commitment"), gettext_lazy("recorded"),
         fields=("platform", *CONTENT_FIELDS), creates=True, validate=_validate_content, apply=_apply_content),
    Step("edit", LIVE, None, DECIDERS, gettext_lazy("Edit"), gettext_lazy("edited"), fields=CONTENT_FIELDS,
         validate=_validate_content, apply=_apply_content),
    Step("progress", LIVE, None, REPORTERS, gettext_lazy("Report progress"), gettext_lazy("reported on"),
         fields=PROGRESS_FIELDS, note_required=True, validate=_validate_progress, apply=_apply_progress,
         after=_after_progress),
    Step("start", (CS.OPEN,), CS.IN_PROGRESS, REPORTERS, gettext_lazy("Start"), gettext_lazy("started"),
         fields=PROGRESS_FIELDS, note_required=True, validate=_validate_progress, apply=_apply_status,
         after=_after_progress),
    Step("fulfil", LIVE, CS.FULFILLED, MINISTRY_WRITERS, gettext_lazy("Declare fulfilled"),
         gettext_lazy("declared fulfilled"), fields=PROGRESS_FIELDS, note_required=True,
         validate=_validate_progress, apply=_apply_status, after=_after_progress),
    Step("mark_overdue", (CS.OPEN, CS.IN_PROGRESS), CS.OVERDUE, MINISTRY_WRITERS | {SYSTEM},
         gettext_lazy("Mark overdue"), gettext_lazy("marked overdue"), fields=PROGRESS_FIELDS,
         validate=_validate_progress, apply=_apply_status, after=_after_progress),
    Step("withdraw", LIVE, CS.WITHDRAWN, DECIDERS, gettext_lazy("Withdraw"), gettext_lazy("withdrawn"),
         fields=PROGRESS_FIELDS, note_required=True, validate=_validate_progress, apply=_apply_status,
         after=_after_progress),
    Step("reopen", (CS.FULFILLED, CS.WITHDRAWN, CS.OVERDUE), CS.OPEN, DECIDERS, gettext_lazy("Reopen"),
         gettext_lazy("reopened"), fields=PROGRESS_FIELDS, note_required=True, validate=_validate_progress,
         apply=_apply_status, after=_after_progress),
)

LIFECYCLE = Lifecycle(model=Commitment, event_model=CommitmentEvent, subject="commitment", error=CommitmentError,
                      steps=TRANSITIONS, noun=_noun, status_label=lambda s: CommitmentStatus(s).label)
STEPS = LIFECYCLE.steps
# The status a progress form asks for -> the step that reaches it.
STEP_FOR_STATUS = {CS.IN_PROGRESS: "start", CS.FULFILLED: "fulfil", CS.OVERDUE: "mark_overdue",
                   CS.WITHDRAWN: "withdraw", CS.OPEN: "reopen"}


def transition(commitment: Commitment, action: str, *, actor, note: str = "", **data) -> Commitment:
    """The one writer of a commitment's status and content: apply `action` as `actor` (None: the system),
    writing one CommitmentEvent in the same transaction. Raises CommitmentError if refused."""
    return LIFECYCLE.run(commitment, action, actor=actor, note=note, **data)


def available_steps(commitment: Commitment, actor) -> list[Step]:
    return LIFECYCLE.available(commitment, actor)


def open_commitment(*, actor, platform: Platform, **fields) -> Commitment:
    return transition(Commitment(), "open", actor=actor, platform=platform, **fields)


def post_update(commitment: Commitment, *, actor, note: str, status: str = "", progress_percent: int | None = None,
                evidence_url: str = "") -> CommitmentUpdate | None:
    """A progress report from a console or the API: the step the requested status calls for (none: `progress`).

    Returns the progress entry it wrote. The step is chosen from the commitment's current status; the
    transition re-checks it on the locked row.
    """
    if status and status not in CommitmentStatus.values:
        raise CommitmentError(_("Unknown status."), field_errors={"status": _("Unknown status.")}, code="invalid")
    fresh_status = Commitment.objects.filter(pk=commitment.pk).values_list("status", flat=True).first()
    action = "progress" if not status or status == fresh_status else STEP_FOR_STATUS[status]
    done = transition(commitment, action, actor=actor, note=note, progress_percent=progress_percent,
                      evidence_url=evidence_url)
    return done.step_result


def sweep_overdue(today: date | None = None) -> list[int]:
    """Mark every open or started commitment past its due date overdue (the deadline sweeper)."""
    today = today or timezone.localdate(clock.now())
    marked = []
    for commitment in Commitment.objects.filter(status__in=(CS.OPEN, CS.IN_PROGRESS), due_on__lt=today):
        try:
            transition(commitment, "mark_overdue", actor=None,
                       note=_("Due on %(day)s; not declared fulfilled.") % {"day": commitment.due_on.isoformat()})
        except CommitmentError:
            continue  # changed meanwhile (fulfilled, withdrawn)
        marked.append(commitment.pk)
    return marked
