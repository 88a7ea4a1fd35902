"""Which login sessions belong to which user.

Why: deactivating a user must end their sessions at once. Django's session table does not say whose a
session is (the user id is inside the encoded data), so without this index we would have to decode every
session in the table. A row is written at login (cases/signals.py), and when the session key rotates
(cases/middleware.py); it is removed at logout and when the user's sessions are ended.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    session_key = models.CharField(
        verbose_name=_("session key"),
        max_length=40,
        unique=True,
    )
    created_at = models.DateTimeField(
        verbose_name=_("created at"),
        default=timezone.now,
    )

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")
        indexes = [models.Index(fields=["user", "created_at"], name="usersession_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.session_key[:6]}…"
