from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.audit import chain_hash_field
from cases.core.choices import CaseStatus, EventKind, Visibility
from cases.core.scoping import ScopedQuerySet


class CaseEventQuerySet(ScopedQuerySet):
    scope_platform = "case__platform"
    scope_case = "case"
    scope_visibility = "visibility"


class AuditedEvent(models.Model):
    """What every hash-chained audit entry has: who acted, when, a note, structured data and the chain's hash.

    Case, custody, sanction and commitment events inherit it; each subclass adds what it is about (its case,
    evidence item, sanction or commitment), its kind and, where it records a step of a lifecycle, the from
    and to statuses. Rows are written only through `cases.core.audit.create` / `seal` (see cases/core/audit.py) and
    never changed. The actor is declared by each subclass (its reverse name differs).
    """

    actor_name = models.CharField(
        verbose_name=_("actor's name"),
        max_length=200,
    )
    note = models.TextField(
        verbose_name=_("note"),
        blank=True,
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

    class Meta:
        abstract = True


def event_actor(related_name: str) -> models.ForeignKey:
    """The `actor` column of an audited table (empty when the system acted)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name=related_name,
        help_text=_("Empty when the system acted (e.g. the deadline sweeper)."),
    )


class CaseEvent(AuditedEvent):
    """One entry on a case's timeline. Append-only: rows are written by services and never changed."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,  # covered by event_case_recent (case, -created_at)
    )
    actor = event_actor("case_events")
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
    visibility = models.CharField(
        verbose_name=_("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.SHARED,
    )
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
