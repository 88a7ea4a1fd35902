"""Django's error pages, in the API's error shape for anything under /api/.

Django answers a request that never reached a DRF view (no URL matched, a middleware refused it, an
exception escaped) with its own HTML pages. Under /api/ a client expects `{"error": {"code", "message"}}`
whatever happened, a 500 included, and never the internals of the failure. Elsewhere (the consoles) Django's
pages are kept. Wired in portal/urls.py (handler400, handler403, handler404, handler500).
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(code: str, message: str, status: int) -> JsonResponse:
    response = JsonResponse({"error": {"code": code, "message": str(message)}}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    if is_api(request):
        from cases.api.exceptions import error_body, from_suspicious

        if exception is not None and isinstance(exception, Exception):
            from django.core.exceptions import SuspiciousOperation

            if isinstance(exception, SuspiciousOperation):
                error = from_suspicious(exception)
                return JsonResponse(error_body(error), status=error.status_code)
        return error_response("bad_request", _("The request is malformed."), 400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return error_response("permission_denied", _("You do not have permission to perform this action."), 403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return error_response("not_found", _("Not found."), 404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return error_response("server_error", _("Something went wrong on our side. It has been logged; try again "
                                                "later."), 500)
    return defaults.server_error(request)
