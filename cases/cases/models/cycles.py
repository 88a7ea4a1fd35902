"""Submission cycles: each time a case is sent to its platform (the first submission, and each reopening) is
a cycle with its own deadline and its own facts, kept for good.

Why: the case row holds only the current cycle's facts (`due_at`, `overdue_at`, `is_late`, `acknowledged_at`,
`actioned_at`), which the lists, indexes and consoles read. Reopening used to clear them, and with them a
missed deadline from every figure. A cycle is never rewritten once the next one opens: a missed deadline
stays missed. `cases.cases.workflow.transition` and the sweeper write cycles in the same transaction as the case
and its one event; `cases.cases.cycles.replay` rebuilds them from the hash-chained events (the migration that
introduced them, and `manage.py check_cycles`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core.choices import ActionTaken, CycleOutcome, ObjectionRule
from cases.core.scoping import ScopedQuerySet


class CycleQuerySet(ScopedQuerySet):
    scope_platform = "case__platform"
    scope_case = "case"


class SubmissionCycle(models.Model):
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveIntegerField(_("cycle"), help_text=_("1 for the first submission, 2 after the first "
                                                                 "reopening, and so on."))
    opened_at = models.DateTimeField(_("sent at"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    deadline_hours = models.PositiveIntegerField(_("deadline window (hours)"))
    deadline_source = models.CharField(_("deadline source"), max_length=40, blank=True)
    objection_rule = models.CharField(
        _("after a rejected objection"), max_length=10, choices=ObjectionRule.choices, default=ObjectionRule.RESUME,
        help_text=_("The deadline policy in force when the cycle opened: resume with the time that was left, or a "
                    "fresh window."))
    first_due_at = models.DateTimeField(_("first deadline"))
    due_at = models.DateTimeField(_("deadline"), help_text=_("Moved only by a rejected objection lodged in time."))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    actioned_at = models.DateTimeField(_("action reported at"), null=True, blank=True)
    action_taken = models.CharField(_("action taken"), max_length=20, choices=ActionTaken.choices, blank=True)
    action_taken_at = models.DateTimeField(_("action taken at"), null=True, blank=True)
    is_late = models.BooleanField(_("late"), default=False)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    objected_at = models.DateTimeField(_("last objection lodged at"), null=True, blank=True)
    objection_pending = models.BooleanField(_("objection pending"), default=False)
    # Every objection of the cycle, in order: {"lodged_at", "reason", "minutes_left", "decided_at", "outcome",
    # "resumed", "due_at"} (ISO times). Written by the workflow, never edited.
    objections = models.JSONField(_("objections"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CycleOutcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["case", "number"]
        verbose_name = _("submission cycle")
        verbose_name_plural = _("submission cycles")
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="cycle_case_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="cycle_number_positive"),
        ]
        # The commitment measures read the cycles opened in a period (cases.commitments.selectors.measure_commitments).
        indexes = [models.Index(fields=["opened_at"], name="cycle_opened")]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.number}"

    @property
    def is_open(self) -> bool:
        return not self.outcome
