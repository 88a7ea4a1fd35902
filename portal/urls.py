from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases.admin import platform_site
from cases.views.favicon import favicon

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("favicon.ico", favicon, name="favicon"),  # public, like the login pages: an icon, no data
    path("admin/", admin.site.urls),
    path("platform/", platform_site.urls),
    path("api/", include("cases.api.urls")),
    path("", include("cases.urls")),
]
