"""One FilterSet per listable model, shared by the API lists, the CSV export and the reports.

Filter choices that name other rows (platforms) come from the same scoping rule as the rows, so a
liaison cannot learn another platform's slug by filtering on it: an unknown slug and a hidden one both
answer "not a valid choice".
"""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.choices import (
    CaseStatus,
    Category,
    CommitmentKind,
    CommitmentStatus,
    EventKind,
    EvidenceKind,
    SanctionLevel,
    SanctionStatus,
    Source,
    Tier,
)
from cases.matches import reupload_q
from cases.models import (
    Case,
    CaseEvent,
    Commitment,
    Evidence,
    Letter,
    LetterKind,
    LetterLanguage,
    Meeting,
    Platform,
    Sanction,
)
from cases.reports import DeadlineState, check_day, day_start, deadline_state_q


def visible_platforms(request):
    if request is None:
        return Platform.objects.none()
    return Platform.objects.visible_to(request.user)


class DayField(forms.DateField):
    """A Jakarta calendar day as YYYY-MM-DD, within the range reports and filters take (`check_day`).

    The one parser of days for the FilterSets and the reports' `from`/`to`, so a day outside the range
    answers 400 before any query is built (or any streamed response has started).
    """

    input_formats = ["%Y-%m-%d"]

    def validate(self, value):
        super().validate(value)
        if value is not None:
            check_day(value)


class DayFilter(django_filters.DateFilter):
    field_class = DayField


class TrueFalseField(forms.Field):
    """`true` or `false`, as the schema says; empty means not given. Django's NullBooleanSelect would quietly
    read anything else (`null`, `1`, `yes`) as "not given" and return every row."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("Write true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class TrueFalseFilter(django_filters.BooleanFilter):
    field_class = TrueFalseField


@extend_schema_field(OpenApiTypes.STR)
class PlatformSlugFilter(django_filters.ModelMultipleChoiceFilter):
    def __init__(self, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("queryset", visible_platforms)
        kwargs.setdefault("help_text", _("Platform slug; repeat the parameter for several."))
        super().__init__(**kwargs)


class CaseFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    source = django_filters.MultipleChoiceFilter(choices=Source.choices)
    deadline_state = django_filters.ChoiceFilter(
        choices=DeadlineState.CHOICES, method="filter_deadline_state",
        help_text=_("on_time, due_soon (within an hour), overdue (no action, deadline passed) or late."),
    )
    submitted_from = DayFilter(
        method="filter_submitted_from", help_text=_("Submitted on or after this Jakarta day (YYYY-MM-DD)."))
    submitted_to = DayFilter(
        method="filter_submitted_to", help_text=_("Submitted on or before this Jakarta day (YYYY-MM-DD)."))
    assigned_to_me = TrueFalseFilter(
        method="filter_assigned_to_me", help_text=_("true: assigned to me; false: assigned to nobody."))
    q = django_filters.CharFilter(
        method="filter_q", help_text=_("An exact reference (PTH-2026-000123), or part of the URL."))
    reupload = TrueFalseFilter(
        method="filter_reupload",
        help_text=_("true: a re-upload of an earlier case (evidence the ministry confirmed as the same image); "
                    "false: not one."))
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text=_("Changed (status or order) at or after this time (ISO 8601). For every change, poll "
                    "/api/v1/events/."))

    class Meta:
        model = Case
        fields = ["platform", "status", "category", "tier", "source"]

    def filter_deadline_state(self, queryset, name, value):
        return queryset.filter(deadline_state_q(value)) if value else queryset

    def filter_submitted_from(self, queryset, name, value):
        return queryset.filter(submitted_at__gte=day_start(value))

    def filter_submitted_to(self, queryset, name, value):
        return queryset.filter(submitted_at__lt=day_start(value + timedelta(days=1)))

    def filter_assigned_to_me(self, queryset, name, value):
        if value is None:
            return queryset
        user = getattr(self.request, "user", None)
        return queryset.filter(assigned_to=user) if value else queryset.filter(assigned_to__isnull=True)

    def filter_reupload(self, queryset, name, value):
        if value is None:
            return queryset
        linked = reupload_q(getattr(self.request, "user", None))
        return queryset.filter(linked) if value else queryset.exclude(linked)

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference=value.upper()) | Q(location_url__locates=value))


class CaseEventFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices)

    class Meta:
        model = CaseEvent
        fields = ["kind"]


class EvidenceFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EvidenceKind.choices)

    class Meta:
        model = Evidence
        fields = ["kind"]


class PlatformFilterSet(django_filters.FilterSet):
    class Meta:
        model = Platform
        fields = ["kind", "business_scale"]


class MeetingFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platforms__slug", distinct=True)
    held_from = DayFilter(field_name="held_on", lookup_expr="gte")
    held_to = DayFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Meeting
        fields = ["platform"]


class CommitmentFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    status = django_filters.MultipleChoiceFilter(choices=CommitmentStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=CommitmentKind.choices)
    measured = TrueFalseFilter(method="filter_measured")

    class Meta:
        model = Commitment
        fields = ["platform", "status", "kind"]

    def filter_measured(self, queryset, name, value):
        if value is None:
            return queryset
        measured = ~Q(measured_category="") & Q(target_hours__isnull=False)
        return queryset.filter(measured) if value else queryset.exclude(measured)


class SanctionFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    status = django_filters.MultipleChoiceFilter(choices=SanctionStatus.choices)
    level = django_filters.MultipleChoiceFilter(choices=SanctionLevel.choices)

    class Meta:
        model = Sanction
        fields = ["platform", "status", "level"]


class LetterFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    kind = django_filters.MultipleChoiceFilter(choices=LetterKind.choices)
    language = django_filters.ChoiceFilter(choices=LetterLanguage.choices)
    case = django_filters.CharFilter(field_name="case__reference", help_text="A case reference.")
    sanction = django_filters.NumberFilter(field_name="sanction_id")

    class Meta:
        model = Letter
        fields = ["platform", "kind", "language", "case", "sanction"]
