"""The escalation ladder: the system proposes, a supervisor issues, complies or lifts.

Ladder (SAMAN): warning 1 → warning 2 → warning 3 → fine → access-blocking recommendation. An overdue case
earns the platform the rung above the highest one issued within the lookback period. While a proposal
awaits a decision, further overdue cases are cited on that same proposal instead of opening new ones.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit, clock
from cases.choices import (
    EventKind,
    FineFactor,
    PlatformStanding,
    SanctionLevel,
    SanctionStatus,
    Virality,
    Visibility,
)
from cases.models import Case, FinePolicy, Platform, Sanction, SanctionCase
from cases.roles import ADMINISTRATOR, SUPERVISOR, has_role
from cases.services.events import record_event

ST = SanctionStatus
COUNTING_STATUSES = (ST.ISSUED, ST.COMPLIED)


def _require_supervisor(actor) -> None:
    if not has_role(actor, SUPERVISOR, ADMINISTRATOR):
        raise PermissionDenied(_("Only supervisors and administrators decide sanctions."))


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


def propose_for_overdue_case(case: Case) -> Sanction:
    """Cite an overdue case on the platform's pending proposal, opening one at the next rung if none.

    Safe under concurrency: a case is cited once (unique), and a platform has one pending proposal (unique).
    """
    with transaction.atomic():
        audit.lock_events()  # before the proposal's row lock (lock order: cases.audit.lock_events)
        existing = SanctionCase.objects.filter(case=case).select_related("sanction").first()
        if existing is not None:
            return existing.sanction
        sanction = _pending_or_new(case.platform, case)
        try:
            with transaction.atomic():
                SanctionCase.objects.create(sanction=sanction, case=case, created_at=clock.now())
        except IntegrityError:
            return SanctionCase.objects.select_related("sanction").get(case=case).sanction
        record_event(
            case, EventKind.SANCTION, actor=None, visibility=Visibility.INTERNAL,
            note=_("Cited on the proposed %(level)s.") % {"level": sanction.get_level_display()},
            data={"sanction": sanction.pk, "level": sanction.level, "status": sanction.status},
        )
        return sanction


def _pending_or_new(platform: Platform, case: Case) -> Sanction:
    # Locked: a supervisor issuing it at this moment makes us wait, then it no longer matches.
    pending = Sanction.objects.select_for_update().filter(platform=platform, status=ST.PROPOSED).first()
    if pending is not None:
        return pending
    level = next_level(platform)
    try:
        with transaction.atomic():
            return Sanction.objects.create(
                platform=platform, level=level, status=ST.PROPOSED, proposed_at=clock.now(),
                reason=_("Case %(ref)s passed its deadline with no action reported.") % {"ref": case.reference},
            )
    except IntegrityError:
        # Another sweeper opened the platform's proposal first; join it.
        return Sanction.objects.get(platform=platform, status=ST.PROPOSED)


@transaction.atomic
def propose_sanction(*, platform: Platform, level: int, actor, reason: str) -> Sanction:
    """A supervisor's own proposal (e.g. after a meeting). One pending proposal per platform."""
    _require_supervisor(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for the proposal.")})
    if level not in SanctionLevel.values:
        raise ValidationError({"level": _("Choose a level of the ladder.")})
    busy = ValidationError(_("%(platform)s already has a sanction awaiting a decision; decide that one first.")
                           % {"platform": platform})
    if Sanction.objects.filter(platform=platform, status=ST.PROPOSED).exists():
        raise busy
    try:
        with transaction.atomic():
            return Sanction.objects.create(platform=platform, level=level, status=ST.PROPOSED, proposed_by=actor,
                                           proposed_at=clock.now(), reason=reason.strip())
    except IntegrityError:
        raise busy from None  # the sweeper opened one in the meantime


def _locked(sanction: Sanction, allowed: tuple[str, ...], verb: str) -> Sanction:
    # The audit lock first: deciding a sanction writes events on its cases, and the sweeper holds that lock
    # when it locks the platform's pending proposal (lock order: cases.audit.lock_events).
    audit.lock_events()
    locked = Sanction.objects.select_for_update().select_related("platform").get(pk=sanction.pk)
    if locked.status not in allowed:
        raise ValidationError(
            _("This %(level)s is %(status)s; it cannot be %(verb)s.")
            % {"level": locked.get_level_display(), "status": locked.get_status_display().lower(), "verb": verb}
        )
    return locked


def _note_on_cases(sanction: Sanction, note: str, *, visibility: str = Visibility.SHARED) -> None:
    for case in sanction.cases.all():
        record_event(case, EventKind.SANCTION, actor=None, visibility=visibility, note=note,
                     data={"sanction": sanction.pk, "level": sanction.level, "status": sanction.status})


@transaction.atomic
def issue_sanction(sanction: Sanction, *, actor, letter_reference: str, virality: str = Virality.LOW,
                   note: str = "") -> Sanction:
    """Issue a proposed sanction with its letter reference; a fine is computed and its inputs stored."""
    _require_supervisor(actor)
    letter_reference = (letter_reference or "").strip()
    if not letter_reference:
        raise ValidationError({"letter_reference": _("Give the reference of the letter that issues it.")})
    locked = _locked(sanction, (ST.PROPOSED,), _("issued"))
    now = clock.now()
    if locked.level == SanctionLevel.FINE:
        locked.amount, locked.fine_inputs = compute_fine(locked, virality=virality)
    locked.status = ST.ISSUED
    locked.issued_at = now
    locked.issued_by = actor
    locked.letter_reference = letter_reference
    locked.status_note = (note or "").strip()
    locked.save()
    _note_on_cases(locked, _("%(level)s issued to %(platform)s (letter %(letter)s).") % {
        "level": locked.get_level_display(), "platform": locked.platform, "letter": letter_reference})
    return locked


@transaction.atomic
def mark_complied(sanction: Sanction, *, actor, note: str = "") -> Sanction:
    """The platform complied with the warning, or paid the fine."""
    _require_supervisor(actor)
    locked = _locked(sanction, (ST.ISSUED,), _("marked complied"))
    locked.status = ST.COMPLIED
    locked.complied_at = clock.now()
    locked.status_note = (note or "").strip()
    locked.save()
    return locked


@transaction.atomic
def lift_sanction(sanction: Sanction, *, actor, reason: str) -> Sanction:
    """Lift an issued sanction, or dismiss a proposal. A reason is required either way."""
    _require_supervisor(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give the reason for lifting it.")})
    locked = _locked(sanction, (ST.PROPOSED, ST.ISSUED), _("lifted"))
    locked.status = ST.LIFTED
    locked.lifted_at = clock.now()
    locked.lifted_by = actor
    locked.status_note = reason.strip()
    locked.save()
    return locked


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
    categories = list(sanction.cases.values_list("category", flat=True).distinct())
    content_idx = {c: table.get(FineFactor.CONTENT, {}).get(c, Decimal(1)) for c in categories} or {"other": Decimal(1)}
    category = max(content_idx, key=content_idx.get)
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

