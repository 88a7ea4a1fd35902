"""Helpers for describing the API in its OpenAPI schema (drf-spectacular)."""

from drf_spectacular.utils import OpenApiResponse

from cases.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `error.fields` says which.",
    401: "No valid credentials (session or bearer token).",
    403: "Signed in, but this role may not do this.",
    404: "No such object, or not yours to see.",
    409: "Refused: the object's state does not allow it, or it changed since you read it.",
    422: "The Idempotency-Key was already used for a different request.",
    429: "Rate limit reached: see Retry-After.",
}


def errors(*codes: int) -> dict:
    """{status: the common error shape} for the given statuses (401 and 429 are always added)."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
            for code in sorted({*codes, 401, 429})}
