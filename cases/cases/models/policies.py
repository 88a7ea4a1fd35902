from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.choices import Category, FineFactor, ObjectionRule, Tier
from cases.core.scoping import MinistryOnlyQuerySet


class DeadlinePolicy(models.Model):
    """Per category: its default tier and the hours each tier allows (MR5: urgent 4 h, standard 24 h)."""

    category = models.CharField(
        verbose_name=_("category"),
        max_length=30,
        choices=Category.choices,
        unique=True,
    )
    default_tier = models.CharField(
        verbose_name=_("default tier"),
        max_length=10,
        choices=Tier.choices,
    )
    urgent_hours = models.PositiveIntegerField(
        verbose_name=_("urgent window (hours)"),
        default=4,
    )
    standard_hours = models.PositiveIntegerField(
        verbose_name=_("standard window (hours)"),
        default=24,
    )
    legal_basis = models.CharField(
        verbose_name=_("legal basis"),
        max_length=300,
        blank=True,
        help_text=_("The default legal basis offered for new cases of this category."),
    )
    objection_rule = models.CharField(
        verbose_name=_("after a rejected objection"),
        max_length=10,
        choices=ObjectionRule.choices,
        default=ObjectionRule.RESUME,
        help_text=_("While a case is objected its clock is stopped. When the objection is rejected the clock "
                    "resumes with the time that was left (at least 1 hour), or starts a fresh window."),
    )
    updated_at = models.DateTimeField(
        verbose_name=_("updated at"),
        default=clock.now,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["category"]
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(urgent_hours__gt=0) & Q(standard_hours__gt=0),
                name="deadline_policy_positive_hours",
            ),
        ]

    def __str__(self) -> str:
        return self.get_category_display()

    def hours_for(self, tier: str) -> int:
        return self.urgent_hours if tier == Tier.URGENT else self.standard_hours


class DeadlineOverride(models.Model):
    """A platform-specific window that wins over the category's tier (e.g. a commitment made in a meeting)."""

    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="deadline_overrides",
    )
    category = models.CharField(
        verbose_name=_("category"),
        max_length=30,
        choices=Category.choices,
        blank=True,
        help_text=_("Empty: every category."),
    )
    tier = models.CharField(
        verbose_name=_("tier"),
        max_length=10,
        choices=Tier.choices,
        blank=True,
        help_text=_("Empty: both tiers."),
    )
    hours = models.PositiveIntegerField(
        verbose_name=_("window (hours)"),
    )
    reason = models.CharField(
        verbose_name=_("reason"),
        max_length=300,
        blank=True,
    )
    commitment = models.ForeignKey(
        "cases.Commitment",
        verbose_name=_("from commitment"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deadline_overrides",
    )
    is_active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
    )

    objects = MinistryOnlyQuerySet.as_manager()  # no liaison reads these rows (cases.checks)

    class Meta:
        ordering = ["platform__name", "category", "tier"]
        verbose_name = _("deadline override")
        verbose_name_plural = _("deadline overrides")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "category", "tier"],
                condition=Q(is_active=True),
                name="uniq_active_override",
                violation_error_message=_("An active override for this platform, category and tier exists."),
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="override_positive_hours"),
        ]

    def __str__(self) -> str:
        what = self.get_category_display() if self.category else _("all categories")
        return f"{self.platform}: {what} {self.hours} h"


class FinePolicy(models.Model):
    """The fine formula in force from a date: product of factor indices × points cap × tariff per point."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=200,
    )
    effective_from = models.DateField(
        verbose_name=_("effective from"),
        unique=True,
    )
    points_cap = models.PositiveIntegerField(
        verbose_name=_("points cap"),
    )
    tariff_per_point = models.DecimalField(
        verbose_name=_("tariff per point"),
        max_digits=18,
        decimal_places=2,
    )
    currency = models.CharField(
        verbose_name=_("currency"),
        max_length=3,
        default="IDR",
    )
    legal_basis = models.CharField(
        verbose_name=_("legal basis"),
        max_length=300,
        blank=True,
    )

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("fine policy")
        verbose_name_plural = _("fine policies")

    def __str__(self) -> str:
        return f"{self.name} ({self.effective_from})"


class FineFactorValue(models.Model):
    """One index of the fine formula, e.g. factor=content key=terrorism value=2.0."""

    policy = models.ForeignKey(
        FinePolicy,
        verbose_name=_("policy"),
        on_delete=models.CASCADE,
        related_name="factors",
    )
    factor = models.CharField(
        verbose_name=_("factor"),
        max_length=20,
        choices=FineFactor.choices,
    )
    key = models.CharField(
        verbose_name=_("key"),
        max_length=40,
        help_text=_("The value the index applies to: a category, platform type, scale, level, count or virality."),
    )
    value = models.DecimalField(
        verbose_name=_("index"),
        max_digits=8,
        decimal_places=3,
        default=Decimal("1.000"),
    )

    class Meta:
        ordering = ["policy", "factor", "key"]
        verbose_name = _("fine factor")
        verbose_name_plural = _("fine factors")
        constraints = [
            models.UniqueConstraint(fields=["policy", "factor", "key"], name="uniq_fine_factor"),
            models.CheckConstraint(condition=Q(value__gt=0), name="fine_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_factor_display()}[{self.key}] = {self.value}"
