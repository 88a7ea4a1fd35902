from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.cases.models.events import AuditedEvent
from cases.core import clock
from cases.core.choices import CustodyKind, EvidenceKind, Visibility
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet
from cases.core.storage import evidence_storage
from cases.evidence.filetypes import split_extension

# What makes an evidence record evidence: the stored bytes, where they came from and who brought them.
# `Evidence.save()` refuses to change any of these on an existing row.
IMMUTABLE_FIELDS = (
    "case_id", "file", "sha256", "size", "content_type", "original_name", "uploaded_by_id", "uploaded_at",
    "first_copy_id",
)


class EvidenceQuerySet(ScopedQuerySet):
    # Liaisons see shared evidence that has not been withdrawn; ministry staff see everything.
    scope_platform = "case__platform"
    scope_case = "case"
    scope_visibility = "visibility"
    scope_extra = Q(withdrawn_at__isnull=True)


class Evidence(models.Model):
    """A file kept for a case. Its file, hash and size never change once stored."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="evidence",
    )
    file = models.FileField(
        verbose_name=_("file"),
        storage=evidence_storage,
        max_length=255,
        editable=False,
    )
    sha256 = models.CharField(
        verbose_name=_("SHA-256"),
        max_length=64,
        editable=False,
        db_index=True,
    )
    size = models.PositiveBigIntegerField(
        verbose_name=_("size (bytes)"),
        editable=False,
    )
    content_type = models.CharField(
        verbose_name=_("content type"),
        max_length=100,
        editable=False,
    )
    original_name = models.CharField(
        verbose_name=_("original file name"),
        max_length=255,
        blank=True,
        editable=False,
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=20,
        choices=EvidenceKind.choices,
    )
    visibility = models.CharField(
        verbose_name=_("visibility"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
    )
    description = models.TextField(
        verbose_name=_("description"),
        blank=True,
    )
    source_url = models.URLField(
        verbose_name=_("source URL"),
        max_length=2048,
        blank=True,
    )
    captured_at = models.DateTimeField(
        verbose_name=_("captured at"),
        null=True,
        blank=True,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="uploaded_evidence",
        editable=False,
    )
    uploaded_at = models.DateTimeField(
        verbose_name=_("uploaded at"),
        default=clock.now,
        editable=False,
    )
    first_copy = models.ForeignKey(
        "self",
        verbose_name=_("first copy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="later_copies",
        help_text=_("The earlier upload of the identical file whose stored copy this record shares."),
    )
    withdrawn_at = models.DateTimeField(
        verbose_name=_("withdrawn at"),
        null=True,
        blank=True,
        editable=False,
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="withdrawn_evidence",
    )
    withdrawal_reason = models.TextField(
        verbose_name=_("withdrawal reason"),
        blank=True,
        editable=False,
    )

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        indexes = [
            models.Index(fields=["case", "-uploaded_at"], name="evidence_case_recent"),
        ]
        constraints = [
            # One stored copy per content: every later upload of the same bytes links to this row
            # (also when two identical uploads race; the loser links to the winner).
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(first_copy__isnull=True),
                name="evidence_one_first_copy_per_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        """Refuse any change to the stored file, its hash or its provenance once the row exists."""
        update_fields = kwargs.get("update_fields")
        if self.pk is not None and not self._state.adding:
            checked = [f for f in IMMUTABLE_FIELDS
                       if update_fields is None or f in update_fields or f.removesuffix("_id") in update_fields]
            stored = type(self)._base_manager.filter(pk=self.pk).values(*checked).first() if checked else None
            if stored is not None:
                changed = [f.removesuffix("_id") for f in checked if _value(self, f) != stored[f]]
                if changed:
                    raise ValidationError(
                        gettext("Evidence cannot be changed once stored (attempted: %(fields)s). Withdraw it "
                                "and upload a new file instead.") % {"fields": ", ".join(changed)},
                        code="immutable",
                    )
        super().save(*args, **kwargs)

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def download_name(self) -> str:
        """The name a download is saved under: the case and the item, never the uploader's file name."""
        return f"{self.case.reference}-evidence-{self.pk}.{split_extension(self.file.name)}"


def _value(evidence: Evidence, field: str):
    value = getattr(evidence, field)
    return value.name if field == "file" else value


class CustodyEventQuerySet(MinistryOnlyQuerySet):
    """The chain of custody is a ministry record."""


class CustodyEvent(AuditedEvent):
    """Chain of custody: every upload, download, verification and withdrawal of an evidence item."""

    evidence = models.ForeignKey(
        Evidence,
        verbose_name=_("evidence"),
        on_delete=models.PROTECT,
        related_name="custody_events",
    )
    kind = models.CharField(
        verbose_name=_("kind"),
        max_length=20,
        choices=CustodyKind.choices,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="custody_events",
    )
    ip_address = models.GenericIPAddressField(
        verbose_name=_("IP address"),
        null=True,
        blank=True,
    )
    user_agent = models.CharField(
        verbose_name=_("user agent"),
        max_length=300,
        blank=True,
    )

    objects = CustodyEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.actor_name}"
