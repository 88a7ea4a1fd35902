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

# Under /api/, errors that never reach a DRF view answer in the API's error shape (cases/api/handlers.py).
handler400 = "cases.api.handlers.bad_request"
handler403 = "cases.api.handlers.permission_denied"
handler404 = "cases.api.handlers.page_not_found"
handler500 = "cases.api.handlers.server_error"
