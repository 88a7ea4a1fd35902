"""The lifecycle idiom shared by sanctions and commitments, after the cases' (cases/cases/workflow.py).

A lifecycle is a table of `Step`s and one `Lifecycle.run()` that applies them. `run()`:

1. takes the audit lock, then locks the object's row and re-reads it (lock order: cases.core.audit.lock_events);
2. re-checks the from-state, the actor's role and, for a liaison, their platform; refuses with a sentence;
3. validates the step's data (`validate`), then stamps the object (`apply`) and its status;
4. writes exactly one hash-chained event (the lifecycle's event model: SanctionEvent, CommitmentEvent)
   in the same transaction.

A refusal raises the lifecycle's error (a `cases.cases.workflow.TransitionError`, so the API answers 409, or 400 when
the data was invalid) and changes nothing. A step whose `target` is None keeps the status (a citation, an
edit, a progress report); a step with `creates=True` makes the object (a proposal, a new commitment).

The actor None is the system (the deadline sweeper); it holds the pseudo-role `SYSTEM` only.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from cases.cases.workflow import TransitionError, refuse_nul
from cases.core import audit, clock
from cases.core.recorders.events import actor_name
from cases.core.roles import LIAISON, ROLE_LABELS, liaison_platform_ids, roles_of

SYSTEM = "system"
LABELS = {**ROLE_LABELS, SYSTEM: _("the system (deadline sweeper)")}


@dataclass(frozen=True)
class Step:
    action: str
    sources: tuple[str, ...]  # the statuses it applies to; () for a step that creates the object
    target: str | None  # the status after it; None keeps the status
    roles: frozenset[str]
    label: object  # the button text
    verb: object  # "it cannot be <verb>"
    fields: tuple[str, ...] = ()  # data accepted besides `note`
    note_required: bool = False
    creates: bool = False
    # validate(obj, data, actor, now) -> cleaned data; raises the lifecycle's error.
    validate: Callable | None = field(default=None, compare=False)
    # apply(obj, cleaned, actor, now) -> the event's data; sets the step's own fields on obj (not the status).
    apply: Callable | None = field(default=None, compare=False)
    # after(obj, cleaned, actor, now, event): side effects in the same transaction once obj is saved (e.g. the
    # rows it cites, notes on cases, a progress entry).
    after: Callable | None = field(default=None, compare=False)


def actor_roles(actor) -> frozenset[str]:
    return frozenset({SYSTEM}) if actor is None else frozenset(roles_of(actor))


ROLE_ORDER = ("analyst", "supervisor", "administrator", "auditor", "liaison", SYSTEM)


def role_list(roles) -> str:
    return ", ".join(str(LABELS[r]).lower() for r in ROLE_ORDER if r in roles)


class Lifecycle:
    def __init__(self, *, model, event_model, subject: str, error: type[TransitionError], steps, noun: Callable,
                 status_label: Callable):
        self.model = model
        self.event_model = event_model
        self.subject = subject  # the event's foreign key to the object ("sanction", "commitment")
        self.error = error
        self.steps: dict[str, Step] = {s.action: s for s in steps}
        self.noun = noun  # obj -> "Warning letter 1 (ST1) for Telegram"
        self.status_label = status_label  # status value -> its label

    # --- checks ---------------------------------------------------------------------------------------

    def refusal(self, obj, spec: Step, actor) -> TransitionError | None:
        """Why `actor` may not apply `spec` to `obj` now, or None if they may."""
        if not spec.creates and obj.status not in spec.sources:
            return self.error(
                _("%(what)s is %(status)s; it cannot be %(verb)s.")
                % {"what": self.noun(obj), "status": str(self.status_label(obj.status)).lower(), "verb": spec.verb},
                code="state",
            )
        held = actor_roles(actor) & spec.roles
        if not held:
            return self.error(
                _("%(what)s cannot be %(verb)s by you; only these roles may: %(roles)s.")
                % {"roles": role_list(spec.roles), "what": self.noun(obj), "verb": spec.verb},
                code="forbidden",
            )
        if held == {LIAISON} and obj.platform_id not in liaison_platform_ids(actor):
            return self.error(_("You do not act for this platform."), code="forbidden")
        return None

    def available(self, obj, actor) -> list[Step]:
        """The steps this actor may take on this object now, in table order (for buttons)."""
        return [s for s in self.steps.values() if not s.creates and self.refusal(obj, s, actor) is None]

    # --- the transition function ------------------------------------------------------------------------

    def run(self, obj, action: str, *, actor, note: str = "", **data):
        spec = self.steps.get(action)
        if spec is None:
            raise self.error(_("Unknown action %(action)s. Known actions: %(known)s.")
                             % {"action": action, "known": ", ".join(self.steps)}, code="unknown")
        unexpected = sorted(set(data) - set(spec.fields))
        if unexpected:
            raise self.error(
                _("Unexpected data for %(action)s: %(fields)s.") % {"action": action, "fields": ", ".join(unexpected)},
                field_errors={f: _("Not accepted for this action.") for f in unexpected}, code="invalid")
        try:
            refuse_nul({"note": note, **{k: v for k, v in data.items() if isinstance(v, str | dict | list)}})
        except TransitionError as err:
            raise self.error(err.message, field_errors=err.field_errors, code=err.code) from None
        note = (note or "").strip()
        with transaction.atomic():
            # 1. The audit lock, then the row: the sweeper holds the audit lock when it reaches a sanction.
            audit.lock_events()
            locked = obj if spec.creates else self.model.objects.select_for_update().get(pk=obj.pk)
            # 2. State, role and platform against the locked row.
            problem = self.refusal(locked, spec, actor)
            if problem is not None:
                raise problem
            # 3. The step's data.
            now = clock.now()
            if spec.note_required and not note:
                raise self.error(_("A note (the reason) is required to %(label)s.")
                                 % {"label": str(spec.label).lower()},
                                 field_errors={"note": _("This field is required.")}, code="invalid")
            cleaned = spec.validate(locked, data, actor, now) if spec.validate else {}
            from_status = "" if spec.creates else locked.status
            event_data = spec.apply(locked, cleaned, actor, now) if spec.apply else {}
            if spec.target is not None:
                locked.status = spec.target
            try:
                with transaction.atomic():
                    locked.save()
            except IntegrityError as err:  # a unique rule (one pending proposal per platform) lost a race
                raise self.error(_("%(what)s cannot be %(verb)s: %(problem)s")
                                 % {"what": self.noun(locked), "verb": spec.verb, "problem": err},
                                 code="state") from None
            # 4. Exactly one event, in this transaction.
            event = audit.create(
                self.event_model, **{self.subject: locked}, kind=spec.action, actor=actor,
                actor_name=actor_name(actor), from_status=from_status, to_status=locked.status, note=note,
                created_at=now, data=event_data or {},
            )
            if spec.after:
                spec.after(locked, cleaned, actor, now, event)
        if locked is not obj:
            for f in self.model._meta.concrete_fields:
                setattr(obj, f.attname, getattr(locked, f.attname))
        obj.last_event = event
        obj.step_result = getattr(locked, "step_result", None)  # what `after` made (a progress entry)
        return obj
