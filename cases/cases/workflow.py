"""The case lifecycle: one table of transitions and one function that applies them.

Everything that changes a case's status (both consoles, the API, management commands, the demo) calls
`transition()`. It locks the row, re-checks the from-state, the actor's role and platform, validates
the data, stamps the timestamps and deadline, and writes exactly one event, all in one transaction.
A refusal raises `TransitionError` and changes nothing.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from cases.core import clock, display
from cases.core.choices import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionTaken,
    CaseStatus,
    CycleOutcome,
    EventKind,
    ObjectionReason,
    Visibility,
)
from cases.core.recorders.bulk import insert_many
from cases.core.recorders.deadlines import Window, deadline_window, resume_after_objection
from cases.core.recorders.events import actor_name, record_event
from cases.core.recorders.notifications import queue_case_submitted, queue_cases_submitted
from cases.core.recorders.rollups import record_changes, snapshot
from cases.core.roles import ADMINISTRATOR, ANALYST, LIAISON, ROLE_LABELS, SUPERVISOR, liaison_platform_ids, roles_of
from cases.models import Case, CaseEvent, DeadlineOverride, SubmissionCycle

# A platform's clock may run a little ahead of ours; a reported time this far "in the future" is accepted.
CLOCK_SKEW = timedelta(minutes=2)

S = CaseStatus
MINISTRY_OPERATORS = frozenset({ANALYST, SUPERVISOR, ADMINISTRATOR})
DECIDERS = frozenset({SUPERVISOR, ADMINISTRATOR})
PLATFORM = frozenset({LIAISON})


class TransitionError(Exception):
    """A refused transition. `message` is for a person; `field_errors` maps a data field to its problem."""

    def __init__(self, message, *, field_errors: dict | None = None, code: str = "refused"):
        super().__init__(str(message))
        self.message = str(message)
        self.field_errors = {k: str(v) for k, v in (field_errors or {}).items()}
        self.code = code


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    event: str
    label: object  # the button text
    verb: object  # "it cannot be <verb>"
    fields: tuple[str, ...] = ()  # data fields accepted besides `note`
    note_required: bool = False
    new_deadline: bool = False  # opens a new submission cycle (the first submission, a reopening)
    # Runs after validation with (case, its current cycle, cleaned data, now); sets the action's own fields on
    # both and returns the event's data.
    apply: Callable | None = field(default=None, compare=False)
    validate: Callable | None = field(default=None, compare=False)


# --- per-action validation and effects -------------------------------------------------------------


def _parse_time(value) -> datetime | None:
    """An ISO 8601 date and time, or None if `value` is not one (also for impossible ones: 30 February)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:  # well formed, but no such date or time
            return None
    else:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _validate_report_action(case: Case, data: dict, now: datetime) -> dict:
    errors = {}
    action_taken = data.get("action_taken")
    if action_taken not in ActionTaken.values:
        errors["action_taken"] = _("Choose what the platform did: %(choices)s.") % {
            "choices": ", ".join(ActionTaken.values)
        }
    raw_time = data.get("action_taken_at")
    taken_at = _parse_time(raw_time)
    if raw_time in (None, ""):
        errors["action_taken_at"] = _("Say when the action was taken.")
    elif taken_at is None:
        errors["action_taken_at"] = _("Give the time as an ISO 8601 date and time, e.g. 2026-03-01T14:30+07:00.")
    elif taken_at > now + CLOCK_SKEW:
        errors["action_taken_at"] = _("The action time may not be in the future.")
    elif case.submitted_at and taken_at < case.submitted_at.replace(second=0, microsecond=0):
        # Compared to the minute: forms give minutes, and "now" may round to before a submission this minute.
        errors["action_taken_at"] = _("The action time may not be before the case was submitted (%(at)s).") % {
            "at": display.when(case.submitted_at)
        }
    if errors:
        raise TransitionError(_("The action report is incomplete or invalid."), field_errors=errors, code="invalid")
    return {"action_taken": action_taken, "action_taken_at": taken_at}


def _apply_report_action(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    case.action_taken = cleaned["action_taken"]
    case.action_taken_at = cleaned["action_taken_at"]
    case.actioned_at = now
    # Late: reported after the deadline in force, or after a deadline this cycle already missed.
    case.is_late = bool((case.due_at and now > case.due_at) or case.overdue_at)
    cycle.action_taken, cycle.action_taken_at = case.action_taken, case.action_taken_at
    cycle.actioned_at, cycle.is_late = now, case.is_late
    return {
        "action_taken": cleaned["action_taken"],
        "action_taken_at": cleaned["action_taken_at"].isoformat(),
        "late": case.is_late,
    }


def _validate_object(case: Case, data: dict, now: datetime) -> dict:
    errors = {}
    reason = data.get("reason")
    if reason not in ObjectionReason.values:
        errors["reason"] = _("Choose a reason: %(choices)s.") % {"choices": ", ".join(ObjectionReason.values)}
    text = data.get("text")
    if text is not None and not isinstance(text, str):
        errors["text"] = _("Write the objection as text.")
    elif not (text or "").strip():
        errors["text"] = _("Explain the objection.")
    else:
        text = text.strip()
    if errors:
        raise TransitionError(_("The objection is incomplete."), field_errors=errors, code="invalid")
    return {"reason": reason, "text": text}


def _apply_object(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    """The clock stops. An objection lodged after the deadline leaves the deadline missed."""
    case.objected_at = now
    case.objection_reason = cleaned["reason"]
    case.objection_text = cleaned["text"]
    minutes_left = int((cycle.due_at - now).total_seconds() // 60)
    cycle.objected_at, cycle.objection_pending = now, True
    cycle.objections = [*cycle.objections, {"lodged_at": now.isoformat(), "reason": cleaned["reason"],
                                            "minutes_left": minutes_left, "in_time": now <= cycle.due_at}]
    return {"reason": cleaned["reason"], "text": cleaned["text"], "minutes_left": minutes_left,
            "in_time": now <= cycle.due_at}


def _decide_objection(cycle: SubmissionCycle, now: datetime, outcome: str, **extra) -> None:
    if cycle.objection_pending:
        cycle.objection_pending = False
        last = {**cycle.objections[-1], "decided_at": now.isoformat(), "outcome": outcome, **extra}
        cycle.objections = [*cycle.objections[:-1], last]


def _apply_reject_objection(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    """The clock resumes with the time that was left (or a fresh window, if the cycle's policy says so)."""
    lodged = parse_datetime(cycle.objections[-1]["lodged_at"])
    resumed = resume_after_objection(due_at=cycle.due_at, lodged_at=lodged, decided_at=now,
                                     hours=cycle.deadline_hours, rule=cycle.objection_rule)
    previous = cycle.due_at
    cycle.due_at = case.due_at = resumed.due_at
    _decide_objection(cycle, now, "rejected", resumed=resumed.how, due_at=resumed.due_at.isoformat())
    return {"previous_due_at": previous.isoformat(), "due_at": resumed.due_at.isoformat(),
            "resumed": resumed.how, "minutes_left": resumed.minutes_left, "objection_rule": cycle.objection_rule}


def _apply_acknowledge(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    case.acknowledged_at = cycle.acknowledged_at = now
    return {}


def _close_cycle(cycle: SubmissionCycle, outcome: str, now: datetime) -> None:
    cycle.outcome, cycle.closed_at = outcome, now


def _apply_verify(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    case.verified_at = now
    case.closed_at = now
    _close_cycle(cycle, CycleOutcome.VERIFIED, now)
    return {}


def _apply_withdraw(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    case.withdrawn_at = now
    case.closed_at = now
    if cycle is not None:  # a draft has no cycle
        _decide_objection(cycle, now, "withdrawn")
        _close_cycle(cycle, CycleOutcome.WITHDRAWN, now)
    return {}


def _apply_uphold(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    case.withdrawn_at = now
    case.closed_at = now
    _decide_objection(cycle, now, "upheld")
    _close_cycle(cycle, CycleOutcome.UPHELD, now)
    return {}


def _apply_reopen(case: Case, cycle: SubmissionCycle, cleaned: dict, now: datetime) -> dict:
    """The cycle whose action did not work ends as it was; `_start_clock` opens the next one."""
    previous = {
        "previous_action_taken": case.action_taken,
        "previous_actioned_at": case.actioned_at.isoformat() if case.actioned_at else None,
        "previous_late": case.is_late,
    }
    _close_cycle(cycle, CycleOutcome.REOPENED, now)
    case.action_taken = ""
    case.action_taken_at = None
    case.actioned_at = None
    case.acknowledged_at = None
    return previous


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            action="submit", sources=(S.DRAFT,), target=S.SUBMITTED, roles=MINISTRY_OPERATORS,
            event=EventKind.SUBMITTED, label=_("Submit to platform"), verb=_("submitted"), new_deadline=True,
        ),
        Transition(
            action="acknowledge", sources=(S.SUBMITTED,), target=S.ACKNOWLEDGED, roles=PLATFORM,
            event=EventKind.ACKNOWLEDGED, label=_("Acknowledge"), verb=_("acknowledged"), apply=_apply_acknowledge,
        ),
        Transition(
            action="report_action", sources=(S.SUBMITTED, S.ACKNOWLEDGED), target=S.ACTIONED, roles=PLATFORM,
            event=EventKind.ACTION_REPORTED, label=_("Report action taken"), verb=_("reported as actioned"),
            fields=("action_taken", "action_taken_at"), validate=_validate_report_action,
            apply=_apply_report_action,
        ),
        Transition(
            action="object", sources=(S.SUBMITTED, S.ACKNOWLEDGED), target=S.OBJECTED, roles=PLATFORM,
            event=EventKind.OBJECTED, label=_("Object"), verb=_("objected to"), fields=("reason", "text"),
            validate=_validate_object, apply=_apply_object,
        ),
        Transition(
            action="uphold_objection", sources=(S.OBJECTED,), target=S.WITHDRAWN, roles=DECIDERS,
            event=EventKind.OBJECTION_UPHELD, label=_("Uphold objection (withdraw case)"),
            verb=_("withdrawn on objection"), note_required=True, apply=_apply_uphold,
        ),
        Transition(
            action="reject_objection", sources=(S.OBJECTED,), target=S.ACKNOWLEDGED, roles=DECIDERS,
            event=EventKind.OBJECTION_REJECTED, label=_("Reject objection (the clock resumes)"),
            verb=_("returned to the platform"), note_required=True, apply=_apply_reject_objection,
        ),
        Transition(
            action="verify", sources=(S.ACTIONED,), target=S.VERIFIED, roles=MINISTRY_OPERATORS,
            event=EventKind.VERIFIED, label=_("Verify and close"), verb=_("verified"), apply=_apply_verify,
        ),
        Transition(
            action="reopen", sources=(S.ACTIONED,), target=S.SUBMITTED, roles=MINISTRY_OPERATORS,
            event=EventKind.REOPENED, label=_("Reopen (content still up)"), verb=_("reopened"),
            note_required=True, new_deadline=True, apply=_apply_reopen,
        ),
        Transition(
            action="withdraw", sources=OPEN_STATUSES, target=S.WITHDRAWN, roles=DECIDERS,
            event=EventKind.WITHDRAWN, label=_("Withdraw"), verb=_("withdrawn"), note_required=True,
            apply=_apply_withdraw,
        ),
    )
}


# --- checks ---------------------------------------------------------------------------------------


def _role_list(roles) -> str:
    return ", ".join(str(ROLE_LABELS[r]).lower() for r in sorted(roles))


def refusal(case: Case, spec: Transition, actor) -> TransitionError | None:
    """Why `actor` may not apply `spec` to `case` now, or None if they may."""
    if case.status not in spec.sources:
        already = _("already ") if case.status in CLOSED_STATUSES or case.status == spec.target else ""
        return TransitionError(
            _("Case %(ref)s is %(already)s%(status)s; it cannot be %(verb)s.")
            % {"ref": case.reference, "already": already, "status": case.get_status_display().lower(),
               "verb": spec.verb},
            code="state",
        )
    held = roles_of(actor) & spec.roles
    if not held:
        return TransitionError(
            _("Only a %(roles)s may do this: case %(ref)s cannot be %(verb)s by you.")
            % {"roles": _role_list(spec.roles), "ref": case.reference, "verb": spec.verb},
            code="forbidden",
        )
    if held == {LIAISON} and case.platform_id not in liaison_platform_ids(actor):
        return TransitionError(
            _("You do not act for %(platform)s.") % {"platform": case.platform}, code="forbidden"
        )
    return None


def available_actions(case: Case, actor) -> list[Transition]:
    """The transitions this actor may apply to this case now, in table order (for buttons)."""
    return [spec for spec in TRANSITIONS.values() if refusal(case, spec, actor) is None]


# --- the service ----------------------------------------------------------------------------------

NUL = "\x00"


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def refuse_nul(fields: dict) -> None:
    """No text the workflow stores may hold a NUL character (PostgreSQL refuses it in text and JSON)."""
    bad = sorted(name for name, value in fields.items() if _has_nul(value))
    if bad:
        raise TransitionError(
            _("Text may not contain NUL characters (\\x00)."),
            field_errors={name: _("Remove the NUL character.") for name in bad}, code="invalid",
        )


def transition(case: Case, action: str, *, actor, note: str = "", expected_version: int | None = None, **data) -> Case:
    """Apply `action` to `case` as `actor`. Returns the updated case; raises TransitionError if refused.

    `expected_version` is the case version the actor was looking at (the console form, the API's If-Match).
    When given, the action is refused if anyone changed the case since, so nobody acts on a stale picture.
    """
    spec = TRANSITIONS.get(action)
    if spec is None:
        raise TransitionError(
            _("Unknown action %(action)s. Known actions: %(known)s.")
            % {"action": action, "known": ", ".join(TRANSITIONS)},
            code="unknown",
        )
    unexpected = sorted(set(data) - set(spec.fields))
    if unexpected:
        raise TransitionError(
            _("Unexpected data for %(action)s: %(fields)s.") % {"action": action, "fields": ", ".join(unexpected)},
            field_errors={f: _("Not accepted for this action.") for f in unexpected},
            code="invalid",
        )
    refuse_nul({"note": note, **data})
    note = (note or "").strip()
    with transaction.atomic():
        # 1. Lock the row and re-read it: the caller's copy may be stale.
        locked = Case.objects.select_for_update().select_related("platform").get(pk=case.pk)
        # 2. Re-check state, role and platform against the locked row.
        problem = refusal(locked, spec, actor)
        if problem is not None:
            raise problem
        if expected_version is not None and locked.version != expected_version:
            raise TransitionError(
                _("Case %(ref)s was changed by someone else since you opened it (it is now %(status)s). "
                  "Reload it and decide again.")
                % {"ref": locked.reference, "status": locked.get_status_display().lower()},
                code="stale",
            )
        # 3. Validate the action's data.
        now = clock.now()
        if spec.note_required and not note:
            raise TransitionError(
                _("A note is required to %(label)s.") % {"label": str(spec.label).lower()},
                field_errors={"note": _("This field is required.")}, code="invalid",
            )
        cleaned = spec.validate(locked, data, now) if spec.validate else {}
        # 4. Stamp the timestamps and the action's own fields, on the case and on its current cycle.
        from_status = locked.status
        cycle = current_cycle(locked)
        before = snapshot(locked, cycle)
        event_data = spec.apply(locked, cycle, cleaned, now) if spec.apply else {}
        opened = None
        if spec.new_deadline:
            opened = _start_clock(locked, now, first=(action == "submit"), actor=actor)
            event_data.update(opened.event_data)
        locked.status = spec.target
        locked.updated_at = now
        locked.version += 1
        locked.save()
        changes = []
        if cycle is not None:
            cycle.save()
            changes.append((before, snapshot(locked, cycle)))
        if opened is not None:
            opened.cycle.case = locked
            opened.cycle.save()
            changes.append((None, snapshot(locked, opened.cycle)))
        # 5. Exactly one event, and the report rollups' deltas, in the same transaction.
        record_changes(changes)
        record_event(
            locked, spec.event, actor=actor, from_status=from_status, to_status=spec.target, note=note,
            visibility=Visibility.SHARED, data={**event_data, "cycle": locked.submission_count},
        )
        # 6. Side effects that must not be lost travel through the outbox, in the same transaction.
        if spec.target == S.SUBMITTED:
            queue_case_submitted(locked)
            from cases.sanctions.services.letters import prepare_order

            prepare_order(locked, actor=actor)  # the order's letter: numbered now, produced by a job
    _copy_state(locked, case)
    return case


def current_cycle(case: Case) -> SubmissionCycle | None:
    """The case's current submission cycle (None before the first submission)."""
    if not case.submission_count:
        return None
    return SubmissionCycle.objects.get(case_id=case.pk, number=case.submission_count)


@dataclass
class Opened:
    cycle: SubmissionCycle  # not saved yet: the caller saves it once the case has its id
    event_data: dict


def _start_clock(case: Case, now: datetime, *, first: bool, actor, window: Window | None = None) -> Opened:
    """Open a new submission cycle (the first submission, or a reopening) and stamp its deadline on the case.

    The previous cycle, if any, keeps every fact it had. `window` may be given by a caller that already
    looked it up (bulk submission caches it per group).
    """
    if window is None:
        window = deadline_window(platform_id=case.platform_id, category=case.category, tier=case.tier)
    previous = {
        "previous_due_at": case.due_at.isoformat() if case.due_at else None,
        "previous_overdue_at": case.overdue_at.isoformat() if case.overdue_at else None,
    }
    if first:
        case.submitted_at = now
        case.submitted_by = actor
    case.submission_count += 1
    case.overdue_at = None
    case.is_late = False
    case.deadline_hours = window.hours
    case.due_at = window.due_from(now)
    cycle = SubmissionCycle(
        case=case, number=case.submission_count, opened_at=now, opened_by=actor, deadline_hours=window.hours,
        deadline_source=window.source, objection_rule=window.objection_rule, first_due_at=case.due_at,
        due_at=case.due_at,
    )
    return Opened(cycle, {**previous, "due_at": case.due_at.isoformat(), "deadline_hours": window.hours,
                          "deadline_source": window.source, "objection_rule": window.objection_rule})


def _copy_state(source: Case, target: Case) -> None:
    if source is target:
        return
    for f in Case._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


# --- bulk submission (bulk intake) ----------------------------------------------------------------


@dataclass
class BulkSubmission:
    """Drafts stamped as submitted in memory (`prepare_submission`), waiting for their records."""

    cases: Sequence[Case]
    events: list[dict]  # one SUBMITTED event per case, without its case id until the case is saved
    cycles: list[SubmissionCycle]  # each case's first cycle, saved with the events
    now: datetime
    actor: object = None  # who submitted them (the orders' letters are signed by them)

    def record(self, *, before: Sequence[dict] = ()) -> None:
        """Write the SUBMITTED events (after `before`, e.g. the CREATED events), count the cases in the report
        rollups and queue the notices.

        Cases that were not saved (pk None: a concurrent duplicate) are skipped.
        """
        saved = [(case, event, cycle) for case, event, cycle in zip(self.cases, self.events, self.cycles, strict=True)
                 if case.pk is not None]
        for case, _event, cycle in saved:
            cycle.case = case
        SubmissionCycle.objects.bulk_create([cycle for _case, _event, cycle in saved])
        # Rollup rows before the audit lock, as every other writer does (cases.core.audit.lock_events).
        record_changes([(None, snapshot(case, cycle)) for case, _event, cycle in saved])
        insert_many(CaseEvent, [*before, *({**event, "case_id": case.pk} for case, event, _cycle in saved)])
        queue_cases_submitted([case for case, _event, _cycle in saved])
        from cases.sanctions.services.letters import prepare_orders

        prepare_orders([case for case, _event, _cycle in saved], actor=self.actor)


def prepare_submission(cases: Sequence[Case], *, actor, note: str = "") -> BulkSubmission:
    """Steps 2-4 of `transition(case, "submit")` for new drafts, in memory: the refusal check against the
    table row, the deadline (`_start_clock`), the status, time and version. Bulk intake calls it before
    inserting the cases, so they are written once, already submitted, in the transaction that creates
    them. `.record()` then writes the events and queues the notices (step 5 and 6).
    """
    spec = TRANSITIONS["submit"]
    refuse_nul({"note": note})
    note = (note or "").strip()
    now = clock.now()
    windows: dict[tuple[int | None, str, str], Window] = {}
    # Only a platform's own overrides make its window differ from the category's; platforms without any
    # share one lookup per (category, tier).
    overridden = set(DeadlineOverride.objects.filter(
        platform_id__in={c.platform_id for c in cases}, is_active=True).values_list("platform_id", flat=True))
    events, cycles = [], []
    name = actor_name(actor)
    for case in cases:
        problem = refusal(case, spec, actor)
        if problem is not None:
            raise problem
        key = (case.platform_id if case.platform_id in overridden else None, case.category, case.tier)
        if key not in windows:
            windows[key] = deadline_window(platform_id=case.platform_id, category=case.category, tier=case.tier)
        from_status = case.status
        opened = _start_clock(case, now, first=True, actor=actor, window=windows[key])
        cycles.append(opened.cycle)
        case.status = spec.target
        case.updated_at = now
        case.version += 1
        events.append({  # a CaseEvent, as record_event writes it
            "kind": spec.event, "actor_id": actor.pk, "actor_name": name, "from_status": from_status,
            "to_status": spec.target, "note": note, "visibility": Visibility.SHARED, "created_at": now,
            "data": {**opened.event_data, "cycle": 1},
        })
    return BulkSubmission(cases=cases, events=events, cycles=cycles, now=now, actor=actor)
