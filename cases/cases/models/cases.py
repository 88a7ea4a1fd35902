from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.cases.locations import InvalidLocation, normalize_location
from cases.core import clock
from cases.core.choices import (
    AWAITING_ACTION_STATUSES,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionTaken,
    CaseStatus,
    Category,
    ObjectionReason,
    RequestedAction,
    Source,
    Tier,
)
from cases.core.scoping import ScopedQuerySet


def default_issuing_authority() -> str:
    return settings.PATUH["ISSUING_AUTHORITY"]


DEFAULT_REDRESS = _(
    "The platform may object (sanggah) in Patuh before the deadline, stating its reasons; "
    "a supervisor decides the objection."
)


class ReferenceCounter(models.Model):
    """The last reference number handed out per year. Rows are locked while numbers are allocated."""

    year = models.PositiveIntegerField(
        verbose_name=_("year"),
        primary_key=True,
    )
    last = models.PositiveBigIntegerField(
        verbose_name=_("last number"),
        default=0,
    )

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class CaseQuerySet(ScopedQuerySet):
    scope_platform = "platform"
    scope_case = ""

    def open(self):
        return self.exclude(status__in=CLOSED_STATUSES)

    def awaiting_action(self):
        return self.filter(status__in=AWAITING_ACTION_STATUSES)


class Case(models.Model):
    """One piece of content on one platform, and the order to take it down.

    `status` and the lifecycle timestamps are written only by `cases.cases.workflow.transition`.
    """

    reference = models.CharField(
        verbose_name=_("reference"),
        max_length=32,
        unique=True,
        editable=False,
    )
    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    category = models.CharField(
        verbose_name=_("category"),
        max_length=30,
        choices=Category.choices,
    )
    tier = models.CharField(
        verbose_name=_("urgency tier"),
        max_length=10,
        choices=Tier.choices,
    )
    location_url = models.URLField(
        verbose_name=_("URL"),
        max_length=2048,
        blank=True,
    )
    handle = models.CharField(
        verbose_name=_("channel or account handle"),
        max_length=200,
        blank=True,
    )
    native_id = models.CharField(
        verbose_name=_("platform-native id"),
        max_length=200,
        blank=True,
    )
    normalized_location = models.CharField(
        verbose_name=_("normalized location"),
        max_length=2100,
        editable=False,
    )
    legal_basis = models.CharField(
        verbose_name=_("legal basis"),
        max_length=300,
        help_text=_("Statute and article, e.g. UU ITE Art. 27(1); MR5 Art. 9(4)."),
    )
    reasons = models.TextField(
        verbose_name=_("statement of reasons"),
    )
    requested_action = models.CharField(
        verbose_name=_("requested action"),
        max_length=20,
        choices=RequestedAction.choices,
        default=RequestedAction.REMOVE,
    )
    source = models.CharField(
        verbose_name=_("source"),
        max_length=20,
        choices=Source.choices,
        default=Source.MINISTRY,
    )
    source_detail = models.CharField(
        verbose_name=_("source detail"),
        max_length=200,
        blank=True,
        help_text=_("Referring agency, complaint ticket or crawler run."),
    )
    issuing_authority = models.CharField(
        verbose_name=_("issuing authority"),
        max_length=200,
        default=default_issuing_authority,
    )
    redress = models.TextField(
        verbose_name=_("redress available"),
        default=DEFAULT_REDRESS,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=20,
        choices=CaseStatus.choices,
        default=CaseStatus.DRAFT,
        editable=False,
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
    submitted_at = models.DateTimeField(
        verbose_name=_("submitted at"),
        null=True,
        blank=True,
        editable=False,
    )
    acknowledged_at = models.DateTimeField(
        verbose_name=_("acknowledged at"),
        null=True,
        blank=True,
        editable=False,
    )
    actioned_at = models.DateTimeField(
        verbose_name=_("action reported at"),
        null=True,
        blank=True,
        editable=False,
    )
    objected_at = models.DateTimeField(
        verbose_name=_("objected at"),
        null=True,
        blank=True,
        editable=False,
    )
    verified_at = models.DateTimeField(
        verbose_name=_("verified at"),
        null=True,
        blank=True,
        editable=False,
    )
    withdrawn_at = models.DateTimeField(
        verbose_name=_("withdrawn at"),
        null=True,
        blank=True,
        editable=False,
    )
    closed_at = models.DateTimeField(
        verbose_name=_("closed at"),
        null=True,
        blank=True,
        editable=False,
    )
    submission_count = models.PositiveIntegerField(
        verbose_name=_("times submitted"),
        default=0,
        editable=False,
        help_text=_("Counts the first submission and every reopening."),
    )
    deadline_hours = models.PositiveIntegerField(
        verbose_name=_("deadline window (hours)"),
        null=True,
        blank=True,
        editable=False,
    )
    due_at = models.DateTimeField(
        verbose_name=_("due at"),
        null=True,
        blank=True,
        editable=False,
    )
    overdue_at = models.DateTimeField(
        verbose_name=_("overdue since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the deadline passed with no action reported. Kept once set."),
    )
    is_late = models.BooleanField(
        verbose_name=_("late"),
        default=False,
        editable=False,
        help_text=_("The action was reported after the deadline."),
    )
    action_taken = models.CharField(
        verbose_name=_("action taken"),
        max_length=20,
        choices=ActionTaken.choices,
        blank=True,
        editable=False,
    )
    action_taken_at = models.DateTimeField(
        verbose_name=_("action taken at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the platform says it acted."),
    )
    objection_reason = models.CharField(
        verbose_name=_("objection reason"),
        max_length=30,
        choices=ObjectionReason.choices,
        blank=True,
        editable=False,
    )
    objection_text = models.TextField(
        verbose_name=_("objection"),
        blank=True,
        editable=False,
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="created_cases",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issuing officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="submitted_cases",
    )
    version = models.PositiveIntegerField(
        verbose_name=_("version"),
        default=1,
        editable=False,
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "normalized_location"],
                condition=~Q(status__in=CLOSED_STATUSES),
                name="uniq_open_case_per_location",
                violation_error_message=_("An open case already exists for this location on this platform."),
            ),
            models.CheckConstraint(
                condition=~Q(normalized_location=""),
                name="case_has_location",
                violation_error_message=_("Give a URL, a handle or a platform-native id."),
            ),
        ]
        indexes = [
            models.Index(fields=["platform", "status", "-created_at"], name="case_platform_status_recent"),
            models.Index(fields=["status", "-created_at"], name="case_status_recent"),
            models.Index(
                fields=["due_at"],
                condition=Q(status__in=AWAITING_ACTION_STATUSES),
                name="case_awaiting_due",
            ),
            # "Due within 1 h" on the dashboards, per platform: the awaiting cases not yet marked overdue, by deadline
            # (tens of thousands of rows at 10M, where the index above also holds every overdue one).
            models.Index(
                fields=["platform", "due_at"],
                condition=Q(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=True),
                name="case_awaiting_unmarked_due",
            ),
            models.Index(fields=["-submitted_at"], name="case_submitted_recent"),
            # The default list order, and the daily series' ranges over action and overdue times.
            models.Index(fields=["-created_at", "-id"], name="case_recent"),
            # The platforms' polls, `GET /api/v1/cases/?updated_since=...`: a range over the recent changes, not
            # a scan of every case of the platform.
            models.Index(fields=["updated_at"], name="case_updated_since"),
            models.Index(fields=["actioned_at"], condition=Q(actioned_at__isnull=False), name="case_actioned_at"),
            models.Index(fields=["overdue_at"], condition=Q(overdue_at__isnull=False), name="case_overdue_at"),
            # The lists of overdue cases (deadline filter "overdue", with platform and status): the overdue
            # cases are old, so walking the recency indexes meets years of on-time cases first (650 ms at
            # ten million); this partial index holds only the overdue open ones, in list order.
            models.Index(
                fields=["platform", "status", "-created_at", "-id"],
                condition=Q(status__in=AWAITING_ACTION_STATUSES, overdue_at__isnull=False), name="case_overdue_list",
            ),
            # Open cases by platform and deadline state (the dashboards' live figures): an index-only scan of
            # the open cases, not of the years of closed ones.
            models.Index(
                fields=["platform", "status"], include=["id", "due_at", "overdue_at"],
                condition=Q(status__in=[s for s in OPEN_STATUSES if s != CaseStatus.DRAFT]), name="case_open_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or _("(new case)")

    @property
    def location_display(self) -> str:
        return self.location_url or (f"@{self.handle.lstrip('@')}" if self.handle else self.native_id)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def clean(self):
        try:
            self.normalized_location = normalize_location(
                url=self.location_url, handle=self.handle, native_id=self.native_id
            )
        except InvalidLocation as err:
            raise ValidationError({"location_url": str(err)}, code="invalid_location") from None
        if not self.normalized_location:
            raise ValidationError(_("Give a URL, a handle or a platform-native id."))

    def open_duplicate(self):
        """The open case already holding this location on this platform, if any."""
        if not self.platform_id or not self.normalized_location or not self.is_open:
            return None
        return (
            Case.objects.open()
            .filter(platform_id=self.platform_id, normalized_location=self.normalized_location)
            .exclude(pk=self.pk)
            .only("reference", "status")
            .first()
        )

    def validate_constraints(self, exclude=None):
        if not self.normalized_location:
            # clean() has said why (no location, or one that is not a web address): not a second time.
            exclude = {*(exclude or ()), "normalized_location"}
        # Name the existing case instead of the generic constraint message.
        duplicate = self.open_duplicate()
        if duplicate is not None:
            raise ValidationError(
                {NON_FIELD_ERRORS: [duplicate_message(duplicate)]}, code="duplicate_open_case"
            )
        super().validate_constraints(exclude=exclude)


def duplicate_message(existing: "Case") -> str:
    return _("An open case already exists for this location on this platform: %(reference)s (%(status)s).") % {
        "reference": existing.reference,
        "status": existing.get_status_display(),
    }
