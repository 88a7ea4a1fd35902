"""What the JSON endpoints accept: JSON only, and not more of it than a full batch needs.

The limit is `settings.PATUH["API_MAX_BODY_BYTES"]` (default 8 MB: a batch of 1,000 orders with long
statements of reasons fits many times over). A bigger body answers 413 before it is read past the limit.
"""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.parsers import JSONParser

from cases.api.exceptions import ApiError

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024


def max_body_bytes() -> int:
    return int(settings.PATUH.get("API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def too_large(limit: int) -> ApiError:
    return ApiError(_("The request body is larger than %(n)d bytes. Send less at a time.") % {"n": limit},
                    code="request_too_large", status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser, refusing a body over the limit with 413 (by its Content-Length, or as it is read)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_body_bytes()
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {})
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except (TypeError, ValueError):
            declared = 0
        if declared > limit:
            raise too_large(limit)
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise too_large(limit)
        return super().parse(io.BytesIO(body), media_type, parser_context)


JSON_ONLY = [BoundedJSONParser]
