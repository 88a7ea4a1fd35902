from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.cases.models.events import AuditedEvent, event_actor
from cases.core import clock, display
from cases.core.choices import Category, CommitmentAction, CommitmentKind, CommitmentOwner, CommitmentStatus
from cases.core.scoping import ScopedQuerySet


class MeetingQuerySet(ScopedQuerySet):
    scope_platform = "platforms"
    scope_distinct = True  # a meeting of two of the liaison's platforms would come twice

    def liaison_extra(self, user):
        from cases.cases.models.platforms import Platform
        from cases.core.roles import liaison_platform_ids

        # A joint meeting's minutes and attendees speak for other platforms too: ministry only.
        others = Platform.objects.exclude(pk__in=liaison_platform_ids(user))
        return ~Q(pk__in=self.model.objects.filter(platforms__in=others).values("pk"))


class Meeting(models.Model):
    """A meeting between the ministry and one or more platforms, where commitments are made."""

    title = models.CharField(
        verbose_name=_("title"),
        max_length=200,
    )
    title_en = models.CharField(
        verbose_name=_("title (English)"),
        max_length=200,
        blank=True,
    )
    held_on = models.DateField(
        verbose_name=_("date"),
    )
    ends_on = models.DateField(
        verbose_name=_("until"),
        null=True,
        blank=True,
        help_text=_("For a series of meetings whose exact day is not recorded."),
    )
    place = models.CharField(
        verbose_name=_("place"),
        max_length=200,
        blank=True,
    )
    platforms = models.ManyToManyField(
        "cases.Platform",
        verbose_name=_("platforms"),
        related_name="meetings",
    )
    ministry_attendees = models.TextField(
        verbose_name=_("ministry attendees"),
        blank=True,
    )
    platform_attendees = models.TextField(
        verbose_name=_("platform attendees"),
        blank=True,
    )
    minutes = models.TextField(
        verbose_name=_("minutes"),
        blank=True,
    )
    minutes_en = models.TextField(
        verbose_name=_("minutes (English)"),
        blank=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        default=clock.now,
        editable=False,
    )

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self) -> str:
        return f"{display.when(self.held_on)} {self.title}"


class CommitmentQuerySet(ScopedQuerySet):
    scope_platform = "platform"


class Commitment(models.Model):
    """Something promised in a meeting. A commitment with a category and target hours is measured from cases."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
    )
    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="commitments",
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=30,
        choices=CommitmentKind.choices,
        default=CommitmentKind.OTHER,
    )
    text = models.TextField(
        verbose_name=_("commitment (Indonesian)"),
    )
    text_en = models.TextField(
        verbose_name=_("commitment (English)"),
        blank=True,
    )
    owner = models.CharField(
        verbose_name=_("owner"),
        max_length=20,
        choices=CommitmentOwner.choices,
        default=CommitmentOwner.PLATFORM,
    )
    owner_name = models.CharField(
        verbose_name=_("responsible person or team"),
        max_length=200,
        blank=True,
    )
    due_on = models.DateField(
        verbose_name=_("due date"),
        null=True,
        blank=True,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.OPEN,
        editable=False,
    )
    measured_category = models.CharField(
        verbose_name=_("measured category"),
        max_length=30,
        choices=Category.choices,
        blank=True,
        help_text=_("With target hours, Patuh measures this commitment from the platform's cases."),
    )
    target_hours = models.PositiveIntegerField(
        verbose_name=_("target hours"),
        null=True,
        blank=True,
    )
    source = models.CharField(
        verbose_name=_("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the commitment is recorded (minutes, press release)."),
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        default=clock.now,
        editable=False,
    )
    updated_at = models.DateTimeField(
        verbose_name=_("updated at"),
        default=clock.now,
        editable=False,
    )

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["platform__name", "id"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(measured_category="", target_hours__isnull=True)
                    | (~models.Q(measured_category="") & models.Q(target_hours__gt=0))
                ),
                name="commitment_measure_complete",
                violation_error_message=_("A measured commitment needs both a category and target hours."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}: {self.text_en or self.text}"[:120]

    @property
    def is_measured(self) -> bool:
        return bool(self.measured_category and self.target_hours)


class CommitmentUpdateQuerySet(ScopedQuerySet):
    scope_platform = "commitment__platform"


class CommitmentUpdate(models.Model):
    """A dated progress note on a commitment, from the liaison or the ministry."""

    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        on_delete=models.PROTECT,
        related_name="updates",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="commitment_updates",
    )
    created_at = models.DateTimeField(
        verbose_name=_("time"),
        default=clock.now,
        editable=False,
    )
    note = models.TextField(
        verbose_name=_("progress"),
    )
    status = models.CharField(
        verbose_name=_("new status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        blank=True,
    )
    progress_percent = models.PositiveSmallIntegerField(
        verbose_name=_("progress (%)"),
        null=True,
        blank=True,
    )
    evidence_url = models.URLField(
        verbose_name=_("evidence link"),
        max_length=2048,
        blank=True,
    )

    objects = CommitmentUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("commitment update")
        verbose_name_plural = _("commitment updates")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress_percent__isnull=True) | models.Q(progress_percent__lte=100),
                name="commitment_update_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commitment_id} @ {display.when(self.created_at)}"


class CommitmentEventQuerySet(ScopedQuerySet):
    scope_platform = "commitment__platform"


class CommitmentEvent(AuditedEvent):
    """One step of a commitment's lifecycle, hash-chained (cases/core/audit.py). Written only by
    `cases.commitments.services.commitments.transition`, in the transaction that made the step."""

    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    actor = event_actor("commitment_events")
    kind = models.CharField(
        verbose_name=_("step"),
        max_length=30,
        choices=CommitmentAction.choices,
    )
    from_status = models.CharField(
        verbose_name=_("from status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        blank=True,
    )
    to_status = models.CharField(
        verbose_name=_("to status"),
        max_length=20,
        choices=CommitmentStatus.choices,
        blank=True,
    )

    objects = CommitmentEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("commitment event")
        verbose_name_plural = _("commitment events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.actor_name}"
