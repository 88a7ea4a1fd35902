from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases import clock
from cases.audit import chain_hash_field
from cases.choices import CaseStatus, EventKind, Visibility
from cases.scoping import scope


class CaseEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope(self, user, platform="case__platform", case="case", visibility="visibility")


class CaseEvent(models.Model):
    """One entry on a case's timeline. Append-only: rows are written by services and never changed."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # covered by event_case_recent (case, -created_at)
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_events",
        help_text=_("Empty when the system acted (e.g. the deadline sweeper)."),
    )
    actor_name = models.CharField(
        verbose_name=_("actor's name"),
        max_length=200,
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=30,
        choices=EventKind.choices,
    )
    from_status = models.CharField(
        verbose_name=_("from status"),
        max_length=20,
        choices=CaseStatus.choices,
        blank=True,
    )
    to_status = models.CharField(
        verbose_name=_("to status"),
        max_length=20,
        choices=CaseStatus.choices,
        blank=True,
    )
    note = models.TextField(
        verbose_name=_("note"),
        blank=True,
    )
    visibility = models.CharField(
        verbose_name=_("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.SHARED,
    )
    created_at = models.DateTimeField(
        verbose_name=_("time"),
        default=clock.now,
    )
    data = models.JSONField(
        verbose_name=_("data"),
        default=dict,
        blank=True,
    )

    hash = chain_hash_field()

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [
            models.Index(fields=["case", "-created_at"], name="event_case_recent"),
            models.Index(fields=["-created_at", "-id"], name="event_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.actor_name}"
