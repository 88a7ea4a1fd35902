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


class MinistryOnlyQuerySet(QuerySet):
    """Scoping declared for rows of a platform that no liaison reads (memberships, deadline overrides, notices,
    a sanction's citations): the ministry sees them all, anyone else none."""

    def visible_to(self, user):
        return self if is_ministry(user) else self.none()


def declares_scoping(model) -> bool:
    """Whether the model's default manager answers `visible_to(user)`."""
    return callable(getattr(model._default_manager, "visible_to", None))


def platform_path(model, *, depth: int = 3) -> str | None:
    """The lookup path from `model` to a platform through its own relations ("platform", "case__platform",
    "delivery__platform"; "pk" for the platform itself), or None when its rows belong to no platform."""
    if model._meta.label == "cases.Platform":
        return "pk"
    frontier, seen = [(model, "")], {model}
    for _step in range(depth):
        following = []
        for current, prefix in frontier:
            for field in current._meta.get_fields():
                if not (field.is_relation and field.concrete and field.related_model is not None):
                    continue  # reverse relations and generic ones are not the row's own
                path = f"{prefix}{field.name}"
                if field.related_model._meta.label == "cases.Platform":
                    return path
                if field.related_model not in seen:
                    seen.add(field.related_model)
                    following.append((field.related_model, f"{path}__"))
        frontier = following
    return None


def visible(qs: QuerySet, user) -> QuerySet:
    """The rows of `qs` this user may see, for every console, list filter and dropdown. Fails closed: rows of a
    platform whose model declares no scoping are served to nobody (and `cases.checks` refuses such a model
    at start-up). Rows of no platform (users, policies) are the consoles' permissions' to guard."""
    if hasattr(qs, "visible_to"):
        return qs.visible_to(user)
    return qs.none() if platform_path(qs.model) is not None else qs
