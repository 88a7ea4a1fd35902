"""Who sees what: the one rule, used by both consoles, the API, downloads and reports.

Ministry roles see every operational row. A liaison sees rows of the platforms they hold an active
membership for, never a case that was not submitted to them, and only what was shared (evidence,
timeline entries). Anyone else sees nothing. Out-of-scope rows are simply absent, so lookups through
these querysets answer 404.

A model whose rows belong to a platform does not write this rule; it declares where its platform, case and
visibility are, on a `ScopedQuerySet`:

    class SanctionQuerySet(ScopedQuerySet):
        scope_platform = "platform"
        scope_extra = Q(issued_at__isnull=False)   # liaisons see sanctions once issued

or, when no liaison may read its rows at all, uses `MinistryOnlyQuerySet`. `cases.checks` (patuh.E001) refuses
at start-up a model with rows of a platform whose default manager is not one of these.
"""

import functools

from django.db.models import Q, QuerySet

from cases.core.choices import Visibility
from cases.core.roles import is_ministry, liaison_platform_ids


class ScopedQuerySet(QuerySet):
    """The declared scope of a model's rows. Subclasses set:

    scope_platform: lookup path from the model to the platform id ("platform", "case__platform", "id").
    scope_case: lookup path to the case, if the row belongs to one ("" for the case itself): cases never
        submitted are hidden from liaisons.
    scope_visibility: lookup path to a visibility field: only shared rows reach liaisons.
    scope_extra: any further condition liaisons must meet (e.g. issued sanctions only); `liaison_extra(user)`
        when that condition depends on the user.
    ministry_only: no liaison reads these rows.
    scope_distinct: the platform is reached through a many-to-many (a meeting's platforms): a liaison's rows come
        once each.
    """

    scope_platform: str | None = None
    scope_case: str | None = None
    scope_visibility: str | None = None
    scope_extra: Q | None = None
    ministry_only: bool = False
    scope_distinct: bool = False

    def liaison_extra(self, user) -> Q | None:
        return self.scope_extra

    def liaison_condition(self, user) -> Q | None:
        """What a liaison's rows meet, or None when this user may see none."""
        if self.ministry_only or self.scope_platform is None:
            return None
        platform_ids = liaison_platform_ids(user)
        if not platform_ids:
            return None
        condition = Q(**{f"{self.scope_platform}__in": platform_ids})
        if self.scope_case is not None:
            # Never submitted means never sent: a draft, or a draft withdrawn before it went out.
            prefix = f"{self.scope_case}__" if self.scope_case else ""
            condition &= Q(**{f"{prefix}submitted_at__isnull": False})
        if self.scope_visibility is not None:
            condition &= Q(**{self.scope_visibility: Visibility.SHARED})
        extra = self.liaison_extra(user)
        if extra is not None:
            condition &= extra
        return condition

    def visible_to(self, user):
        """The rows `user` may see: all of them for the ministry, the declared ones for a liaison, none else."""
        if is_ministry(user):
            return self
        condition = self.liaison_condition(user)
        if condition is None:
            return self.none()
        return self.filter(condition).distinct() if self.scope_distinct else self.filter(condition)


class MinistryOnlyQuerySet(ScopedQuerySet):
    """Scoping declared for rows of a platform that no liaison reads (memberships, deadline overrides, notices,
    a sanction's citations, the chain of custody): the ministry sees them all, anyone else none."""

    ministry_only = True


def declares_scoping(model) -> bool:
    """Whether the model's default manager is built on the declared scope (`ScopedQuerySet`); a hand-written
    `visible_to` does not count."""
    queryset_class = getattr(model._default_manager, "_queryset_class", None)
    return (isinstance(queryset_class, type) and issubclass(queryset_class, ScopedQuerySet)
            and queryset_class.visible_to is ScopedQuerySet.visible_to)


@functools.cache
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
    platform whose model declares no scoping (no `ScopedQuerySet`) are served to nobody, and `cases.checks`
    refuses such a model at start-up. Rows of no platform (users, policies, API tokens) are the consoles'
    permissions' and their own `visible_to`'s to guard."""
    if platform_path(qs.model) is not None:
        return qs.visible_to(user) if isinstance(qs, ScopedQuerySet) and declares_scoping(qs.model) else qs.none()
    return qs.visible_to(user) if hasattr(qs, "visible_to") else qs
