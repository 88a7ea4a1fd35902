"""One error shape for every API failure, whatever raised it:

    {"error": {"code": "invalid", "message": "A sentence for a person.", "fields": {"name": ["..."]}}}

`fields` is present when individual inputs were wrong; some errors add keys (e.g. `existing_reference`).
Service exceptions are translated here: Django's ValidationError → 400, PermissionDenied → 403,
Http404 → 404, a refused transition → 409 (400 when its data was invalid), a body over Django's limits
(a form field over DATA_UPLOAD_MAX_MEMORY_SIZE → 413, more than DATA_UPLOAD_MAX_NUMBER_FIELDS → 400).

What never reaches a DRF view (an unmatched /api/ path, a failure in a middleware, a server error) gets the
same shape from the handlers in `cases.api.handlers` (portal/urls.py's handler400/403/404/500).
"""

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from cases.cases.workflow import TransitionError


class ApiError(exceptions.APIException):
    """An error with a code, a message, optional field errors and optional extra keys."""

    def __init__(self, message, *, code: str, status_code: int, fields: dict | None = None, **extra):
        super().__init__(detail=str(message), code=code)
        self.status_code = status_code
        self.code = code
        self.fields = fields or {}
        self.extra = extra


def conflict(message, *, code: str = "conflict", **extra) -> ApiError:
    return ApiError(message, code=code, status_code=status.HTTP_409_CONFLICT, **extra)


def unprocessable(message, *, code: str, **extra) -> ApiError:
    return ApiError(message, code=code, status_code=status.HTTP_422_UNPROCESSABLE_ENTITY, **extra)


def invalid(message, *, fields: dict | None = None, code: str = "invalid") -> ApiError:
    return ApiError(message, code=code, status_code=status.HTTP_400_BAD_REQUEST, fields=fields)


def from_django_validation(err: DjangoValidationError) -> ApiError:
    fields = {}
    if hasattr(err, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in err.message_dict.items()}
    general = fields.pop(NON_FIELD_ERRORS, None) or ([] if fields else [str(m) for m in err.messages])
    message = " ".join(general) if general else _("Some fields are invalid.")
    code = getattr(err, "code", None) or "invalid"
    if fields and general:
        fields[api_settings.NON_FIELD_ERRORS_KEY] = general
    return invalid(message, fields=fields, code=code if isinstance(code, str) else "invalid")


def from_transition_error(err: TransitionError) -> ApiError:
    if err.code in ("invalid", "unknown"):
        return invalid(err.message, fields={k: [v] for k, v in err.field_errors.items()}, code=err.code)
    return conflict(err.message, code=err.code)


def from_suspicious(exc: SuspiciousOperation) -> ApiError:
    """Django's refusals of a request it will not read (sizes, counts, a malformed multipart body)."""
    if isinstance(exc, RequestDataTooBig):
        return ApiError(_("A form field is larger than the server reads. Send the file as a file field, or send "
                          "less."), code="request_too_large", status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, TooManyFieldsSent):
        return invalid(_("The request has more form fields than the server reads."), code="too_many_fields")
    return invalid(_("The request is malformed."), code="bad_request")


def _flatten(detail):
    """DRF's nested ErrorDetail structures as plain strings and lists."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, ApiError):
        error = {"code": exc.code, "message": str(exc.detail)}
        if exc.fields:
            error["fields"] = exc.fields
        error.update(exc.extra)
        return {"error": error}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if not isinstance(fields, dict):
            fields = {api_settings.NON_FIELD_ERRORS_KEY: fields if isinstance(fields, list) else [fields]}
        general = fields.get(api_settings.NON_FIELD_ERRORS_KEY)
        message = general[0] if isinstance(general, list) and general and isinstance(general[0], str) else None
        return {"error": {"code": "invalid", "message": message or str(_("Some fields are invalid.")),
                          "fields": fields}}
    codes = exc.get_codes()
    return {"error": {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail)}}


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = from_django_validation(exc)
    elif isinstance(exc, TransitionError):
        exc = from_transition_error(exc)
    elif isinstance(exc, SuspiciousOperation):
        exc = from_suspicious(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    set_rollback()
    return Response(error_body(exc), status=exc.status_code, headers=headers)
