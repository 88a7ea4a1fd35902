"""Every figure the dashboards show, for reporting clients; each also as CSV (`?format=csv`).

The figures come from `cases.reporting.reports`, over the user's scope (`ReportScope`, the rule of
`Case.objects.visible_to(user)`): the ministry sees every platform, a liaison only their own. Period
counts are read from the rollup tables (`cases.core.recorders.rollups`). The public transparency report is the
one exception: counts only, over every submitted case, served only when PATUH_PUBLIC_TRANSPARENCY is on.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api.exceptions import invalid
from cases.api.renderers import CSVRenderer
from cases.api.schema import ERROR_DESCRIPTIONS, errors, optional_query
from cases.api.serializers import (
    CommitmentFiguresSerializer,
    ComplianceReportSerializer,
    DailyRowSerializer,
    ErrorSerializer,
    SanctionCountSerializer,
    TransparencyRowSerializer,
)
from cases.api.throttling import AnonThrottle, IPThrottle
from cases.core import clock
from cases.core.choices import Category, CommitmentStatus, SanctionStatus, Tier
from cases.core.filtersets import PLATFORM_SLUG_SCHEMA, CaseFilterSet, CommitmentFilterSet, DayField, SanctionFilterSet
from cases.models import Case, Commitment, Sanction
from cases.reporting.reports import (
    ReportScope,
    commitment_figures,
    compliance_report,
    daily_by_platform,
    day_bounds,
    last_days,
    sanction_counts,
)
from portal.routers import replica_reads

MAX_DAILY_DAYS = 366


def _param(name, kind, description, **kw):
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, description=description, **kw)


# `from`, `to`, `tier` and `format` sent empty count as not sent (`period()`, the single-valued filters).
DAY = {"type": "string", "format": "date"}
PERIOD_PARAMETERS = [
    optional_query("from", DAY, "First Jakarta day (YYYY-MM-DD), inclusive."),
    optional_query("to", DAY, "Last Jakarta day (YYYY-MM-DD), inclusive. Default: today."),
]
CASE_PARAMETERS = [
    _param("platform", {"type": "array", "items": PLATFORM_SLUG_SCHEMA}, "Platform slug (repeatable)."),
    _param("category", OpenApiTypes.STR, "Category (repeatable).", enum=Category.values),
    optional_query("tier", {"type": "string", "enum": Tier.values}, "Urgency tier."),
]
FORMAT_PARAMETER = optional_query("format", {"type": "string", "enum": ["json", "csv"]}, "csv for a CSV file; JSON "
                                  "otherwise.")


def period(request, *, default_days: int) -> tuple[date, date]:
    """`from` and `to` (Jakarta days, inclusive), parsed and range-checked like the FilterSets' days;
    by default the `default_days` days ending with `to` (or today)."""
    values = {}
    for name in ("from", "to"):
        raw = request.query_params.get(name)
        if raw in (None, ""):
            continue
        try:
            values[name] = DayField().clean(raw)
        except ValidationError as err:
            message = " ".join(err.messages) if err.code == "out_of_range" else _("Give dates as YYYY-MM-DD.")
            raise invalid(message, fields={name: err.messages}) from None
    last = values.get("to") or last_days(1)[1]
    first = values.get("from") or last_days(default_days, last=last)[0]
    if first > last:
        raise invalid(_("“from” is after “to”."), fields={"from": [_("After “to”.")]})
    return first, last


def valid_filterset(filterset_class, queryset, request, allowed: tuple[str, ...]):
    """The shared FilterSet over `queryset`, with only the parameters this report accepts, validated."""
    data = QueryDict(mutable=True)
    for key in allowed:
        if key in request.query_params:
            data.setlist(key, request.query_params.getlist(key))
    fs = filterset_class(data, queryset=queryset, request=request)
    if not fs.is_valid():
        raise exceptions.ValidationError(fs.errors)
    return fs


def filtered(filterset_class, queryset, request, allowed: tuple[str, ...]):
    return valid_filterset(filterset_class, queryset, request, allowed).qs


def report_scope(request) -> ReportScope:
    """The user's scope narrowed by `platform`, `category` and `tier`, judged by the case list's FilterSet
    (the same parameters give the same errors); the reports apply it to the rollups and the cases alike."""
    fs = valid_filterset(CaseFilterSet, Case.objects.visible_to(request.user), request,
                         ("platform", "category", "tier"))
    data = fs.form.cleaned_data
    # The platform field's queryset was evaluated when it was validated: no further query.
    return ReportScope(request.user, platforms=tuple(data.get("platform") or ()),
                       categories=tuple(data.get("category") or ()), tier=data.get("tier") or "")


class FormatNegotiation(DefaultContentNegotiation):
    """An unknown `?format=` is invalid input (400, naming the parameter), not a missing page (DRF's 404)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            raise invalid(_("Ask for format=json or format=csv."),
                          fields={"format": [_("json or csv.")]}) from None


class ReportView(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = FormatNegotiation

    def wants_csv(self, request) -> bool:
        return getattr(request.accepted_renderer, "format", "") == "csv"

    def csv(self, rows, name: str) -> Response:
        stamp = timezone.localtime(clock.now()).strftime("%Y%m%d")
        return Response(rows, headers={"Content-Disposition": f'attachment; filename="patuh-{name}-{stamp}.csv"'})


class ComplianceReportView(ReportView):
    @extend_schema(
        summary="Compliance per platform",
        description="The figures of docs/reports.md for the period (default: the last 30 days): cases received, "
                    "orders (submission cycles) opened and of those acknowledged, actioned, met and missed, "
                    "objections pending, objections lodged, withdrawn, still open, overdue now, the share within "
                    "the deadline (on_time / (on_time + missed)), and the exact median and p90 hours to "
                    "acknowledge and to act (whole minutes from the cycle's opening); per platform, per "
                    "category, and in total.",
        parameters=[*PERIOD_PARAMETERS, *CASE_PARAMETERS, FORMAT_PARAMETER],
        responses={200: ComplianceReportSerializer, **errors(400)},
    )
    @method_decorator(replica_reads())
    def get(self, request):
        first, last = period(request, default_days=30)
        report = compliance_report(report_scope(request), first=first, last=last)
        if self.wants_csv(request):
            rows = []
            for p in report["platforms"]:
                figures = {k: v for k, v in p.items() if k not in ("categories", "platform_name")}
                rows.append({**figures, "category": ""})
                rows.extend({"platform": p["platform"], **c} for c in p["categories"])
            rows.append({"platform": "", "category": "", **report["total"]})
            order = ["platform", "category"]
            return self.csv([{k: r.get(k) for k in [*order, *[k for k in report["total"]]]} for r in rows],
                            "compliance")
        return Response({"period": {"from": first, "to": last}, **report})


class DailyReportView(ReportView):
    @extend_schema(
        summary="Daily series per platform",
        description="Per platform in scope per Jakarta day (default: the last 30 days, at most 366), zeros "
                    "included: cases received, orders opened, objections lodged, actions reported, deadlines "
                    "missed, actions reported late (docs/reports.md).",
        parameters=[*PERIOD_PARAMETERS, *CASE_PARAMETERS, FORMAT_PARAMETER],
        responses={200: DailyRowSerializer(many=True), **errors(400)},
    )
    @method_decorator(replica_reads())
    def get(self, request):
        first, last = period(request, default_days=30)
        if (last - first).days + 1 > MAX_DAILY_DAYS:
            raise invalid(_("Ask for at most %(n)d days at a time.") % {"n": MAX_DAILY_DAYS},
                          fields={"from": [_("Period too long.")]})
        rows = daily_by_platform(report_scope(request), first=first, last=last)
        return self.csv(rows, "daily") if self.wants_csv(request) else Response(rows)


class CommitmentReportView(ReportView):
    @extend_schema(
        summary="Commitments and their measures",
        description="Every commitment you may see, its status, and for measurable ones (a category and target "
                    "hours) the measure from the cases submitted in the period (default: the last 90 days).",
        parameters=[*PERIOD_PARAMETERS,
                    _param("platform", {"type": "array", "items": PLATFORM_SLUG_SCHEMA}, "Platform slug (repeatable)."),
                    _param("status", OpenApiTypes.STR, "Commitment status (repeatable).",
                           enum=CommitmentStatus.values),
                    FORMAT_PARAMETER],
        responses={200: CommitmentFiguresSerializer(many=True), **errors(400)},
    )
    @method_decorator(replica_reads())
    def get(self, request):
        first, last = period(request, default_days=90)
        commitments = filtered(CommitmentFilterSet, Commitment.objects.visible_to(request.user), request,
                               ("platform", "status", "kind"))
        start, end = day_bounds(first, last)
        rows = commitment_figures(commitments, start=start, end=end)
        return self.csv(rows, "commitments") if self.wants_csv(request) else Response(rows)


class SanctionReportView(ReportView):
    @extend_schema(
        summary="Sanctions by platform, level and status",
        description="Counts of the sanctions proposed in the period (default: the last 365 days), or of those "
                    "issued in it with counted_by=issued; each row says which. Liaisons see their platform's "
                    "issued sanctions only.",
        parameters=[*PERIOD_PARAMETERS,
                    optional_query("counted_by", {"type": "string", "enum": ["proposed", "issued"]},
                                   "Select the sanctions proposed in the period (default) or issued in it."),
                    _param("platform", {"type": "array", "items": PLATFORM_SLUG_SCHEMA}, "Platform slug (repeatable)."),
                    _param("status", OpenApiTypes.STR, "Sanction status (repeatable).", enum=SanctionStatus.values),
                    FORMAT_PARAMETER],
        responses={200: SanctionCountSerializer(many=True), **errors(400)},
    )
    @method_decorator(replica_reads())
    def get(self, request):
        first, last = period(request, default_days=365)
        counted_by = request.query_params.get("counted_by") or "proposed"
        if counted_by not in ("proposed", "issued"):
            raise invalid(_("Ask for counted_by=proposed or counted_by=issued."),
                          fields={"counted_by": [_("proposed or issued.")]})
        sanctions = filtered(SanctionFilterSet, Sanction.objects.visible_to(request.user), request,
                             ("platform", "status", "level"))
        rows = sanction_counts(sanctions, start=day_bounds(first, last)[0], end=day_bounds(first, last)[1],
                               counted_by=counted_by)
        return self.csv(rows, "sanctions") if self.wants_csv(request) else Response(rows)


class PublicTransparencyView(ReportView):
    """Anonymous, aggregate, and off unless the ministry publishes it: the rows of a published report."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, IPThrottle]

    @extend_schema(
        summary="Public transparency report",
        description="The month rows of a published report (the latest, or `report=<id>`; `from`/`to` keep the "
                    "months that meet those days): per month (Jakarta), "
                    "platform and category, the counts docs/reports.md defines, with every count below the "
                    "publishing threshold shown as \"< 10\". No URL, handle, reference or evidence. Served only "
                    "when the ministry publishes (PATUH_PUBLIC_TRANSPARENCY=1); 404 otherwise. The page for "
                    "people is /transparency/.",
        auth=[],
        parameters=[optional_query("report", {"type": "integer"}, "A published report's id; default the latest."),
                    *PERIOD_PARAMETERS, FORMAT_PARAMETER],
        responses={
            200: TransparencyRowSerializer(many=True),
            **{code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in
               (400, 404, 429)},
        },
    )
    @method_decorator(replica_reads())
    def get(self, request):
        from cases.models import PublishedReport
        from cases.reporting.services.publishing import csv_rows

        if not settings.PATUH_PUBLIC_TRANSPARENCY:
            raise exceptions.NotFound()
        months = None
        if request.query_params.get("from") or request.query_params.get("to"):
            first, last = period(request, default_days=3650)
            months = (f"{first:%Y-%m}", f"{last:%Y-%m}")
        wanted = request.query_params.get("report") or ""
        published = PublishedReport.objects.all()
        if wanted:
            if not wanted.isdigit() or len(wanted) > 18:
                raise invalid(_("Give a published report's id."), fields={"report": [_("A whole number.")]})
            published = published.filter(pk=int(wanted))
        report = published.first()
        if wanted and report is None:
            raise exceptions.NotFound()
        rows = csv_rows(report) if report is not None else []
        if months is not None:  # the published months that meet the period
            rows = [r for r in rows if months[0] <= r["month"] <= months[1]]
        return self.csv(rows, "transparency") if self.wants_csv(request) else Response(rows)
