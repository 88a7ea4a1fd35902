"""The one source of deadlines: which window applies to a case, and when it is due."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from cases.choices import DEFAULT_TIER, DEFAULT_TIER_HOURS, Tier
from cases.models import DeadlineOverride, DeadlinePolicy


@dataclass(frozen=True)
class Window:
    hours: int
    source: str  # "override:<id>", "policy:<category>" or "default"

    def due_from(self, start: datetime) -> datetime:
        # Calendar hours: MR5 counts 1×24 hours, not working days.
        return start + timedelta(hours=self.hours)


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
    if best is not None:
        return Window(hours=best["hours"], source=f"override:{best['id']}")
    policy = DeadlinePolicy.objects.filter(category=category).first()
    if policy is not None:
        return Window(hours=policy.hours_for(tier), source=f"policy:{category}")
    return Window(hours=DEFAULT_TIER_HOURS[Tier(tier)], source="default")
