"""Helpers for describing the API in its OpenAPI schema (drf-spectacular).

The schema is a contract that tests/test_schemathesis.py holds the API to: what it says may come back must
be what comes back, and what it says is invalid must be refused.
"""

from django_filters import ModelMultipleChoiceFilter, MultipleChoiceFilter
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from cases.api.serializers import ErrorSerializer

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `error.fields` says which.",
    401: "No valid credentials (session or bearer token).",
    403: "Signed in, but this role may not do this.",
    404: "No such object, or not yours to see. For a list: no such page, or a cursor that is not ours.",
    409: "Refused: the object's state does not allow it, or it changed since you read it.",
    413: "The body is larger than the server reads (`request_too_large`).",
    422: "The Idempotency-Key was already used for a different request (`idempotency_key_reused`).",
    429: "Rate limit reached: see Retry-After.",
}

EMPTY = {"type": "string", "maxLength": 0}


def errors(*codes: int) -> dict:
    """{status: the common error shape} for the given statuses (401 and 429 are always added)."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
            for code in sorted({*codes, 401, 429})}


def list_errors(*codes: int) -> dict:
    """The errors of a paginated list: a bad filter (400) and a page or cursor that does not exist (404)."""
    return errors(400, 404, *codes)


def or_empty(schema: dict) -> dict:
    """`schema`, or an empty string: for a query parameter that, sent empty, counts as not sent."""
    if schema.get("type") == "string" and not ({"format", "pattern", "minLength"} & set(schema)):
        if "enum" not in schema:
            return schema
        return schema if "" in schema["enum"] else {**schema, "enum": [*schema["enum"], ""]}
    outer = {k: schema[k] for k in ("description",) if k in schema}
    inner = {k: v for k, v in schema.items() if k not in outer}
    return {**outer, "oneOf": [inner, EMPTY]}


def optional_query(name: str, schema: dict, description: str, *, blank_ignored: bool = True) -> OpenApiParameter:
    """An optional query parameter given by its JSON schema. `blank_ignored`: `?name=` means "not given"."""
    return OpenApiParameter(name, or_empty(schema) if blank_ignored else schema, OpenApiParameter.QUERY,
                            required=False, description=description)


class BlankMeansAbsentFilters(DjangoFilterExtension):
    """django-filter ignores an empty value of a single-valued filter (`?tier=` is no filter at all), but
    refuses one of a multiple-choice filter (`?status=` is not a valid choice). Say so in the schema."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        if not isinstance(filter_field, MultipleChoiceFilter | ModelMultipleChoiceFilter):
            for parameter in parameters:
                parameter["schema"] = or_empty(parameter["schema"])
        return parameters


class MinistryOnlyFieldsScheme(OpenApiSerializerExtension):
    """Fields only the ministry sees (`MinistryOnlyFields`) are left out for liaisons: not required."""

    target_class = "cases.api.serializers.MinistryOnlyFields"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        hidden = set(self.target.ministry_only_fields)
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in hidden]
        for name in hidden & set(schema.get("properties", {})):
            prop = schema["properties"][name]
            prop["description"] = " ".join(filter(None, [prop.get("description"), "Ministry only."]))
        return schema
