"""What every Patuh ModelAdmin shares: each queryset goes through the one scoping rule.

It fails closed (`cases.core.scoping.visible`): rows of a platform whose model declares no scoping are shown to
nobody, and the start-up check `patuh.E001` (cases/checks.py) refuses such a model before any page is served.

Django scopes the changelist, change, delete and history views and actions through `get_queryset()`,
but not foreign-key dropdowns or list-filter choices; those are scoped here too.
"""

import json

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection, models
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.core.roles import MINISTRY_WRITERS, has_role
from cases.core.scoping import visible


def scoped(model, request):
    return visible(model._default_manager.all(), request.user)


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-field filter whose choices are only the related objects this user may see."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin) or ()
        return [(obj.pk, str(obj)) for obj in scoped(field.related_model, request).order_by(*ordering)]


class CappedCountPaginator(Paginator):
    """Counts exactly up to `cap` rows, then estimates: a list of millions never runs COUNT(*) over them all.

    Below the cap the count is one `SELECT COUNT(*) FROM (... LIMIT cap+1)`. Above it, PostgreSQL's planner
    estimate for the same query stands in (SQLite: the cap), and the page list says "about".
    """

    # 20 pages of 50 counted exactly. Counting costs a scan of up to `cap` index entries: at 10 million cases a
    # cap of 10,000 took 120-210 ms on the platform inbox and a filtered list, 1,000 takes 1-30 ms (docs/scaling.md).
    cap = 1_000

    @cached_property
    def count(self):
        qs = self.object_list
        exact = qs.order_by()[: self.cap + 1].count()
        if exact <= self.cap:
            self.estimated = False
            return exact
        self.estimated = True
        return max(self.cap + 1, planner_estimate(qs))


def planner_estimate(qs) -> int:
    if connection.vendor != "postgresql":
        return 0
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


class ScopedRows:
    """Rows and their dropdowns (foreign keys and many-to-many) go through the scoping rule.

    Shared by `ScopedAdmin` and the inlines (`ScopedInline`): Django scopes neither by default.
    """

    def get_queryset(self, request):
        return visible(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = scoped(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _CheckboxPlaceholder:
    pk = "0PATUH0PK0"

    def __str__(self):
        return "0PATUH0LABEL0"


_CHECKBOXES: dict[str, str] = {}  # language -> Django's row checkbox, with the placeholders above


class ScopedAdmin(ScopedRows, admin.ModelAdmin):
    """Rows, dropdowns and filter choices all come from `Model.objects.visible_to(user)`."""

    show_full_result_count = False
    paginator = CappedCountPaginator
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def action_checkbox(self, obj):
        """Django's checkbox of a list row, rendered through the form templates once per language and filled in
        per row: through the template engine per row it was about a third of a case row's time. Same HTML
        (tests/test_console_rows.py)."""
        language = get_language()
        html = _CHECKBOXES.get(language)
        if html is None:
            html = _CHECKBOXES[language] = str(super().action_checkbox(_CheckboxPlaceholder()))
        if html.count(_CheckboxPlaceholder.pk) != 1 or html.count(str(_CheckboxPlaceholder())) != 1:
            return super().action_checkbox(obj)
        return mark_safe(html.replace(_CheckboxPlaceholder.pk, escape(str(obj.pk)))  # noqa: S308 - escaped here
                         .replace(str(_CheckboxPlaceholder()), escape(str(obj))))

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Missing and not-yours look the same: 404, not a redirect that confirms the id was tried.
        raise Http404

    def get_list_filter(self, request):
        # Any plain relation filter becomes a scoped one.
        out = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and self._is_relation(item):
                out.append((item, ScopedRelatedFilter))
            else:
                out.append(item)
        return out

    def _is_relation(self, name: str) -> bool:
        try:
            field = self.model._meta.get_field(name)
        except Exception:  # noqa: BLE001 - a lookup path such as "case__platform"
            return "__" in name
        return field.is_relation


class ScopedInline(ScopedRows):
    """Inline rows and their dropdowns go through the scoping rule too."""


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AddThroughServiceMixin:
    """Records added by ministry writers through a service (an upload, an import) and never changed or deleted
    afterwards: evidence, partners' hash lists."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and has_role(request.user, *MINISTRY_WRITERS)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


NO_DELETE_HELP = _("Records are never deleted: cases are withdrawn, evidence is withdrawn, sanctions are lifted.")


def person_display(model, field_name: str):
    """A user foreign key shown as the person's name, as text: Django's read-only field would link to the user
    record, which only administrators may open (everyone else got a bare 403)."""
    from django.contrib import admin as django_admin

    from cases.cases.queues import person

    @django_admin.display(description=model._meta.get_field(field_name).verbose_name)
    def show(self, obj):
        return person(getattr(obj, field_name, None)) or "—"

    return show
