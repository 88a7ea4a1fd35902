"""The consoles' list filters and search box, made from the FilterSets the API uses (cases/core/filtersets.py).

Each FilterSet filter becomes one list filter under the FilterSet's own parameter name, and filters through
the FilterSet itself (the same validation, the same meaning); the search box is the FilterSet's `q`. So a
query string copied from a console's list gives the same rows from the API for the same user.

Console URLs written before (Django's `status__exact`, `platform__id__exact`, the case list's `deadline` and
`mine`, ...) are redirected to the FilterSet's names (`LEGACY_PARAMETERS`), so bookmarks and dashboard links
keep working.
"""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, IGNORED_PARAMS, PAGE_VAR
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponseRedirect, QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters import MultipleChoiceFilter

from cases.core.admin.base import scoped
from cases.core.filtersets import DayFilter, IdFilter, PlatformSlugFilter, TrueFalseFilter, visible_platforms

SEARCH = "q"  # the admin's search parameter and the FilterSets' search filter alike


def filter_through(filterset_class, data: dict[str, list[str]], queryset, request):
    """`queryset` narrowed by the FilterSet given `data` (parameter -> values); a value the FilterSet refuses is
    the console's "incorrect lookup" (the list answers with its error page, as for any bad parameter)."""
    query = QueryDict(mutable=True)
    for name, values in data.items():
        query.setlist(name, values)
    filterset = filterset_class(query, queryset=queryset, request=request)
    if not filterset.is_valid():
        raise IncorrectLookupParameters(
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()))
    return filterset.qs


class FilterSetListFilter(admin.ListFilter):
    """One FilterSet filter as a list filter of choices (`true`/`false`, a choice list or the user's platforms).
    `shown = False` keeps it out of the sidebar until it is in force (it is always accepted)."""

    filterset_class = None
    name = ""
    shown = True
    exclude_choices: frozenset = frozenset()
    template = "patuh/filterset_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.model_admin = model_admin
        self.filter = self.filterset_class.base_filters[self.name]
        values = params.pop(self.name, None)
        if values is not None:
            self.used_parameters[self.name] = values if isinstance(values, list) else [values]

    def expected_parameters(self):
        return [self.name]

    def values(self) -> list[str]:
        return self.used_parameters.get(self.name, [])

    def has_output(self):
        return True  # Django filters only through the list filters it shows: hidden ones render nothing instead

    def visible(self) -> bool:
        return self.shown or any(self.values())

    def queryset(self, request, queryset):
        if not self.used_parameters:
            return queryset
        return filter_through(self.filterset_class, self.used_parameters, queryset, request)

    def lookups(self, request) -> list[tuple[str, str]]:
        if isinstance(self.filter, TrueFalseFilter):
            return list(zip(("true", "false"), self.filter.choice_labels, strict=True))
        if isinstance(self.filter, PlatformSlugFilter):
            return [(p.slug, p.name) for p in visible_platforms(request).order_by("name")]
        if isinstance(self.filter, IdFilter):  # the related rows this user may see, by id
            field = self.filterset_class._meta.model._meta.get_field(self.filter.field_name.removesuffix("_id"))
            return [(str(obj.pk), str(obj)) for obj in scoped(field.related_model, request).order_by("pk")]
        choices = self.filter.extra.get("choices") or ()
        return [(str(value), label) for value, label in choices if value not in self.exclude_choices]

    def choices(self, changelist):
        values = self.values()
        # "All" leaves the parameter out, or sends it empty where leaving it out means the list's default.
        everything = ({self.name: ""} if self.name in getattr(self.model_admin, "filterset_defaults", {}) else {})
        yield {"selected": not any(values), "display": _("All"),
               "query_string": changelist.get_query_string(everything, remove=[] if everything else [self.name])}
        known = set()
        counts = self.facet_counts(changelist) if changelist.add_facets else {}
        for value, label in self.lookups(self.request):
            known.add(value)
            yield {"selected": value in values, "display": f"{label} ({counts[value]})" if counts else label,
                   "query_string": changelist.get_query_string({self.name: value})}
        for value in values:  # a value in force that is not offered (hidden filter, odd input) still shows
            if value and value not in known:
                yield {"selected": True, "display": value, "query_string": changelist.get_query_string()}

    def facet_counts(self, changelist) -> dict[str, int]:
        """Django's "show counts": the rows each choice would give, with the other filters in force (one count a
        choice, asked for only by that link)."""
        rows = changelist.get_queryset(self.request, exclude_parameters=self.expected_parameters())
        return {value: filter_through(self.filterset_class, {self.name: [value]}, rows, self.request).count()
                for value, _label in self.lookups(self.request)}


class FilterSetInputsFilter(FilterSetListFilter):
    """Filters typed into a small form rather than picked: a range of days (`submitted_from`, `submitted_to`) or
    a time (`updated_since`)."""

    names: tuple[str, ...] = ()
    input_type = "text"
    template = "patuh/filterset_inputs_filter.html"

    def __init__(self, request, params, model, model_admin):
        admin.ListFilter.__init__(self, request, params, model, model_admin)
        self.filter = self.filterset_class.base_filters[self.names[0]]
        for name in self.names:
            values = params.pop(name, None)
            if values is not None:
                self.used_parameters[name] = values if isinstance(values, list) else [values]

    def expected_parameters(self):
        return list(self.names)

    def values(self) -> list[str]:
        return [v for values in self.used_parameters.values() for v in values]

    def inputs(self):
        return [{"name": name, "label": self.filterset_class.base_filters[name].label,
                 "value": (self.used_parameters.get(name) or [""])[-1]} for name in self.names]

    def other_parameters(self):
        """The other filters in force, kept as hidden fields so this form does not drop them."""
        return [(k, v) for k, values in self.request.GET.lists() if k not in self.names and k != "p" for v in values]

    def choices(self, changelist):
        return []


def title(filterset_class, filter_) -> str:
    """The filter's label, else its model field's name (the filters a FilterSet makes from `Meta.fields`)."""
    if filter_.label:
        return filter_.label
    try:
        return filterset_class._meta.model._meta.get_field(filter_.field_name).verbose_name
    except FieldDoesNotExist:
        return filter_.field_name.replace("_", " ")


PICKED = (TrueFalseFilter, PlatformSlugFilter, IdFilter)  # offered as a list of choices, like choice filters


def filterset_list_filters(filterset_class, *, hidden=(), exclude_choices=None) -> list[type]:
    """One list filter per filter of `filterset_class` (the search `q` is the search box), in its order; those
    named in `hidden` are accepted but shown only while in force. Days come in pairs (`x_from`, `x_to`)."""
    out, days = [], {}
    exclude_choices = exclude_choices or {}
    for name, filter_ in filterset_class.base_filters.items():
        if name == SEARCH:
            continue
        attrs = {"filterset_class": filterset_class, "shown": name not in hidden,
                 "title": title(filterset_class, filter_)}
        if isinstance(filter_, DayFilter):
            stem = name.rsplit("_", 1)[0]
            if stem in days:
                days[stem].names += (name,)
                continue
            attrs.update(names=(name,), input_type="date", title=filter_.range_label or attrs["title"])
            days[stem] = type(f"{name}_filter", (FilterSetInputsFilter,), attrs)
            out.append(days[stem])
        elif not isinstance(filter_, PICKED) and not filter_.extra.get("choices"):
            attrs.update(names=(name,))
            out.append(type(f"{name}_filter", (FilterSetInputsFilter,), attrs))
        else:
            attrs.update(name=name, exclude_choices=frozenset(exclude_choices.get(name, ())))
            out.append(type(f"{name}_filter", (FilterSetListFilter,), attrs))
    return out


# Console parameters from before the FilterSet drove the lists: name -> (FilterSet name, value map or None).
LEGACY_PARAMETERS = {
    "deadline": ("deadline_state", None),
    "mine": ("assigned_to_me", {"1": "true", "0": "false"}),
    "submitted_at__from": ("submitted_from", None),
    "submitted_at__to": ("submitted_to", None),
    "show": ("awaiting", {"all": ""}),
    "withdrawn_at__isempty": ("withdrawn", {"1": "false", "0": "true"}),
}


class FilterSetAdmin:
    """A ModelAdmin whose list filters and search are `filterset_class`'s (mix in before ScopedAdmin).

    `list_filter` is built from the FilterSet; `filterset_hidden` names filters this console accepts but does
    not offer; `filterset_defaults` are put in the URL when a list is opened with no filter at all (the platform
    inbox opens on what awaits the platform), so the URL always says what the list shows."""

    filterset_class = None
    filterset_hidden: tuple[str, ...] = ()
    filterset_exclude_choices: dict = {}
    filterset_defaults: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.filterset_class is not None and "list_filter" not in cls.__dict__:
            cls.list_filter = filterset_list_filters(cls.filterset_class, hidden=cls.filterset_hidden,
                                                     exclude_choices=cls.filterset_exclude_choices)
            # The search box, if the FilterSet has a `q`; get_search_results is that filter.
            cls.search_fields = [SEARCH] if SEARCH in cls.filterset_class.base_filters else []

    def get_search_results(self, request, queryset, search_term):
        if SEARCH not in self.filterset_class.base_filters or not search_term.strip():
            return queryset, False
        return filter_through(self.filterset_class, {SEARCH: [search_term]}, queryset, request), False

    def canonical_query(self, request) -> QueryDict | None:
        """The query string with legacy names replaced by the FilterSet's and the defaults filled in; None when
        the request already says it that way."""
        params = request.GET.copy()
        changed = False
        for key in list(params):
            new = self.legacy_name(request, key, params.getlist(key))
            if new is None:
                continue
            name, values = new
            del params[key]
            params.setlist(name, params.getlist(name) + values)
            changed = True
        names = set(self.filterset_class.base_filters)
        bare = not names.intersection(params) and not set(params) - {*IGNORED_PARAMS, PAGE_VAR, ERROR_FLAG}
        if self.filterset_defaults and bare:
            for name, value in self.filterset_defaults.items():
                params[name] = value
            changed = True
        return params if changed else None

    def legacy_name(self, request, key: str, values: list[str]) -> tuple[str, list[str]] | None:
        filters = self.filterset_class.base_filters
        if key in LEGACY_PARAMETERS and LEGACY_PARAMETERS[key][0] in filters:
            name, mapping = LEGACY_PARAMETERS[key]
            return name, [mapping.get(v, v) if mapping else v for v in values]
        if key.endswith("__exact") and key[: -len("__exact")] in filters:
            return key[: -len("__exact")], values  # Django's own `status__exact=...`
        if key.endswith("__id__exact") and isinstance(filters.get(key[: -len("__id__exact")]), IdFilter):
            return key[: -len("__id__exact")], values  # Django's related filter: `endpoint__id__exact=7`
        if key.endswith("__in") and isinstance(filters.get(key[: -len("__in")]), MultipleChoiceFilter):
            return key[: -len("__in")], [v for value in values for v in value.split(",") if v]  # `status__in=a,b`
        if key == "platform__id__exact" and isinstance(filters.get("platform"), PlatformSlugFilter):
            slugs = dict(visible_platforms(request).filter(pk__in=[v for v in values if v.isascii() and v.isdigit()])
                         .values_list("pk", "slug"))
            if len(slugs) == len(values):  # otherwise left as it is: Django filters the scoped rows by id
                return "platform", [slugs[int(v)] for v in values]
        return None

    def changelist_view(self, request, extra_context=None):
        if request.method != "GET" or not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)  # Django refuses it, or it is an action
        if (canonical := self.canonical_query(request)) is not None:
            return HttpResponseRedirect(f"{request.path}?{canonical.urlencode()}")
        if ERROR_FLAG not in request.GET and (problem := self.refusal(request)):
            # Where the API answers 400, the console says why, then shows its list as Django does (`?e=1`).
            self.message_user(request, problem, messages.ERROR)
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
        return super().changelist_view(request, extra_context)

    def refusal(self, request) -> str:
        """What the FilterSet refuses in this query string (the API's 400), as one sentence; empty if nothing."""
        names = set(self.filterset_class.base_filters)
        data = QueryDict(mutable=True)
        for key, values in request.GET.lists():
            if key in names:
                data.setlist(key, values)
        filterset = self.filterset_class(data, queryset=self.model._default_manager.none(), request=request)
        if filterset.is_valid():
            return ""
        return "; ".join(f"{self.filter_title(name)}: {' '.join(errors)}" for name, errors in filterset.errors.items())

    def filter_title(self, name: str) -> str:
        return str(getattr(self.filterset_class.base_filters.get(name), "label", None) or name)
