"""The escalation ladder: the system proposes, a supervisor issues, complies or lifts.

Ladder (SAMAN): warning 1 → warning 2 → warning 3 → fine → access-blocking recommendation. An overdue case
earns the platform the rung above the highest one issued within the lookback period. While a proposal
awaits a decision, further overdue cases are cited on that same proposal instead of opening new ones.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.cases.workflow import TransitionError
from cases.core import audit, clock
from cases.core.choices import (
    Category,
    EventKind,
    FineFactor,
    PlatformStanding,
    SanctionLevel,
    SanctionStatus,
    Virality,
    Visibility,
)
from cases.core.lifecycle import SYSTEM, Lifecycle, Step
from cases.core.recorders.events import record_event
from cases.core.roles import ADMINISTRATOR, SUPERVISOR
from cases.models import Case, FinePolicy, Platform, Sanction, SanctionCase, SanctionEvent

ST = SanctionStatus
COUNTING_STATUSES = (ST.ISSUED, ST.COMPLIED)
DECIDERS = frozenset({SUPERVISOR, ADMINISTRATOR})


class SanctionError(TransitionError):
    """A refused sanction step; the API answers 409 (400 when the step's data was invalid)."""


def next_level(platform: Platform) -> SanctionLevel:
    """The rung a new overdue case earns: one above the highest issued within the lookback, capped at blocking."""
    since = clock.now() - timedelta(days=settings.PATUH["LADDER_LOOKBACK_DAYS"])
    highest = (
        Sanction.objects.filter(platform=platform, status__in=COUNTING_STATUSES, issued_at__gte=since)
        .order_by("-level")
        .values_list("level", flat=True)
        .first()
    )
    if highest is None:
        return SanctionLevel.WARNING_1
    return SanctionLevel(min(highest + 1, SanctionLevel.ACCESS_BLOCK))


# --- the steps: validation and effects --------------------------------------------------------------------


def _invalid(message, **field_errors) -> SanctionError:
    return SanctionError(message, field_errors=field_errors, code="invalid")


def _citable(case: Case, platform_id: int) -> str | None:
    """Why `case` cannot be cited against this platform, or None."""
    from cases.reporting.reports import missed_deadline

    if case.platform_id != platform_id:
        return _("Case %(ref)s is not this platform's.") % {"ref": case.reference}
    if not missed_deadline(case):
        return _("Case %(ref)s has not missed a deadline.") % {"ref": case.reference}
    if SanctionCase.objects.filter(case=case).exists():
        return _("Case %(ref)s is already cited on a sanction.") % {"ref": case.reference}
    return None


def _as_cases(value, platform_id: int | None) -> list[Case]:
    """Cases given as objects, ids or references (the consoles and the API), each checked."""
    if value in (None, "", []):
        return []
    items = value if isinstance(value, list | tuple) else [value]
    found, problems = [], []
    for item in items:
        if isinstance(item, Case):
            case = item
        else:
            text = str(item).strip()
            case = Case.objects.filter(**({"pk": int(text)} if text.isdigit() else {"reference": text})).first()
            if case is None:
                problems.append(_("Unknown case %(ref)s.") % {"ref": text[:60]})
                continue
        problem = _citable(case, platform_id)
        if problem:
            problems.append(problem)
        elif case not in found:
            found.append(case)
    if problems:
        raise _invalid(_("Some cited cases cannot be cited."), cases=" ".join(problems))
    return found


def _validate_propose(sanction: Sanction, data: dict, actor, now) -> dict:
    platform = data.get("platform")
    reason = (data.get("reason") or "").strip() if isinstance(data.get("reason"), str | type(None)) else ""
    errors = {}
    if not isinstance(platform, Platform):
        errors["platform"] = _("Choose the platform.")
    level = data.get("level")
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = None
    if level not in SanctionLevel.values:
        errors["level"] = _("Choose a level of the ladder.")
    if not reason:
        errors["reason"] = _("Give the reason for the proposal.")
    category = data.get("content_category") or ""
    if category and category not in Category.values:
        errors["content_category"] = _("Unknown category.")
    if errors:
        raise SanctionError(_("The proposal is incomplete."), field_errors=errors, code="invalid")
    if Sanction.objects.filter(platform=platform, status=ST.PROPOSED).exists():
        raise SanctionError(_("%(platform)s already has a sanction awaiting a decision; decide that one first.")
                            % {"platform": platform}, code="state")
    cases = _as_cases(data.get("cases"), platform.pk)
    if not cases and not category:
        # Nothing defaults silently: the content index of a fine needs a basis.
        raise _invalid(_("Name the proposal's content basis: cite the overdue cases, or choose a content category "
                         "and say why in the reason."),
                       content_category=_("Cite cases or choose a category."))
    expected = next_level(platform)
    skip_reason = (data.get("skip_reason") or "").strip()
    if level > expected and not skip_reason:
        raise _invalid(
            _("The ladder's next rung for %(platform)s is %(expected)s; proposing %(level)s skips %(n)s rung(s). "
              "Say why.") % {"platform": platform, "expected": SanctionLevel(expected).label,
                             "level": SanctionLevel(level).label, "n": level - expected},
            skip_reason=_("A reason is required to skip a rung of the ladder."))
    return {"platform": platform, "level": level, "reason": reason, "cases": cases, "category": category,
            "expected": int(expected), "skip_reason": skip_reason if level > expected else ""}


def _apply_propose(sanction: Sanction, cleaned: dict, actor, now) -> dict:
    sanction.platform = cleaned["platform"]
    sanction.level = cleaned["level"]
    sanction.reason = cleaned["reason"]
    sanction.content_category = cleaned["category"]
    sanction.proposed_at = now
    sanction.proposed_by = actor
    data = {"platform": sanction.platform.slug, "level": sanction.level, "expected_level": cleaned["expected"],
            "content_basis": "cases" if cleaned["cases"] else "category",
            "cases": [c.reference for c in cleaned["cases"]], "content_category": cleaned["category"]}
    if cleaned["skip_reason"]:
        data["skipped_rungs"] = sanction.level - cleaned["expected"]
        data["skip_reason"] = cleaned["skip_reason"]
    return data


def _cite_all(sanction: Sanction, cases, now) -> None:
    SanctionCase.objects.bulk_create([SanctionCase(sanction=sanction, case=c, created_at=now) for c in cases])
    for case in cases:
        record_event(
            case, EventKind.SANCTION, actor=None, visibility=Visibility.INTERNAL,
            note=_("Cited on the proposed %(level)s.") % {"level": sanction.get_level_display()},
            data={"sanction": sanction.pk, "level": sanction.level, "status": sanction.status},
        )


def _after_propose(sanction: Sanction, cleaned: dict, actor, now, event) -> None:
    _cite_all(sanction, cleaned["cases"], now)


def _validate_cite(sanction: Sanction, data: dict, actor, now) -> dict:
    cases = _as_cases(data.get("case"), sanction.platform_id)
    if not cases:
        raise _invalid(_("Name the case to cite."), case=_("This field is required."))
    return {"cases": cases}


def _apply_cite(sanction: Sanction, cleaned: dict, actor, now) -> dict:
    return {"cases": [c.reference for c in cleaned["cases"]]}


def _after_cite(sanction: Sanction, cleaned: dict, actor, now, event) -> None:
    _cite_all(sanction, cleaned["cases"], now)


def _validate_issue(sanction: Sanction, data: dict, actor, now) -> dict:
    from cases.sanctions.services import letters

    letter_reference = data.get("letter_reference") or ""
    if not isinstance(letter_reference, str):
        raise _invalid(_("Give the reference of the letter that issues it."), letter_reference=_("Not text."))
    if not letter_reference.strip() and not letters.enabled():
        # Without letters produced by Patuh, the letter lives elsewhere: its reference is required.
        raise _invalid(_("Give the reference of the letter that issues it."),
                       letter_reference=_("This field is required."))
    virality = data.get("virality") or Virality.LOW
    if virality not in Virality.values:
        raise _invalid(_("Choose low, medium or high virality."), virality=_("Unknown virality."))
    cleaned = {"letter_reference": letter_reference.strip(), "virality": virality}
    if sanction.level == SanctionLevel.FINE:
        try:
            cleaned["fine"] = compute_fine(sanction, virality=virality)
        except ValidationError as err:
            raise SanctionError(" ".join(err.messages), code="invalid") from None
    return cleaned


def _apply_issue(sanction: Sanction, cleaned: dict, actor, now) -> dict:
    from cases.sanctions.services import letters

    if "fine" in cleaned:
        sanction.amount, sanction.fine_inputs = cleaned["fine"]
    sanction.issued_at = now
    sanction.issued_by = actor
    # The letter is numbered in this transaction (its PDF is produced by a job after the commit).
    letter = letters.prepare_sanction_letter(sanction, actor=actor)
    sanction.letter_reference = cleaned["letter_reference"] or (letter.number if letter else "")
    data = {"letter_reference": sanction.letter_reference}
    if letter is not None:
        data["letter"] = {"id": letter.pk, "number": letter.number}
    if "fine" in cleaned:
        data.update(amount=str(sanction.amount), fine_inputs=sanction.fine_inputs)
    return data


def _after_issue(sanction: Sanction, cleaned: dict, actor, now, event) -> None:
    from cases.core.recorders.outbox import emit_sanction_issued

    sanction.status_note = event.note
    Sanction.objects.filter(pk=sanction.pk).update(status_note=event.note)
    emit_sanction_issued(sanction)
    _note_on_cases(sanction, _("%(level)s issued to %(platform)s (letter %(letter)s).") % {
        "level": sanction.get_level_display(), "platform": sanction.platform, "letter": sanction.letter_reference})


def _apply_comply(sanction: Sanction, cleaned: dict, actor, now) -> dict:
    sanction.complied_at = now
    return {}


def _apply_lift(sanction: Sanction, cleaned: dict, actor, now) -> dict:
    sanction.lifted_at = now
    sanction.lifted_by = actor
    return {}


def _note_status(sanction: Sanction, cleaned: dict, actor, now, event) -> None:
    """The decision's note stays on the row for lists (the event holds it for good)."""
    sanction.status_note = event.note
    Sanction.objects.filter(pk=sanction.pk).update(status_note=event.note)


def _note_on_cases(sanction: Sanction, note: str, *, visibility: str = Visibility.SHARED) -> None:
    for case in sanction.cases.all():
        record_event(case, EventKind.SANCTION, actor=None, visibility=visibility, note=note,
                     data={"sanction": sanction.pk, "level": sanction.level, "status": sanction.status})


def _noun(sanction: Sanction) -> str:
    if not sanction.pk:
        return _("The proposal")
    return _("%(level)s for %(platform)s") % {"level": sanction.get_level_display(), "platform": sanction.platform}


TRANSITIONS = (
    Step("propose", (), ST.PROPOSED, DECIDERS | {SYSTEM}, gettext_lazy("Propose"), gettext_lazy("proposed"),
         fields=("platform", "level", "reason", "cases", "content_category", "skip_reason"), creates=True,
         validate=_validate_propose, apply=_apply_propose, after=_after_propose),
    Step("cite", (ST.PROPOSED,), None, DECIDERS | {SYSTEM}, gettext_lazy("Cite a case"), gettext_lazy("cited on"),
         fields=("case",), validate=_validate_cite, apply=_apply_cite, after=_after_cite),
    Step("issue", (ST.PROPOSED,), ST.ISSUED, DECIDERS, gettext_lazy("Issue"), gettext_lazy("issued"),
         fields=("letter_reference", "virality"), validate=_validate_issue, apply=_apply_issue, after=_after_issue),
    Step("comply", (ST.ISSUED,), ST.COMPLIED, DECIDERS, gettext_lazy("Mark complied / paid"),
         gettext_lazy("marked complied"), apply=_apply_comply, after=_note_status),
    Step("lift", (ST.ISSUED,), ST.LIFTED, DECIDERS, gettext_lazy("Lift"), gettext_lazy("lifted"),
         note_required=True, apply=_apply_lift, after=_note_status),
    Step("withdraw", (ST.PROPOSED,), ST.WITHDRAWN, DECIDERS, gettext_lazy("Withdraw the proposal"),
         gettext_lazy("withdrawn"), note_required=True, after=_note_status),
)

LIFECYCLE = Lifecycle(model=Sanction, event_model=SanctionEvent, subject="sanction", error=SanctionError,
                      steps=TRANSITIONS, noun=_noun, status_label=lambda s: SanctionStatus(s).label)
STEPS = LIFECYCLE.steps


def transition(sanction: Sanction, action: str, *, actor, note: str = "", **data) -> Sanction:
    """The one writer of a sanction's status: apply `action` as `actor` (None: the system), writing one
    SanctionEvent in the same transaction. Raises SanctionError if refused; then nothing changed."""
    return LIFECYCLE.run(sanction, action, actor=actor, note=note, **data)


def available_steps(sanction: Sanction, actor) -> list[Step]:
    return LIFECYCLE.available(sanction, actor)


# --- the callers' entry points --------------------------------------------------------------------------


def propose_for_overdue_case(case: Case) -> Sanction:
    """Cite an overdue case on the platform's pending proposal, opening one at the next rung if none.

    Safe under concurrency: the audit lock, taken first, serialises every sanction step; a case is cited once
    (unique), and a platform has one pending proposal (unique).
    """
    with transaction.atomic():
        audit.lock_events()
        existing = SanctionCase.objects.filter(case=case).select_related("sanction").first()
        if existing is not None:
            return existing.sanction
        pending = Sanction.objects.filter(platform_id=case.platform_id, status=ST.PROPOSED).first()
        if pending is not None:
            return transition(pending, "cite", actor=None, case=case)
        return transition(
            Sanction(), "propose", actor=None, platform=case.platform, level=next_level(case.platform),
            cases=[case],
            reason=_("Case %(ref)s passed its deadline with no action reported.") % {"ref": case.reference})


def propose_sanction(*, platform: Platform, level: int, actor, reason: str, cases=None, content_category: str = "",
                     skip_reason: str = "") -> Sanction:
    """A supervisor's own proposal (e.g. after a meeting). One pending proposal per platform; it names its
    content basis (cited cases, or a category with the reason)."""
    return transition(Sanction(), "propose", actor=actor, platform=platform, level=level, reason=reason,
                      cases=cases or [], content_category=content_category, skip_reason=skip_reason)


def issue_sanction(sanction: Sanction, *, actor, letter_reference: str, virality: str = Virality.LOW,
                   note: str = "") -> Sanction:
    """Issue a proposed sanction with its letter reference; a fine is computed and its inputs stored."""
    return transition(sanction, "issue", actor=actor, note=note, letter_reference=letter_reference,
                      virality=virality)


def mark_complied(sanction: Sanction, *, actor, note: str = "") -> Sanction:
    """The platform complied with the warning, or paid the fine."""
    return transition(sanction, "comply", actor=actor, note=note)


def lift_sanction(sanction: Sanction, *, actor, reason: str) -> Sanction:
    """Lift an issued sanction, or withdraw a proposal (the API's `lift` on a proposal). A reason is required."""
    action = "withdraw" if sanction.status == ST.PROPOSED else "lift"
    return transition(sanction, action, actor=actor, note=reason)


def withdraw_sanction(sanction: Sanction, *, actor, reason: str) -> Sanction:
    return transition(sanction, "withdraw", actor=actor, note=reason)


def fine_policy_in_force(on=None) -> FinePolicy | None:
    day = timezone.localdate(on or clock.now())
    return FinePolicy.objects.filter(effective_from__lte=day).prefetch_related("factors").first()


def compute_fine(sanction: Sanction, *, virality: str) -> tuple[Decimal, dict]:
    """amount = Π indices × points cap × tariff per point, with every input returned for the record."""
    policy = fine_policy_in_force()
    if policy is None:
        raise ValidationError(_("No fine policy is in force; a supervisor must configure one before issuing a fine."))
    if virality not in Virality.values:
        raise ValidationError({"virality": _("Choose low, medium or high virality.")})
    table: dict[str, dict[str, Decimal]] = {}
    for f in policy.factors.all():
        table.setdefault(f.factor, {})[f.key] = f.value
    platform = sanction.platform
    categories = sorted(set(sanction.cases.values_list("category", flat=True))) if sanction.pk else []
    basis = "cases" if categories else "category"
    if not categories:
        if not sanction.content_category:
            raise ValidationError(_("This fine has no content basis: it cites no cases and names no category. "
                                    "Withdraw it and propose it again with its basis."))
        categories = [sanction.content_category]
    content_table = table.get(FineFactor.CONTENT, {})
    # The most serious content cited sets the index; a category the policy has no index for counts as 1,
    # shown as defaulted.
    category = max(categories, key=lambda c: (content_table.get(c, Decimal(1)), c))
    warnings = Sanction.objects.filter(
        platform=platform, status__in=COUNTING_STATUSES, level__lte=SanctionLevel.WARNING_3
    ).aggregate(m=Max("level"))["m"] or 0
    earlier_fines = Sanction.objects.filter(
        platform=platform, level=SanctionLevel.FINE, status__in=COUNTING_STATUSES
    ).exclude(pk=sanction.pk).count()
    keys = {
        FineFactor.CONTENT: category,
        FineFactor.PLATFORM_TYPE: platform.kind,
        FineFactor.BUSINESS_SCALE: platform.business_scale,
        FineFactor.WARNING_LEVEL: str(warnings),
        FineFactor.HISTORY: str(earlier_fines),
        FineFactor.VIRALITY: virality,
    }
    indices, product = {}, Decimal(1)
    for factor, key in keys.items():
        value = table.get(factor, {}).get(key)
        if value is None and factor == FineFactor.HISTORY and table.get(factor):
            # History beyond the table's highest count uses the highest entry.
            top = max(table[factor], key=lambda k: int(k) if k.isdigit() else -1)
            value = table[factor][top] if top.isdigit() and int(top) < earlier_fines else None
        indices[factor] = {"key": key, "value": str(value if value is not None else Decimal(1)),
                           "defaulted": value is None}
        product *= value if value is not None else Decimal(1)
    amount = (product * policy.points_cap * policy.tariff_per_point).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    inputs = {
        "policy": policy.pk, "policy_name": policy.name, "effective_from": policy.effective_from.isoformat(),
        "points_cap": policy.points_cap, "tariff_per_point": str(policy.tariff_per_point),
        "currency": policy.currency, "indices": indices, "product": str(product), "amount": str(amount),
        "content_basis": basis, "categories": categories,
    }
    return amount, inputs


def platform_standing(platform: Platform) -> str:
    """Active, warned, sanctioned or blocked: follows from the platform's sanctions in force (issued)."""
    return standing_from_levels(
        Sanction.objects.filter(platform=platform, status=ST.ISSUED).values_list("level", flat=True)
    )


def standing_from_levels(levels) -> str:
    top = max(levels, default=0)
    if top >= SanctionLevel.ACCESS_BLOCK:
        return PlatformStanding.BLOCKED
    if top >= SanctionLevel.FINE:
        return PlatformStanding.SANCTIONED
    if top >= SanctionLevel.WARNING_1:
        return PlatformStanding.WARNED
    return PlatformStanding.ACTIVE


def standings() -> dict[int, str]:
    """Every platform's standing in one query (for lists and dashboards)."""
    levels: dict[int, list[int]] = {}
    for pid, level in Sanction.objects.filter(status=ST.ISSUED).values_list("platform_id", "level"):
        levels.setdefault(pid, []).append(level)
    return {pid: standing_from_levels(lv) for pid, lv in levels.items()}



def fine_lines(inputs: dict) -> list[dict]:
    """The fine's indices in words, for the preview and the sanction page: what each factor is, which value it
    took and why, and whether the policy had no index for it (counted as 1, shown as defaulted)."""
    from cases.core.choices import BusinessScale, PlatformKind

    def key_words(factor: str, key: str) -> str:
        if factor == FineFactor.CONTENT:
            return str(Category(key).label) if key in Category.values else key
        if factor == FineFactor.PLATFORM_TYPE:
            return str(PlatformKind(key).label) if key in PlatformKind.values else key
        if factor == FineFactor.BUSINESS_SCALE:
            return str(BusinessScale(key).label) if key in BusinessScale.values else key
        if factor == FineFactor.WARNING_LEVEL:
            n = int(key) if str(key).isdigit() else 0
            return str(SanctionLevel(n).label) if n in SanctionLevel.values else _("no warning letter issued")
        if factor == FineFactor.HISTORY:
            return _("%(n)s earlier fine(s)") % {"n": key}
        if factor == FineFactor.VIRALITY:
            return str(Virality(key).label) if key in Virality.values else key
        return key

    lines = []
    for factor in FineFactor.values:
        entry = (inputs.get("indices") or {}).get(factor)
        if entry is None:
            continue
        lines.append({"factor": str(FineFactor(factor).label), "key": entry["key"],
                      "words": key_words(factor, entry["key"]), "value": entry["value"],
                      "defaulted": bool(entry.get("defaulted"))})
    return lines


def fine_preview(sanction: Sanction, *, virality: str = Virality.LOW) -> dict:
    """What issuing this fine would compute now, without writing anything (the supervisor's preview)."""
    from cases.core.money import format_amount

    amount, inputs = compute_fine(sanction, virality=virality)
    return {"inputs": inputs, "lines": fine_lines(inputs), "amount": format_amount(amount, inputs["currency"]),
            "tariff": format_amount(inputs["tariff_per_point"], inputs["currency"]),
            "points_cap": inputs["points_cap"], "product": inputs["product"],
            "basis": inputs["content_basis"], "policy_name": inputs["policy_name"]}


def how_late(case) -> str:
    """How late a cited case is: acted on after its deadline, or still without action since it passed (its
    deadline picture, `reports.deadline_picture`)."""
    from cases.reporting.reports import deadline_picture, humanize_delta

    picture = deadline_picture(case)
    if not picture.due_at:
        return "—"
    if picture.late:
        return _("acted %(late)s late") % {"late": humanize_delta(picture.late_by)}
    if picture.missed and not picture.actioned_at:
        return _("no action yet, %(late)s past the deadline") % {"late": humanize_delta(picture.now - picture.due_at)}
    return _("within the deadline")
