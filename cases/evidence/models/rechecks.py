"""Re-checks: Patuh fetching a case's location itself to see whether the content is really gone.

Three tables:
- `Recheck`: one fetch of one location from one vantage point, planned (pending), claimed by a worker (running)
  and finished (done, with its verdict, evidence and timeline event) or cancelled. Scheduled re-checks are
  planned from the case's state by `cases.evidence.services.rechecks.plan`, so none is lost if a job is.
- `RecheckHost`: what every worker shares about one host: the next free slot of its rate limit and its
  circuit breaker.
- `StillLiveFlag`: "reported removed, still live": a re-check found the content live after the platform
  reported an action that should have made it unreachable. It proposes a reopen; an analyst confirms it
  (through `cases.cases.workflow.transition`) or dismisses it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.choices import Visibility
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet


class Verdict(models.TextChoices):
    GONE = "gone", _("gone")
    RESTRICTED = "restricted", _("restricted")
    LIVE = "live", _("live")
    UNKNOWN = "unknown", _("unknown")


CONCLUSIVE_VERDICTS = (Verdict.GONE, Verdict.RESTRICTED, Verdict.LIVE)


class RecheckReason(models.TextChoices):
    AFTER_ACTION = "after_action", _("after the reported action")
    PRE_DEADLINE = "pre_deadline", _("just before the deadline")
    ON_DEMAND = "on_demand", _("on demand")


class RecheckStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("reopen proposed")
    CONFIRMED = "confirmed", _("reopened")
    DISMISSED = "dismissed", _("dismissed")


class RecheckQuerySet(ScopedQuerySet):
    # Liaisons see finished re-checks shared with their platform: never the schedule (which would tell a
    # platform when to have the content down), never another platform's.
    scope_platform = "case__platform"
    scope_case = "case"
    scope_visibility = "visibility"
    scope_extra = Q(status=RecheckStatus.DONE)

    def pending(self):
        return self.filter(status=RecheckStatus.PENDING)


class Recheck(models.Model):
    """One fetch of a case's location from one vantage point."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="rechecks",
    )
    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The case's platform, kept here for the reports."),
    )
    cycle = models.PositiveIntegerField(
        verbose_name=_("submission"),
        help_text=_("The case's submission cycle this re-check belongs to."),
    )
    reason = models.CharField(
        verbose_name=_("reason"),
        max_length=20,
        choices=RecheckReason.choices,
    )
    slot = models.CharField(
        verbose_name=_("slot"),
        max_length=40,
        help_text=_("Which re-check of the cycle: +1h, +24h, +7d, before the deadline, or on demand."),
    )
    vantage = models.CharField(
        verbose_name=_("vantage point"),
        max_length=40,
    )
    url = models.CharField(
        verbose_name=_("URL fetched"),
        max_length=2048,
    )
    host = models.CharField(
        verbose_name=_("host"),
        max_length=255,
        db_index=True,
    )
    action_taken = models.CharField(
        verbose_name=_("action reported"),
        max_length=20,
        blank=True,
        help_text=_("What the platform said it did, when the re-check was planned."),
    )
    action_reported_at = models.DateTimeField(
        verbose_name=_("action reported at"),
        null=True,
        blank=True,
    )
    visibility = models.CharField(
        verbose_name=_("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.SHARED,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=RecheckStatus.choices,
        default=RecheckStatus.PENDING,
    )
    due_at = models.DateTimeField(
        verbose_name=_("due at"),
    )
    created_at = models.DateTimeField(
        verbose_name=_("planned at"),
        default=clock.now,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(
        verbose_name=_("claimed at"),
        null=True,
        blank=True,
    )
    claim_token = models.CharField(
        verbose_name=_("claim token"),
        max_length=32,
        blank=True,
    )
    start_after = models.DateTimeField(
        verbose_name=_("start after"),
        null=True,
        blank=True,
        help_text=_("The host's rate-limit slot the fetch waited for."),
    )
    checked_at = models.DateTimeField(
        verbose_name=_("checked at"),
        null=True,
        blank=True,
    )
    verdict = models.CharField(
        verbose_name=_("verdict"),
        max_length=10,
        choices=Verdict.choices,
        blank=True,
    )
    interpreter = models.CharField(
        verbose_name=_("interpreter"),
        max_length=20,
        blank=True,
    )
    http_status = models.PositiveSmallIntegerField(
        verbose_name=_("HTTP status"),
        null=True,
        blank=True,
    )
    finding = models.TextField(
        verbose_name=_("what was seen"),
        blank=True,
    )
    elapsed_ms = models.PositiveIntegerField(
        verbose_name=_("time taken (ms)"),
        null=True,
        blank=True,
    )
    contradicts = models.BooleanField(
        verbose_name=_("contradicts the reported action"),
        default=False,
        help_text=_("Live where the platform's reported action should have made it unreachable."),
    )
    evidence = models.ForeignKey(
        "cases.Evidence",
        verbose_name=_("evidence"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    event = models.ForeignKey(
        "cases.CaseEvent",
        verbose_name=_("timeline event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.CharField(
        verbose_name=_("note"),
        max_length=300,
        blank=True,
        help_text=_("Why a re-check was cancelled."),
    )

    objects = RecheckQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "-id"]
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="recheck_pending_due"),
            models.Index(fields=["status", "claimed_at"], condition=Q(status="running"), name="recheck_running"),
            models.Index(fields=["case", "cycle"], name="recheck_case_cycle"),
            models.Index(fields=["platform", "action_reported_at"], condition=Q(status="done"),
                         name="recheck_done_report"),
        ]
        constraints = [
            # A scheduled slot is planned once per cycle and vantage, however many planners run.
            models.UniqueConstraint(
                fields=["case", "cycle", "slot", "vantage"], condition=~Q(reason="on_demand"),
                name="recheck_one_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slot} · {self.vantage} · {self.verdict or self.get_status_display()}"


class RecheckHostQuerySet(MinistryOnlyQuerySet):
    """Rate limits and circuit breakers per host: the ministry's machinery."""


class RecheckHost(models.Model):
    """Per host, shared by every worker: the rate limit's next free slot and the circuit breaker."""

    host = models.CharField(
        verbose_name=_("host"),
        max_length=255,
        unique=True,
    )
    next_slot_at = models.DateTimeField(
        verbose_name=_("next free slot"),
        default=clock.now,
    )
    failures = models.PositiveIntegerField(
        verbose_name=_("failures in a row"),
        default=0,
    )
    open_until = models.DateTimeField(
        verbose_name=_("circuit open until"),
        null=True,
        blank=True,
    )
    probing = models.BooleanField(
        verbose_name=_("probe out"),
        default=False,
        help_text=_("The circuit's cooldown is over and one re-check is testing the host."),
    )
    times_opened = models.PositiveIntegerField(
        verbose_name=_("times opened in a row"),
        default=0,
    )
    last_error = models.CharField(
        verbose_name=_("last error"),
        max_length=300,
        blank=True,
    )
    last_success_at = models.DateTimeField(
        verbose_name=_("last success"),
        null=True,
        blank=True,
    )
    last_failure_at = models.DateTimeField(
        verbose_name=_("last failure"),
        null=True,
        blank=True,
    )

    objects = RecheckHostQuerySet.as_manager()

    class Meta:
        ordering = ["host"]
        verbose_name = _("re-check host")
        verbose_name_plural = _("re-check hosts")

    def __str__(self) -> str:
        return self.host


class StillLiveFlagQuerySet(MinistryOnlyQuerySet):
    # A lead for the ministry: the platform sees the re-check itself (shared), and the reopen if confirmed.

    def open(self):
        """Flags still waiting for an analyst: open, on the cycle they were raised in, while the case is actioned
        (a case reopened or withdrawn by any route has been decided)."""
        from django.db.models import F

        from cases.core.choices import CaseStatus

        return self.filter(status=FlagStatus.OPEN, case__submission_count=F("cycle"),
                           case__status__in=(CaseStatus.ACTIONED, CaseStatus.VERIFIED))


class StillLiveFlag(models.Model):
    """"Reported removed, still live", and the reopen it proposes."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="still_live_flags",
    )
    cycle = models.PositiveIntegerField(
        verbose_name=_("submission"),
    )
    recheck = models.ForeignKey(
        Recheck,
        verbose_name=_("re-check"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The re-check that found the content live."),
    )
    raised_at = models.DateTimeField(
        verbose_name=_("raised at"),
        default=clock.now,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=10,
        choices=FlagStatus.choices,
        default=FlagStatus.OPEN,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(
        verbose_name=_("decided at"),
        null=True,
        blank=True,
    )
    decision_note = models.TextField(
        verbose_name=_("decision note"),
        blank=True,
    )

    objects = StillLiveFlagQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("still-live flag")
        verbose_name_plural = _("still-live flags")
        constraints = [
            models.UniqueConstraint(fields=["case", "cycle"], name="still_live_flag_one_per_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.get_status_display()}"
