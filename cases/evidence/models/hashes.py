"""Perceptual hashes of image evidence, the matches between them, and hash lists shared with partners.

An `ImageHash` is one PDQ hash: of an evidence image (or of one image inside a page archive), or an entry of an
imported `HashList`. A `HashMatch` says that a newer evidence item looks like an earlier one (or like a list
entry), at some Hamming distance, and holds the analyst's decision. Matching happens in
`cases.evidence.services.hashing`; on PostgreSQL the hash is also kept as a `bit(256)` column (`bits`, generated from
`pdq` by migration 0013, unknown to the ORM) so a scan of a million hashes is one SQL statement.

Who sees what (`visible_to`, through the one scoping rule): ministry roles see everything. A liaison sees the
hashes of evidence they may see, and a match only once the ministry confirmed it and only when both images are
evidence they may see: never another platform's image, hash or match, never an imported list.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.core import clock
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet


class HashListQuerySet(MinistryOnlyQuerySet):
    """Partners' lists are shared with the ministry under their own terms: ministry staff only."""


class HashList(models.Model):
    """A list of PDQ hashes imported from a partner (GIFCT, a platform, another regulator)."""

    name = models.CharField(verbose_name=_("name"), max_length=200)
    source = models.CharField(
        verbose_name=_("source"), max_length=200,
        help_text=_("Who shared the list (e.g. GIFCT hash-sharing database, a platform's trust and safety team)."),
    )
    labels = models.CharField(
        verbose_name=_("labels"), max_length=300, blank=True,
        help_text=_("Labels given to every entry, separated by spaces (e.g. terrorism propaganda)."),
    )
    description = models.TextField(verbose_name=_("description"), blank=True)
    original_name = models.CharField(verbose_name=_("file name"), max_length=255, blank=True, editable=False)
    entry_count = models.PositiveIntegerField(verbose_name=_("entries"), default=0, editable=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT, null=True,
        editable=False, related_name="+",
    )
    imported_at = models.DateTimeField(verbose_name=_("imported at"), default=clock.now, editable=False)

    objects = HashListQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("hash list")
        verbose_name_plural = _("hash lists")

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"


class ImageHashQuerySet(ScopedQuerySet):
    # A liaison sees the hashes of the evidence they see, never a partner list's entries.
    scope_platform = "evidence__case__platform"

    def liaison_extra(self, user):
        from cases.evidence.models.evidence import Evidence

        return Q(hash_list__isnull=True, evidence__in=Evidence.objects.visible_to(user).values("pk"))

    def matchable(self, min_quality: int):
        """Hashes that take part in matching: of enough quality (imported entries may not say: they do)."""
        return self.exclude(pdq="").filter(Q(quality__gte=min_quality) | Q(quality__isnull=True))


class ImageHash(models.Model):
    """One PDQ hash: of an evidence image, of an image inside a page archive, or of a hash-list entry.

    Evidence that holds no image gets one row with an empty hash and a note, so `hash_evidence` knows it
    has been looked at.
    """

    evidence = models.ForeignKey(
        "cases.Evidence", verbose_name=_("evidence"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="image_hashes",
    )
    hash_list = models.ForeignKey(
        HashList, verbose_name=_("hash list"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="entries",
    )
    part = models.CharField(
        verbose_name=_("part"), max_length=300, blank=True,
        help_text=_("Empty for the file itself; for an image inside a page archive, where it was found."),
    )
    pdq = models.CharField(verbose_name=_("PDQ hash"), max_length=64, blank=True)
    quality = models.PositiveSmallIntegerField(verbose_name=_("quality"), null=True, blank=True)
    labels = models.CharField(verbose_name=_("labels"), max_length=300, blank=True)
    note = models.CharField(verbose_name=_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(verbose_name=_("hashed at"), default=clock.now)

    objects = ImageHashQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("image hash")
        verbose_name_plural = _("image hashes")
        constraints = [
            models.UniqueConstraint(fields=["evidence", "part"], condition=Q(evidence__isnull=False),
                                    name="imagehash_one_per_evidence_part"),
            models.CheckConstraint(
                condition=Q(evidence__isnull=False, hash_list__isnull=True)
                | Q(evidence__isnull=True, hash_list__isnull=False),
                name="imagehash_evidence_or_list",
            ),
        ]

    def __str__(self) -> str:
        return f"PDQ {self.pdq[:16]}… (quality {self.quality})" if self.pdq else f"— ({self.note})"


class MatchDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    CONFIRMED = "confirmed", _("Confirmed: same content")
    DISMISSED = "dismissed", _("Dismissed: different content")


class HashMatchQuerySet(ScopedQuerySet):
    # A liaison sees confirmed matches between two pieces of evidence they both see.
    scope_platform = "evidence__case__platform"
    scope_case = "evidence__case"
    scope_visibility = "evidence__visibility"

    def liaison_extra(self, user):
        from cases.evidence.models.evidence import Evidence

        visible = Evidence.objects.visible_to(user).values("pk")
        return Q(decision=MatchDecision.CONFIRMED, evidence__in=visible, matched_evidence__in=visible)

    def reuploads(self):
        """Confirmed matches to an earlier case's evidence: what links two cases."""
        return self.filter(decision=MatchDecision.CONFIRMED, matched_evidence__isnull=False)


class HashMatch(models.Model):
    """A newer evidence image that looks like an earlier one, or like an entry of a hash list."""

    evidence = models.ForeignKey(
        "cases.Evidence", verbose_name=_("evidence"), on_delete=models.PROTECT, related_name="hash_matches",
        help_text=_("The later upload: its case shows the match."),
    )
    evidence_hash = models.ForeignKey(ImageHash, verbose_name=_("its hash"), on_delete=models.PROTECT,
                                      related_name="+")
    matched_hash = models.ForeignKey(ImageHash, verbose_name=_("matched hash"), on_delete=models.PROTECT,
                                     related_name="+")
    matched_evidence = models.ForeignKey(
        "cases.Evidence", verbose_name=_("matched evidence"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="matched_by",
        help_text=_("The earlier evidence it looks like; empty when it matched a hash-list entry."),
    )
    distance = models.PositiveSmallIntegerField(verbose_name=_("distance"))
    found_at = models.DateTimeField(verbose_name=_("found at"), default=clock.now)
    decision = models.CharField(verbose_name=_("decision"), max_length=10, choices=MatchDecision.choices,
                                default=MatchDecision.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    decision_note = models.TextField(verbose_name=_("note"), blank=True)

    objects = HashMatchQuerySet.as_manager()

    class Meta:
        ordering = ["distance", "-found_at", "-id"]
        verbose_name = _("image match")
        verbose_name_plural = _("image matches")
        constraints = [
            models.UniqueConstraint(fields=["evidence_hash", "matched_hash"], name="hashmatch_one_per_pair"),
        ]
        indexes = [
            models.Index(fields=["decision", "-found_at"], name="hashmatch_decision_recent"),
        ]

    def __str__(self) -> str:
        if self.matched_evidence_id:
            earlier = self.matched_evidence.case.reference
        else:
            earlier = gettext("list “%(list)s”") % {"list": self.matched_hash.hash_list.name}
        return gettext("%(later)s ~ %(earlier)s (distance %(d)s)") % {
            "later": self.evidence.case.reference, "earlier": earlier, "d": self.distance}

    @property
    def matched_list(self):
        return self.matched_hash.hash_list if self.matched_evidence_id is None else None
