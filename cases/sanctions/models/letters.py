"""Official letters: the takedown order and every issued sanction, as PDF (issue 15;
cases/sanctions/services/letters.py).

A letter's number comes from a gapless series per letter type and year (`LetterSeries`), its text from the
administrators' versioned templates (`LetterTemplate`), its file from private storage (the evidence store),
and its SHA-256 is written into the case's or the sanction's hash-chained timeline.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.scoping import ScopedQuerySet
from cases.core.storage import evidence_storage


class LetterKind(models.TextChoices):
    ORDER = "order", _("Takedown order")
    WARNING_1 = "st1", _("Warning letter 1 (ST1)")
    WARNING_2 = "st2", _("Warning letter 2 (ST2)")
    WARNING_3 = "st3", _("Warning letter 3 (ST3)")
    FINE = "fine", _("Administrative fine decision")
    ACCESS_BLOCK = "block", _("Access-blocking recommendation")


# The number's prefix per kind: ST1/TELEGRAM/2026/003.
NUMBER_PREFIX = {"order": "PT", "st1": "ST1", "st2": "ST2", "st3": "ST3", "fine": "DENDA", "block": "BLOKIR"}


class LetterLanguage(models.TextChoices):
    INDONESIAN = "id", _("Indonesian")
    ENGLISH = "en", _("English")


class LetterTemplate(models.Model):
    """One version of a letter's text. Saving an edit in the console writes a new version; letters keep theirs."""

    kind = models.CharField(verbose_name=_("letter type"), max_length=10, choices=LetterKind.choices)
    language = models.CharField(verbose_name=_("language"), max_length=2, choices=LetterLanguage.choices)
    version = models.PositiveIntegerField(verbose_name=_("version"), editable=False)
    subject = models.CharField(
        verbose_name=_("subject"), max_length=300,
        help_text=_("A Jinja2 line, e.g. Surat Teguran {{ letter.number }}."))
    body = models.TextField(
        verbose_name=_("body"),
        help_text=_("Jinja2 producing HTML; the letterhead, number, date, addressee and signature are added around "
                    "it. Only the letter's own data can be used: see the fields listed below."))
    created_at = models.DateTimeField(verbose_name=_("saved at"), default=clock.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("saved by"), on_delete=models.PROTECT,
                                   null=True, blank=True, editable=False, related_name="+")

    class Meta:
        ordering = ["kind", "language", "-version"]
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        constraints = [models.UniqueConstraint(fields=["kind", "language", "version"], name="uniq_letter_template")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.language}) v{self.version}"


class LetterSeries(models.Model):
    """The last number given in a series (a letter type and a year). Taken under a row lock in the transaction
    that writes the letter, so numbers are gapless and never given twice."""

    kind = models.CharField(verbose_name=_("letter type"), max_length=10, choices=LetterKind.choices)
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    last = models.PositiveIntegerField(verbose_name=_("last number"), default=0)

    class Meta:
        verbose_name = _("letter number series")
        verbose_name_plural = _("letter number series")
        constraints = [models.UniqueConstraint(fields=["kind", "year"], name="uniq_letter_series")]

    def __str__(self) -> str:
        return f"{self.kind}/{self.year}: {self.last}"


class LetterQuerySet(ScopedQuerySet):
    # A platform sees its own letters once produced; the ministry all.
    scope_platform = "platform"
    scope_extra = Q(sha256__gt="")


class Letter(models.Model):
    """An official letter to a platform: a takedown order (case) or a sanction's letter."""

    kind = models.CharField(verbose_name=_("letter type"), max_length=10, choices=LetterKind.choices)
    number = models.CharField(verbose_name=_("number"), max_length=80)
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    sequence = models.PositiveIntegerField(verbose_name=_("number in the series"))
    language = models.CharField(verbose_name=_("language"), max_length=2, choices=LetterLanguage.choices,
                                default=LetterLanguage.INDONESIAN)
    platform = models.ForeignKey("cases.Platform", verbose_name=_("platform"), on_delete=models.PROTECT,
                                 related_name="letters")
    case = models.ForeignKey("cases.Case", verbose_name=_("case"), on_delete=models.PROTECT, null=True, blank=True,
                             related_name="letters")
    sanction = models.ForeignKey("cases.Sanction", verbose_name=_("sanction"), on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="letters")
    template = models.ForeignKey(LetterTemplate, verbose_name=_("template version"), on_delete=models.PROTECT,
                                 related_name="letters")
    subject = models.CharField(verbose_name=_("subject"), max_length=300, blank=True)
    dated = models.DateField(verbose_name=_("date"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("signed by"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(verbose_name=_("numbered at"), default=clock.now)
    file = models.FileField(verbose_name=_("PDF"), storage=evidence_storage, max_length=300, blank=True)
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(verbose_name=_("size (bytes)"), null=True, blank=True)
    produced_at = models.DateTimeField(verbose_name=_("produced at"), null=True, blank=True)
    received_at = models.DateTimeField(
        verbose_name=_("received by the platform"), null=True, blank=True,
        help_text=_("The platform's first download: its receipt."))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("received by"),
                                    on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year", "sequence", "language"], name="uniq_letter_number"),
            models.CheckConstraint(condition=Q(case__isnull=False) | Q(sanction__isnull=False),
                                   name="letter_has_a_subject"),
        ]
        indexes = [models.Index(fields=["platform", "-created_at"], name="letter_platform_recent")]

    def __str__(self) -> str:
        return f"{self.number} ({self.language})"

    @property
    def download_name(self) -> str:
        return f"{self.number.replace('/', '-')}-{self.language}.pdf"
