from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.choices import NotificationKind
from cases.core.scoping import MinistryOnlyQuerySet


class Notification(models.Model):
    """The outbox. `key` is unique, so queuing the same notice twice (two sweepers) keeps one row."""

    key = models.CharField(
        verbose_name=_("key"),
        max_length=200,
        unique=True,
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=30,
        choices=NotificationKind.choices,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    to_email = models.EmailField(
        verbose_name=_("email"),
    )
    subject = models.CharField(
        verbose_name=_("subject"),
        max_length=300,
    )
    body = models.TextField(
        verbose_name=_("body"),
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    urgent = models.BooleanField(
        verbose_name=_("urgent"),
        default=False,
    )
    created_at = models.DateTimeField(
        verbose_name=_("queued at"),
        default=clock.now,
    )
    claimed_at = models.DateTimeField(
        verbose_name=_("claimed at"),
        null=True,
        blank=True,
    )
    sent_at = models.DateTimeField(
        verbose_name=_("sent at"),
        null=True,
        blank=True,
    )
    attempts = models.PositiveSmallIntegerField(
        verbose_name=_("attempts"),
        default=0,
    )
    last_error = models.TextField(
        verbose_name=_("last error"),
        blank=True,
    )

    objects = MinistryOnlyQuerySet.as_manager()  # no liaison reads these rows (cases.checks)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="notification_unsent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email}"
