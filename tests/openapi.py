"""The API's OpenAPI schema as the tests read it: generated in-process once, on first use, never at import."""

import copy
import functools

from drf_spectacular.generators import SchemaGenerator


@functools.cache
def _generated() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def openapi_schema() -> dict:
    """A copy the caller may change (the isolation probe adds an operation to test itself)."""
    return copy.deepcopy(_generated())


def component(name: str) -> dict:
    return _generated()["components"]["schemas"][name]


def operation(path: str, method: str = "get") -> dict:
    return _generated()["paths"][path][method]
