"""Published reports: a period's figures, frozen when a supervisor publishes them, never changed after."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.scoping import MinistryOnlyQuerySet


class PublishedReportQuerySet(MinistryOnlyQuerySet):
    """Ministry staff read them in the console and the API; the public (liaisons included) reads them on the
    transparency page, when the ministry publishes it."""


class PublishedReport(models.Model):
    """The aggregate report of a period as published: its figures, their as-of time, the version of the
    definitions (docs/reports.md) they follow, and the SHA-256 of the published document (`document`, the
    canonical JSON that the public page, the API and the CSV are drawn from)."""

    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    title = models.CharField(_("title"), max_length=200)
    as_of = models.DateTimeField(_("figures as of"))
    published_at = models.DateTimeField(_("published at"), default=clock.now)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"),
                                     on_delete=models.PROTECT, related_name="+")
    definitions_version = models.CharField(_("definitions version"), max_length=20)
    document = models.TextField(_("published document"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)

    objects = PublishedReportQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("A published report never changes."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A published report is never deleted."))
