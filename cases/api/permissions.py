"""Who may call what, beyond being signed in. Row-level scope is not here: it is `visible_to`, always."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from cases.core.roles import is_ministry


class IsMinistry(BasePermission):
    """Ministry roles (analyst, supervisor, administrator, auditor)."""

    message = _("Only ministry staff may do this.")

    def has_permission(self, request, view):
        return is_ministry(request.user)
