"""`/api/v1/reports/rechecks/`: the share of reported actions found still live, per platform (docs/reports.md).

Re-check results themselves are on each case's timeline (`/api/v1/cases/{reference}/events/`, kind `rechecked`),
with their evidence under `/api/v1/cases/{reference}/evidence/`.
"""

from django.utils.decorators import method_decorator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from cases.api.schema import errors
from cases.core.filtersets import CaseFilterSet
from cases.evidence.services.rechecks import still_live_share
from cases.models import Case, Recheck
from cases.reporting.api.reports import FORMAT_PARAMETER, PERIOD_PARAMETERS, ReportView, _param, period, valid_filterset
from portal.routers import replica_reads


class StillLiveRowSerializer(serializers.Serializer):
    platform = serializers.CharField()
    platform_name = serializers.CharField()
    checked_actions = serializers.IntegerField(help_text="Reported actions (case and submission) that scheduled "
                                                         "re-checks reached with a conclusive verdict.")
    found_live = serializers.IntegerField(help_text="Of those, found live against the reported action (flags an "
                                                    "analyst dismissed are not counted).")
    still_live_share = serializers.FloatField(allow_null=True, help_text="found_live / checked_actions.")


class RecheckReportView(ReportView):
    @extend_schema(
        summary="Reported actions found still live",
        description="Per platform, for actions reported in the period (default: the last 30 days): how many were "
                    "re-checked by Patuh's scheduled re-checks with a conclusive verdict (gone, restricted, live), "
                    "how many were found live against the reported action, and the share. Defined in "
                    "docs/reports.md.",
        parameters=[*PERIOD_PARAMETERS, _param("platform", str, "Platform slug (repeatable)."), FORMAT_PARAMETER],
        responses={200: StillLiveRowSerializer(many=True), **errors(400)},
    )
    @method_decorator(replica_reads())
    def get(self, request):
        first, last = period(request, default_days=30)
        fs = valid_filterset(CaseFilterSet, Case.objects.visible_to(request.user), request, ("platform",))
        rows = Recheck.objects.visible_to(request.user)
        if fs.form.cleaned_data.get("platform"):
            rows = rows.filter(platform__in=fs.form.cleaned_data["platform"])
        figures = still_live_share(rows, first=first, last=last)
        return self.csv(figures, "rechecks") if self.wants_csv(request) else Response(figures)
