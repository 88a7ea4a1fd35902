from django.urls import path

from cases.views import evidence

app_name = "cases"

urlpatterns = [
    path("evidence/<int:pk>/download/", evidence.download_evidence, name="evidence-download"),
]
