"""Who sees what: the one rule, used by both consoles, the API, downloads and reports.

Ministry roles see every operational row. A liaison sees rows of the platforms they hold an active
membership for, never a case that was not submitted to them, and only what was shared (evidence,
timeline entries). Anyone else sees nothing. Out-of-scope rows are simply absent, so lookups through
these querysets answer 404.
"""

from django.db.models import Q, QuerySet

from cases.choices import Visibility
from cases.roles import is_ministry, liaison_platform_ids


def scope(
    qs: QuerySet,
    user,
    *,
    platform: str,
    case: str | None = None,
    visibility: str | None = None,
    extra: Q | None = None,
) -> QuerySet:
    """Filter `qs` to what `user` may see.

    platform: lookup path from the model to the platform id (e.g. "platform", "case__platform").
    case: lookup path to the case, if the row belongs to one (cases never submitted are hidden from liaisons).
    visibility: lookup path to a visibility field (only shared rows reach liaisons).
    extra: any further condition liaisons must meet (e.g. issued sanctions only).
    """
    if is_ministry(user):
        return qs
    platform_ids = liaison_platform_ids(user)
    if not platform_ids:
        return qs.none()
    condition = Q(**{f"{platform}__in": platform_ids})
    if case is not None:
        # Never submitted means never sent: a draft, or a draft withdrawn before it went out.
        prefix = f"{case}__" if case else ""
        condition &= Q(**{f"{prefix}submitted_at__isnull": False})
    if visibility is not None:
        condition &= Q(**{visibility: Visibility.SHARED})
    if extra is not None:
        condition &= extra
    return qs.filter(condition)
