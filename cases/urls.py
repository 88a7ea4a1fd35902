from django.urls import path

from cases.evidence.views import evidence
from cases.reporting.views import transparency
from cases.sanctions.views import letters

app_name = "cases"

urlpatterns = [
    path("evidence/<int:pk>/download/", evidence.download_evidence, name="evidence-download"),
    path("letters/<int:pk>/download/", letters.download_letter, name="letter-download"),
    path("transparency/", transparency.index, name="transparency"),
    path("transparency/<int:pk>/", transparency.report, name="transparency-report"),
    path("transparency/<int:pk>.csv", transparency.report_csv, name="transparency-csv"),
    path("transparency/<int:pk>.json", transparency.report_json, name="transparency-json"),
]
