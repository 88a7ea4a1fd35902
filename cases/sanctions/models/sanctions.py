from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.cases.models.events import AuditedEvent, event_actor
from cases.core import clock
from cases.core.choices import Category, SanctionAction, SanctionLevel, SanctionStatus
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet


class SanctionQuerySet(ScopedQuerySet):
    # Liaisons see sanctions once issued; proposals are the ministry's deliberation.
    scope_platform = "platform"
    scope_extra = Q(issued_at__isnull=False)


class Sanction(models.Model):
    """A rung of the escalation ladder for a platform. The system proposes; a supervisor issues."""

    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    level = models.PositiveSmallIntegerField(
        verbose_name=_("level"),
        choices=SanctionLevel.choices,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=SanctionStatus.choices,
        default=SanctionStatus.PROPOSED,
        editable=False,
    )
    reason = models.TextField(
        verbose_name=_("reason"),
        blank=True,
    )
    content_category = models.CharField(
        verbose_name=_("content category (no cited cases)"),
        max_length=30,
        choices=Category.choices,
        blank=True,
        help_text=_("The content basis of a proposal that cites no cases, with the reason in `reason`."),
    )
    cases = models.ManyToManyField(
        "cases.Case",
        verbose_name=_("cases"),
        through="cases.SanctionCase",
        related_name="sanctions",
        blank=True,
    )
    letter_reference = models.CharField(
        verbose_name=_("letter reference"),
        max_length=100,
        blank=True,
    )
    proposed_at = models.DateTimeField(
        verbose_name=_("proposed at"),
        default=clock.now,
        editable=False,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Empty when the deadline sweeper proposed it."),
    )
    issued_at = models.DateTimeField(
        verbose_name=_("issued at"),
        null=True,
        blank=True,
        editable=False,
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    complied_at = models.DateTimeField(
        verbose_name=_("complied / paid at"),
        null=True,
        blank=True,
        editable=False,
    )
    lifted_at = models.DateTimeField(
        verbose_name=_("lifted at"),
        null=True,
        blank=True,
        editable=False,
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    status_note = models.TextField(
        verbose_name=_("note on the last status change"),
        blank=True,
        editable=False,
    )
    amount = models.DecimalField(
        verbose_name=_("fine amount"),
        max_digits=20,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
    )
    fine_inputs = models.JSONField(
        verbose_name=_("fine inputs"),
        default=dict,
        blank=True,
        editable=False,
        help_text=_("The policy, indices, cap and tariff the amount was computed from."),
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        constraints = [
            models.UniqueConstraint(
                fields=["platform"],
                condition=Q(status=SanctionStatus.PROPOSED),
                name="one_pending_proposal_per_platform",
                violation_error_message=_("This platform already has a sanction awaiting a decision."),
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "status", "level"], name="sanction_platform_status"),
        ]

    def __str__(self) -> str:
        return f"{self.platform} · {self.get_level_display()} · {self.get_status_display()}"


class SanctionCase(models.Model):
    """An overdue case cited by a sanction. A case earns at most one rung."""

    sanction = models.ForeignKey(
        Sanction,
        verbose_name=_("sanction"),
        on_delete=models.PROTECT,
        related_name="citations",
    )
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="sanction_citation",
    )
    created_at = models.DateTimeField(
        verbose_name=_("cited at"),
        default=clock.now,
    )

    objects = MinistryOnlyQuerySet.as_manager()  # no liaison reads these rows (cases.checks)

    class Meta:
        verbose_name = _("cited case")
        verbose_name_plural = _("cited cases")

    def __str__(self) -> str:
        return f"{self.sanction_id} ← {self.case_id}"


INTERNAL_SANCTION_STEPS = (SanctionAction.PROPOSE, SanctionAction.CITE, SanctionAction.WITHDRAW)


class SanctionEventQuerySet(ScopedQuerySet):
    # A liaison sees the steps of their platform's issued sanctions, never the ministry's deliberation.
    scope_platform = "sanction__platform"
    scope_extra = Q(sanction__issued_at__isnull=False) & ~Q(kind__in=INTERNAL_SANCTION_STEPS)


class SanctionEvent(AuditedEvent):
    """One step of a sanction's lifecycle, hash-chained (cases/core/audit.py). Written only by
    `cases.sanctions.services.sanctions.transition`, in the transaction that made the step."""

    sanction = models.ForeignKey(
        Sanction,
        verbose_name=_("sanction"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    actor = event_actor("sanction_events")
    kind = models.CharField(
        verbose_name=_("step"),
        max_length=30,
        choices=SanctionAction.choices,
    )
    from_status = models.CharField(
        verbose_name=_("from status"),
        max_length=20,
        choices=SanctionStatus.choices,
        blank=True,
    )
    to_status = models.CharField(
        verbose_name=_("to status"),
        max_length=20,
        choices=SanctionStatus.choices,
        blank=True,
    )

    objects = SanctionEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("sanction event")
        verbose_name_plural = _("sanction events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.actor_name}"
