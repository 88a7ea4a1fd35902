from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import BusinessScale, MembershipRole, PlatformKind
from cases.scoping import MinistryOnlyQuerySet, scope


class PlatformQuerySet(models.QuerySet):
    def visible_to(self, user):
        return scope(self, user, platform="id")


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
    contact_email = models.EmailField(
        verbose_name=_("contact email"),
        blank=True,
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
