"""The one source of deadlines: which window applies to a case, and when it is due."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from cases.core.choices import DEFAULT_TIER, DEFAULT_TIER_HOURS, MIN_RESUMED_MINUTES, ObjectionRule, Tier
from cases.models import DeadlineOverride, DeadlinePolicy


@dataclass(frozen=True)
class Window:
    hours: int
    source: str  # "override:<id>", "policy:<category>" or "default"
    objection_rule: str = ObjectionRule.RESUME  # the category policy's; an override changes only the hours

    def due_from(self, start: datetime) -> datetime:
        # Calendar hours: MR5 counts 1×24 hours, not working days.
        return start + timedelta(hours=self.hours)


@dataclass(frozen=True)
class Resumed:
    """The deadline after a rejected objection (`resume_after_objection`)."""

    due_at: datetime
    how: str  # "remaining", "fresh", or "missed" (lodged after the deadline: nothing resumes)
    minutes_left: int  # whole minutes that were left when the objection was lodged (negative: lodged late)


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from `start` to `end`, rounded down (negative when `end` is earlier)."""
    return int((end - start).total_seconds() // 60)


def resume_after_objection(*, due_at: datetime, lodged_at: datetime, decided_at: datetime, hours: int,
                           rule: str) -> Resumed:
    """The objection clock (docs/reports.md, "The clock"). While a case is objected its clock is stopped.

    - Lodged in time (at or before the deadline) and rejected: the clock resumes with the time that was left
      when the objection was lodged, at least one hour, so a last-minute objector can still act; under the
      "fresh" rule of a deadline policy, with a whole new window instead.
    - Lodged after the deadline: the deadline stays missed and the case overdue; nothing resumes.
    """
    left = due_at - lodged_at
    minutes_left = minutes_between(lodged_at, due_at)
    if lodged_at > due_at:
        return Resumed(due_at=due_at, how="missed", minutes_left=minutes_left)
    if rule == ObjectionRule.FRESH:
        return Resumed(due_at=decided_at + timedelta(hours=hours), how="fresh", minutes_left=minutes_left)
    return Resumed(due_at=decided_at + max(left, timedelta(minutes=MIN_RESUMED_MINUTES)), how="remaining",
                   minutes_left=minutes_left)


def ensure_default_policies(using: str = "default") -> None:
    """A deadline policy per category, as the data migration 0002 made them: created where one is missing (after
    `flush`, which empties every table: `cases.apps.restore_defaults_after_flush`), existing ones left as the
    ministry edited them."""
    for category in DEFAULT_TIER:
        DeadlinePolicy.objects.using(using).get_or_create(
            category=category.value,
            defaults={"default_tier": DEFAULT_TIER[category].value, "urgent_hours": DEFAULT_TIER_HOURS[Tier.URGENT],
                      "standard_hours": DEFAULT_TIER_HOURS[Tier.STANDARD]},
        )


def default_tier(category: str) -> str:
    tier = DeadlinePolicy.objects.filter(category=category).values_list("default_tier", flat=True).first()
    return tier or DEFAULT_TIER.get(category, Tier.STANDARD)


def deadline_window(*, platform_id: int, category: str, tier: str) -> Window:
    """A platform override wins over the category's tier; the most specific override wins among them."""
    overrides = DeadlineOverride.objects.filter(
        Q(category=category) | Q(category=""),
        Q(tier=tier) | Q(tier=""),
        platform_id=platform_id,
        is_active=True,
    ).values("id", "category", "tier", "hours")
    best = max(overrides, key=lambda o: (bool(o["category"]), bool(o["tier"]), -o["hours"]), default=None)
    policy = DeadlinePolicy.objects.filter(category=category).first()
    rule = policy.objection_rule if policy is not None else ObjectionRule.RESUME
    if best is not None:
        return Window(hours=best["hours"], source=f"override:{best['id']}", objection_rule=rule)
    if policy is not None:
        return Window(hours=policy.hours_for(tier), source=f"policy:{category}", objection_rule=rule)
    return Window(hours=DEFAULT_TIER_HOURS[Tier(tier)], source="default", objection_rule=rule)
