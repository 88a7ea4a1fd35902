from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases.admin import platform_site

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("platform/", platform_site.urls),
    path("api/", include("cases.api.urls")),
    path("", include("cases.urls")),
]
