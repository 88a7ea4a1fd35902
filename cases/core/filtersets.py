"""One FilterSet per listable model, shared by the API lists, the CSV export, the reports and the consoles' lists.

The consoles render each FilterSet filter as a list filter under the same parameter name
(`cases.core.admin.filters`), and their search box is the FilterSet's `q`: a query string copied from a console's
list gives the same rows from the API for the same user.

Filter choices that name other rows (platforms) come from the same scoping rule as the rows, so a
liaison cannot learn another platform's slug by filtering on it: an unknown slug and a hidden one both
answer "not a valid choice".
"""

import re
from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.core import clock
from cases.core.choices import (
    AWAITING_ACTION_STATUSES,
    CaseStatus,
    Category,
    CommitmentKind,
    CommitmentOwner,
    CommitmentStatus,
    EventKind,
    EvidenceKind,
    SanctionLevel,
    SanctionStatus,
    Source,
    Tier,
    Visibility,
)
from cases.evidence import filetypes
from cases.evidence.matches import reupload_q
from cases.models import (
    Case,
    CaseEvent,
    Commitment,
    DeliveryStatus,
    Evidence,
    Letter,
    LetterKind,
    LetterLanguage,
    Meeting,
    Platform,
    Recheck,
    Sanction,
    StillLiveFlag,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from cases.reporting.reports import DeadlineState, check_day, day_start, deadline_state_q

REFERENCE_RE = re.compile(r"^[A-Z]{2,5}-\d{4}-\d{6,}$")
SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


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
    """A day; the consoles show a `_from`/`_to` pair as one range under `range_label`."""

    field_class = DayField

    def __init__(self, *args, range_label=None, **kwargs):
        self.range_label = range_label
        super().__init__(*args, **kwargs)


class MomentField(IsoDateTimeField):
    """An ISO 8601 time within the range Patuh takes (`clock.moment_problem`): the year 1 overflows when its offset
    is applied, and a time before 1990 asks about nothing Patuh holds."""

    def validate(self, value):
        super().validate(value)
        if value is not None and (problem := clock.moment_problem(value, future_ok=True)):
            raise forms.ValidationError(problem, code="out_of_range")

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(_("The time is out of range."), code="out_of_range") from None


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


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
    """`true`/`false`; `choice_labels` names the two for the consoles' list filters."""

    field_class = TrueFalseField

    def __init__(self, *args, choice_labels=None, **kwargs):
        self.choice_labels = choice_labels or (_("yes"), _("no"))
        super().__init__(*args, **kwargs)


class SearchFilter(django_filters.CharFilter):
    """The search `q` of a list, in the API and as the consoles' search box: a term shaped like a case reference
    (or a SHA-256) is matched exactly on that path; anything else is matched exactly on `exact` or as part of
    `contains` (with `lookup`: `locates` for the case locations, cases/cases/search.py)."""

    def __init__(self, *, reference=None, sha256=None, exact=(), contains=(), lookup="icontains", **kwargs):
        self.reference, self.sha256, self.exact, self.contains, self.lookup = reference, sha256, exact, contains, lookup
        super().__init__(**kwargs)

    def filter(self, qs, value):
        term = (value or "").strip()
        return qs.filter(self.term_q(term)) if term else qs

    def term_q(self, term: str) -> Q:
        if self.reference and REFERENCE_RE.match(term.upper()):
            return Q(**{self.reference: term.upper()})
        if self.sha256 and SHA256_RE.match(term):
            return Q(**{self.sha256: term.lower()})
        found = Q(pk__in=[])
        for path in self.exact:
            found |= Q(**{path: term})
        for path in self.contains:
            found |= Q(**{f"{path}__{self.lookup}": term})
        return found


PLATFORM_SLUG_SCHEMA = {"type": "string", "minLength": 1, "pattern": "^[-a-zA-Z0-9_]+$"}


@extend_schema_field(PLATFORM_SLUG_SCHEMA)  # sent empty, it is refused like any slug that is not one (400)
class PlatformSlugFilter(django_filters.ModelMultipleChoiceFilter):
    def __init__(self, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", _("platform"))
        kwargs.setdefault("queryset", visible_platforms)
        kwargs.setdefault("help_text", _("Platform slug; repeat the parameter for several."))
        super().__init__(**kwargs)

    def get_filter_predicate(self, v):
        # The slug was resolved to its platform when the value was validated: filter on the platform itself
        # (`platform_id = 2`), not a join on the slug, so PostgreSQL plans with that platform's statistics (a
        # platform's overdue cases at 10M: 56,881 rows, estimated at 93 through the join).
        if self.field_name.endswith("__slug"):
            return {self.field_name.removesuffix("__slug"): v}
        return super().get_filter_predicate(v)


DEADLINE_STATE_CHOICES = [
    (DeadlineState.ON_TIME, _("on time")),
    (DeadlineState.DUE_SOON, _("due within 1 h")),
    (DeadlineState.OVERDUE, _("overdue")),
    (DeadlineState.LATE, _("late")),
]
RECHECK_CHOICES = [("still_live", _("reported removed, still live")), ("gone", _("re-check found it gone"))]


class CaseFilterSet(django_filters.FilterSet):
    # distinct=False: django-filter's multiple-choice filters add DISTINCT by default, for to-many paths. These are
    # the case's own columns and its one platform, which cannot repeat a row, and DISTINCT over every column made
    # PostgreSQL sort every matching case (the filtered console list's capped count at 10 M: 690 ms, now 6 ms).
    platform = PlatformSlugFilter(field_name="platform__slug", label=_("platform"), distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices, label=_("status"), distinct=False)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, label=_("category"), distinct=False)
    tier = django_filters.ChoiceFilter(choices=Tier.choices, label=_("tier"))
    source = django_filters.MultipleChoiceFilter(choices=Source.choices, label=_("source"), distinct=False)
    awaiting = TrueFalseFilter(
        method="filter_awaiting", label=_("awaiting"), choice_labels=(_("awaiting the platform"), _("not awaiting")),
        help_text=_("true: awaiting the platform (submitted or acknowledged); false: not awaiting it."))
    deadline_state = django_filters.ChoiceFilter(
        choices=DEADLINE_STATE_CHOICES, method="filter_deadline_state", label=_("deadline"),
        help_text=_("on_time, due_soon (within an hour), overdue (no action, deadline passed) or late."),
    )
    submitted_from = DayFilter(
        method="filter_submitted_from", label=_("submitted from"), range_label=_("submitted"),
        help_text=_("Submitted on or after this Jakarta day (YYYY-MM-DD)."))
    submitted_to = DayFilter(
        method="filter_submitted_to", label=_("submitted to"),
        help_text=_("Submitted on or before this Jakarta day (YYYY-MM-DD)."))
    assigned_to_me = TrueFalseFilter(
        method="filter_assigned_to_me", label=_("assignment"), choice_labels=(_("assigned to me"), _("unassigned")),
        help_text=_("true: assigned to me; false: assigned to nobody."))
    # The one search of cases: the trigram indexes answer `locates` on PostgreSQL (cases/cases/search.py).
    q = SearchFilter(reference="reference", contains=("location_url", "handle", "native_id"), lookup="locates",
                     help_text=_("An exact reference (PTH-2026-000123), or part of the URL, handle or native id."))
    reupload = TrueFalseFilter(
        method="filter_reupload", label=_("re-upload"),
        choice_labels=(_("re-upload of an earlier case"), _("not a re-upload")),
        help_text=_("true: a re-upload of an earlier case (evidence the ministry confirmed as the same image); "
                    "false: not one."))
    recheck = django_filters.ChoiceFilter(
        choices=RECHECK_CHOICES, method="filter_recheck", label=_("re-check"),
        help_text=_("still_live: reported removed but a re-check found it live (ministry only); gone: the latest "
                    "re-check of an actioned case found it gone."))
    updated_since = MomentFilter(
        field_name="updated_at", lookup_expr="gte", label=_("changed since"),
        help_text=_("Changed (status or order) at or after this time (ISO 8601). For every change, poll "
                    "/api/v1/events/."))

    class Meta:
        model = Case
        fields = ["platform", "status", "category", "tier", "source"]

    @property
    def user(self):
        return getattr(self.request, "user", None)

    def filter_awaiting(self, queryset, name, value):
        if value is None:
            return queryset
        awaiting = Q(status__in=AWAITING_ACTION_STATUSES)
        return queryset.filter(awaiting) if value else queryset.exclude(awaiting)

    def filter_deadline_state(self, queryset, name, value):
        return queryset.filter(deadline_state_q(value)) if value else queryset

    def filter_submitted_from(self, queryset, name, value):
        return queryset.filter(submitted_at__gte=day_start(value))

    def filter_submitted_to(self, queryset, name, value):
        return queryset.filter(submitted_at__lt=day_start(value + timedelta(days=1)))

    def filter_assigned_to_me(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(assigned_to=self.user) if value else queryset.filter(assigned_to__isnull=True)

    def filter_reupload(self, queryset, name, value):
        if value is None:
            return queryset
        linked = reupload_q(self.user)
        return queryset.filter(linked) if value else queryset.exclude(linked)

    def filter_recheck(self, queryset, name, value):
        """Through the flags and re-checks this user may see: still-live flags are the ministry's leads, so a
        liaison's `still_live` finds nothing."""
        if value == "still_live":
            flags = StillLiveFlag.objects.visible_to(self.user).open().filter(case=OuterRef("pk"))
            return queryset.filter(Exists(flags))
        if value == "gone":
            latest = Recheck.objects.visible_to(self.user).filter(status="done", cycle=F("case__submission_count"))
            return queryset.filter(status=CaseStatus.ACTIONED, pk__in=latest.filter(verdict="gone").values(
                "case_id")).exclude(pk__in=latest.exclude(verdict="gone").values("case_id"))
        return queryset


class CaseEventFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices, label=_("kind"))
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices, label=_("visibility"))
    q = SearchFilter(reference="case__reference", contains=("actor_name",),
                     help_text=_("A case reference (exact), or part of the actor's name."))

    class Meta:
        model = CaseEvent
        fields = ["kind", "visibility"]


CONTENT_TYPE_CHOICES = sorted(((t.mime, t.mime) for t in filetypes.ACCEPTED), key=lambda choice: choice[0])


class EvidenceFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EvidenceKind.choices, label=_("kind"))
    visibility = django_filters.ChoiceFilter(choices=Visibility.choices, label=_("visibility"))
    content_type = django_filters.MultipleChoiceFilter(choices=CONTENT_TYPE_CHOICES, label=_("content type"))
    withdrawn = TrueFalseFilter(method="filter_withdrawn", label=_("withdrawn"),
                                choice_labels=(_("withdrawn"), _("not withdrawn")))
    q = SearchFilter(reference="case__reference", sha256="sha256", contains=("original_name",),
                     help_text=_("A case reference or a SHA-256 (exact), or part of the original file name."))

    class Meta:
        model = Evidence
        fields = ["kind", "visibility"]

    def filter_withdrawn(self, queryset, name, value):
        return queryset if value is None else queryset.filter(withdrawn_at__isnull=not value)


class PlatformFilterSet(django_filters.FilterSet):
    q = SearchFilter(contains=("name", "slug"), help_text=_("Part of the name or the slug."))

    class Meta:
        model = Platform
        fields = ["kind", "business_scale"]


class MeetingFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platforms__slug", distinct=True)
    held_from = DayFilter(field_name="held_on", lookup_expr="gte", label=_("from"), range_label=_("date"),
                          help_text=_("Held on or after this day (YYYY-MM-DD)."))
    held_to = DayFilter(field_name="held_on", lookup_expr="lte", label=_("to"),
                        help_text=_("Held on or before this day (YYYY-MM-DD)."))
    q = SearchFilter(contains=("title", "title_en", "minutes"), help_text=_("Part of the title or the minutes."))

    class Meta:
        model = Meeting
        fields = ["platform"]


class CommitmentFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    status = django_filters.MultipleChoiceFilter(choices=CommitmentStatus.choices, label=_("status"))
    kind = django_filters.MultipleChoiceFilter(choices=CommitmentKind.choices, label=_("kind"))
    owner = django_filters.MultipleChoiceFilter(choices=CommitmentOwner.choices, label=_("owner"))
    measured = TrueFalseFilter(method="filter_measured", label=_("measured"))
    q = SearchFilter(contains=("text", "text_en"), help_text=_("Part of the commitment's text."))

    class Meta:
        model = Commitment
        fields = ["platform", "status", "kind", "owner"]

    def filter_measured(self, queryset, name, value):
        if value is None:
            return queryset
        measured = ~Q(measured_category="") & Q(target_hours__isnull=False)
        return queryset.filter(measured) if value else queryset.exclude(measured)


class SanctionFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    status = django_filters.MultipleChoiceFilter(choices=SanctionStatus.choices, label=_("status"))
    level = django_filters.MultipleChoiceFilter(choices=SanctionLevel.choices, label=_("level"))

    class Meta:
        model = Sanction
        fields = ["platform", "status", "level"]


class WebhookEndpointFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    is_active = TrueFalseFilter(field_name="is_active", label=_("active"), choice_labels=(_("active"), _("paused")))

    class Meta:
        model = WebhookEndpoint
        fields = ["platform", "is_active"]


class IdFilter(django_filters.NumberFilter):
    """A whole-number id (a bigint), or 400. Never a choice list in the API: that would tell another platform's ids
    apart from ids that do not exist. (The consoles list the related rows the user may see.)"""

    field_class = forms.IntegerField

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=2**63 - 1, **kwargs)


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    endpoint = IdFilter(field_name="endpoint_id", label=_("endpoint"), help_text=_("An endpoint's id."))
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices, label=_("status"))
    event_type = django_filters.MultipleChoiceFilter(choices=WebhookEventType.choices, label=_("event type"))
    q = SearchFilter(reference="case__reference", exact=("message_id",),
                     help_text=_("A webhook id or a case reference (exact)."))

    class Meta:
        model = WebhookDelivery
        fields = ["platform", "endpoint", "status", "event_type"]


class LetterFilterSet(django_filters.FilterSet):
    platform = PlatformSlugFilter(field_name="platform__slug")
    kind = django_filters.MultipleChoiceFilter(choices=LetterKind.choices)
    language = django_filters.ChoiceFilter(choices=LetterLanguage.choices)
    case = django_filters.CharFilter(field_name="case__reference", help_text="A case reference.")
    sanction = django_filters.NumberFilter(field_name="sanction_id")

    class Meta:
        model = Letter
        fields = ["platform", "kind", "language", "case", "sanction"]
