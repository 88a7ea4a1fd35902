"""Webhooks: a platform's endpoints, the messages queued for them, every attempt, and proof of service.

Why rows and not only jobs: a delivery row is written in the same transaction as the event it announces (as
the notification outbox is), so a crash, a full queue or a lost job never loses it; the job queue only says
"look now". Every attempt is kept, for the platform and the ministry alike: it is the proof of service.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.scoping import ScopedQuerySet
from cases.core.sealing import SealedCharField


class WebhookEventType(models.TextChoices):
    CASE_SUBMITTED = "case.submitted", _("case.submitted: a new order (or a reopened one)")
    CASE_UPDATED = "case.updated", _("case.updated: a case changed status")
    CASE_DUE_SOON = "case.due_soon", _("case.due_soon: a deadline is near")
    CASE_OVERDUE = "case.overdue", _("case.overdue: a deadline passed with no action")
    COMMENT_SHARED = "comment.shared", _("comment.shared: a comment shared on a case")
    LETTER_ISSUED = "letter.issued", _("letter.issued: an official letter to the platform")
    SANCTION_ISSUED = "sanction.issued", _("sanction.issued: a sanction was issued")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (retries exhausted)")
    CANCELLED = "cancelled", _("Cancelled (endpoint disabled)")


class WebhookEndpointQuerySet(ScopedQuerySet):
    scope_platform = "platform"


class WebhookEndpoint(models.Model):
    """A URL of a platform's own system that receives signed events (the Standard Webhooks convention)."""

    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
    )
    url = models.URLField(
        verbose_name=_("URL"),
        max_length=500,
        help_text=_("Where events are POSTed. HTTPS; a public address."),
    )
    description = models.CharField(
        verbose_name=_("description"),
        max_length=200,
        blank=True,
        help_text=_("What this endpoint is, e.g. “trust-and-safety ticket queue”."),
    )
    event_types = models.JSONField(
        verbose_name=_("event types"),
        default=list,
        help_text=_("The events this endpoint receives."),
    )
    is_active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
        help_text=_("Untick to pause: no new events are queued for it, and those already queued wait until "
                    "you tick it again."),
    )
    # Sealed at rest (cases/core/sealing.py): the database alone cannot sign a webhook.
    secret = SealedCharField(
        verbose_name=_("signing secret"),
        max_length=300,
        editable=False,
    )
    previous_secret = SealedCharField(
        verbose_name=_("previous signing secret"),
        max_length=300,
        blank=True,
        editable=False,
    )
    previous_secret_expires_at = models.DateTimeField(
        verbose_name=_("previous secret valid until"),
        null=True,
        blank=True,
        editable=False,
    )
    secret_rotated_at = models.DateTimeField(
        verbose_name=_("secret rotated at"),
        null=True,
        blank=True,
        editable=False,
    )
    disabled_at = models.DateTimeField(
        verbose_name=_("disabled at"),
        null=True,
        blank=True,
        editable=False,
    )
    disabled_reason = models.CharField(
        verbose_name=_("why disabled"),
        max_length=300,
        blank=True,
        editable=False,
    )
    failure_streak = models.PositiveIntegerField(
        verbose_name=_("failures in a row"),
        default=0,
        editable=False,
    )
    last_success_at = models.DateTimeField(
        verbose_name=_("last success"),
        null=True,
        blank=True,
        editable=False,
    )
    last_failure_at = models.DateTimeField(
        verbose_name=_("last failure"),
        null=True,
        blank=True,
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
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

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["platform__name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["platform", "is_active"], name="webhook_endpoint_platform")]

    def __str__(self) -> str:
        return self.url

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    def signing_secrets(self, now=None) -> list[str]:
        """The current secret, and the previous one while its overlap lasts. Empty when the current one cannot be
        opened (SECRET_KEY changed without its fallback, cases/core/sealing.py): nothing may be signed then."""
        now = now or clock.now()
        if not self.secret:
            return []
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDeliveryQuerySet(ScopedQuerySet):
    scope_platform = "platform"


class WebhookDelivery(models.Model):
    """One message to one endpoint. Its `message_id` is the `webhook-id` header of every attempt, retries and
    redeliveries included, so a receiver can drop what it has already processed."""

    key = models.CharField(
        verbose_name=_("key"),
        max_length=200,
        unique=True,
        help_text=_("The event and the endpoint: queuing the same message twice keeps one row."),
    )
    message_id = models.CharField(
        verbose_name=_("webhook id"),
        max_length=40,
        unique=True,
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_deliveries",
    )
    event_type = models.CharField(
        verbose_name=_("event type"),
        max_length=40,
        choices=WebhookEventType.choices,
    )
    payload = models.JSONField(
        verbose_name=_("payload"),
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=12,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    created_at = models.DateTimeField(
        verbose_name=_("queued at"),
        default=clock.now,
    )
    next_attempt_at = models.DateTimeField(
        verbose_name=_("next attempt at"),
        null=True,
        blank=True,
    )
    claimed_at = models.DateTimeField(
        verbose_name=_("claimed at"),
        null=True,
        blank=True,
    )
    claim_token = models.CharField(
        verbose_name=_("claim"),
        max_length=32,
        blank=True,
    )
    attempts = models.PositiveSmallIntegerField(
        verbose_name=_("attempts"),
        default=0,
    )
    redelivery_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("redelivery asked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    delivered_at = models.DateTimeField(
        verbose_name=_("delivered at"),
        null=True,
        blank=True,
    )
    last_status_code = models.PositiveSmallIntegerField(
        verbose_name=_("last HTTP status"),
        null=True,
        blank=True,
    )
    last_error = models.CharField(
        verbose_name=_("last error"),
        max_length=500,
        blank=True,
    )

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["platform", "-created_at"], name="webhook_delivery_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class WebhookAttemptQuerySet(ScopedQuerySet):
    scope_platform = "delivery__platform"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back, how long it took, or why it failed."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempt_log",
    )
    number = models.PositiveSmallIntegerField(
        verbose_name=_("attempt"),
    )
    attempted_at = models.DateTimeField(
        verbose_name=_("time"),
        default=clock.now,
    )
    status_code = models.PositiveSmallIntegerField(
        verbose_name=_("HTTP status"),
        null=True,
        blank=True,
    )
    latency_ms = models.PositiveIntegerField(
        verbose_name=_("latency (ms)"),
        default=0,
    )
    error = models.CharField(
        verbose_name=_("error"),
        max_length=500,
        blank=True,
    )
    response_excerpt = models.CharField(
        verbose_name=_("response (start)"),
        max_length=1024,
        blank=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("redelivery asked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = WebhookAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class ServiceRecordQuerySet(ScopedQuerySet):
    scope_platform = "platform"
    scope_case = "case"


class ServiceRecord(models.Model):
    """Proof of service of one submission cycle of a case: when the order reached the platform's system, when a
    liaison first opened it, and whether it had to fall back to e-mail (urgent orders after 15 minutes)."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    cycle = models.PositiveIntegerField(
        verbose_name=_("submission"),
    )
    platform = models.ForeignKey(
        "cases.Platform",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    urgent = models.BooleanField(
        verbose_name=_("urgent"),
        default=False,
    )
    submitted_at = models.DateTimeField(
        verbose_name=_("submitted at"),
    )
    by_webhook = models.BooleanField(
        verbose_name=_("sent by webhook"),
        default=False,
        help_text=_("The platform had an endpoint for new orders when this one was submitted."),
    )
    delivered_at = models.DateTimeField(
        verbose_name=_("delivered to the platform's system at"),
        null=True,
        blank=True,
    )
    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_at = models.DateTimeField(
        verbose_name=_("first opened by a liaison at"),
        null=True,
        blank=True,
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    fallback_at = models.DateTimeField(
        verbose_name=_("fell back to e-mail at"),
        null=True,
        blank=True,
    )

    objects = ServiceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [models.UniqueConstraint(fields=["case", "cycle"], name="service_record_once_per_cycle")]
        indexes = [
            models.Index(fields=["submitted_at"], name="service_record_unserved",
                         condition=Q(urgent=True, by_webhook=True, delivered_at__isnull=True, opened_at__isnull=True,
                                     fallback_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.cycle}"
