"""What the REST API keeps: per-user API tokens, and the responses of idempotent requests.

Why hashed tokens: a database dump, a backup or a curious administrator must not yield a key that works.
Only a short public prefix (to find the row) and the SHA-256 of the whole key are stored; the key itself
is shown once, when it is created.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.core import clock


class ApiTokenQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user sees their own tokens; administrators see everyone's (to revoke them)."""
        from cases.core.roles import ADMINISTRATOR, has_role

        if user is None or not user.is_authenticated:
            return self.none()
        if has_role(user, ADMINISTRATOR):
            return self
        return self.filter(user=user)

    def usable(self):
        now = clock.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at__isnull=True)


class ApiToken(models.Model):
    """A key a machine presents as `Authorization: Bearer <key>`; it acts as its user, with their scope."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
        editable=False,
    )
    name = models.CharField(
        verbose_name=_("name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “AIS crawler” or “moderation queue sync”."),
    )
    prefix = models.CharField(
        verbose_name=_("prefix"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_("The public start of the key, to tell tokens apart. Not a secret."),
    )
    key_hash = models.CharField(
        verbose_name=_("key hash (SHA-256)"),
        max_length=64,
        editable=False,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        default=clock.now,
        editable=False,
    )
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"),
        null=True,
        blank=True,
        help_text=_("Leave empty for a token that does not expire."),
    )
    last_used_at = models.DateTimeField(
        verbose_name=_("last used at"),
        null=True,
        blank=True,
        editable=False,
    )
    revoked_at = models.DateTimeField(
        verbose_name=_("revoked at"),
        null=True,
        blank=True,
        editable=False,
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired


class IdempotencyKey(models.Model):
    """The first response to a request sent with an `Idempotency-Key`, replayed on retries.

    Keys are per user. `request_hash` covers the method, path and body, so the same key with a different
    request is recognised and refused rather than silently answered with the wrong response.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    key = models.CharField(
        verbose_name=_("key"),
        max_length=200,
    )
    request_hash = models.CharField(
        verbose_name=_("request hash (SHA-256)"),
        max_length=64,
    )
    response_status = models.PositiveSmallIntegerField(
        verbose_name=_("response status"),
        default=0,
    )
    response_body = models.JSONField(
        verbose_name=_("response body"),
        default=dict,
        blank=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        default=clock.now,
    )

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="uniq_idempotency_key_per_user"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
