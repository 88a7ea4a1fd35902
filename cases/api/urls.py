"""/api/: v1 resources, the OpenAPI schema, and its interactive docs (assets served locally by the sidecar)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from cases.api.views import feed, webhooks
from cases.cases.api import cases
from cases.commitments.api import resources
from cases.evidence.api import evidence, rechecks
from cases.reporting.api import published, reports

app_name = "api"

router = SimpleRouter()
router.register("cases", cases.CaseViewSet, basename="case")
router.register(r"cases/(?P<reference>[A-Za-z0-9-]+)/events", cases.CaseEventViewSet, basename="case-event")
router.register(r"cases/(?P<reference>[A-Za-z0-9-]+)/cycles", cases.CaseCycleViewSet, basename="case-cycle")
router.register(r"cases/(?P<reference>[A-Za-z0-9-]+)/evidence", evidence.CaseEvidenceViewSet,
                basename="case-evidence")
router.register("evidence", evidence.EvidenceViewSet, basename="evidence")
router.register("platforms", resources.PlatformViewSet, basename="platform")
router.register("meetings", resources.MeetingViewSet, basename="meeting")
router.register("commitments", resources.CommitmentViewSet, basename="commitment")
router.register("sanctions", resources.SanctionViewSet, basename="sanction")
router.register("letters", resources.LetterViewSet, basename="letter")
router.register("webhooks", webhooks.WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", webhooks.WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("published-reports", published.PublishedReportViewSet, basename="published-report")

v1 = [
    path("cases/export.csv", cases.CaseExportView.as_view(), name="case-export"),
    path("cases/transitions/bulk/", feed.BulkTransitionView.as_view(), name="case-transitions-bulk"),
    path("events/", feed.EventFeedView.as_view(), name="event-feed"),
    path("reports/compliance/", reports.ComplianceReportView.as_view(), name="report-compliance"),
    path("reports/daily/", reports.DailyReportView.as_view(), name="report-daily"),
    path("reports/commitments/", reports.CommitmentReportView.as_view(), name="report-commitments"),
    path("reports/sanctions/", reports.SanctionReportView.as_view(), name="report-sanctions"),
    path("reports/rechecks/", rechecks.RecheckReportView.as_view(), name="report-rechecks"),
    path("public/transparency/", reports.PublicTransparencyView.as_view(), name="public-transparency"),
    *router.urls,
]

# The split view serves Swagger UI's start-up script as a file (script-src 'self', no inline script). The page
# still carries drf-spectacular's small <style> block, so style-src allows inline style on this page only.
docs_view = csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs_view, name="docs"),
]
