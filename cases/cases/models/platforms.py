from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.core.choices import BusinessScale, MembershipRole, PlatformKind
from cases.core.scoping import MinistryOnlyQuerySet, ScopedQuerySet


class PlatformQuerySet(ScopedQuerySet):
    scope_platform = "id"


class Platform(models.Model):
    """An electronic system operator (PSE) that receives takedown orders."""

    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        unique=True,
    )
    slug = models.SlugField(
        verbose_name=_("slug"),
        max_length=50,
        unique=True,
    )
    kind = models.CharField(
        verbose_name=_("platform type"),
        max_length=20,
        choices=PlatformKind.choices,
        default=PlatformKind.SOCIAL_MEDIA,
    )
    business_scale = models.CharField(
        verbose_name=_("business scale"),
        max_length=20,
        choices=BusinessScale.choices,
        default=BusinessScale.LARGE,
    )
    website = models.URLField(
        verbose_name=_("website"),
        blank=True,
    )
    hosts = models.CharField(
        verbose_name=_("hosts"),
        max_length=300,
        blank=True,
        help_text=_("Space-separated host names whose URLs belong to this platform, e.g. t.me telegram.org."),
    )
    legal_name = models.CharField(
        verbose_name=_("legal name"),
        max_length=200,
        blank=True,
        help_text=_("The company the ministry's letters are addressed to, e.g. Telegram Messenger Inc."),
    )
    address = models.TextField(
        verbose_name=_("address for letters"),
        blank=True,
    )
    contact_email = models.EmailField(
        verbose_name=_("contact email"),
        blank=True,
        help_text=_("Where orders and letters are sent (the point of contact), besides the named liaisons."),
    )
    notes = models.TextField(
        verbose_name=_("notes"),
        blank=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        auto_now_add=True,
    )

    objects = PlatformQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("platform")
        verbose_name_plural = _("platforms")

    def __str__(self) -> str:
        return self.name

    def contact_liaisons(self):
        """The named liaisons who receive orders and letters (active memberships marked as point of contact)."""
        members = [m for m in self.memberships.all() if m.is_active and m.is_contact]  # prefetch-friendly
        return sorted((m.user for m in members), key=lambda u: (u.last_name, u.get_username()))

    def addressee(self) -> dict:
        """The point of contact a letter is addressed to (cases.sanctions.services.letters)."""
        people = self.contact_liaisons()
        return {
            "name": self.legal_name or self.name,
            "platform": self.name,
            "address": self.address,
            "email": self.contact_email,
            "attention": [u.get_full_name() or u.get_username() for u in people],
        }


class PlatformMembership(models.Model):
    """A user acting for a platform (a liaison). Scoping reads active memberships only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="platform_memberships",
    )
    platform = models.ForeignKey(
        Platform,
        verbose_name=_("platform"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    role = models.CharField(
        verbose_name=_("role"),
        max_length=20,
        choices=MembershipRole.choices,
        default=MembershipRole.LIAISON,
    )
    is_active = models.BooleanField(
        verbose_name=_("active"),
        default=True,
    )
    is_contact = models.BooleanField(
        verbose_name=_("point of contact"),
        default=False,
        help_text=_("Orders and letters are addressed to this liaison."),
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        auto_now_add=True,
    )

    objects = MinistryOnlyQuerySet.as_manager()  # no liaison reads these rows (cases.checks)

    class Meta:
        verbose_name = _("platform membership")
        verbose_name_plural = _("platform memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "platform"], name="uniq_membership_user_platform"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.platform}"
