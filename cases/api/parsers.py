"""What the JSON endpoints accept: JSON only, and not more of it than a full batch needs.

The limit is `settings.PATUH["API_MAX_BODY_BYTES"]` (default 8 MB: a batch of 1,000 orders with long
statements of reasons fits many times over). A bigger body answers 413 before it is read past the limit.
Nesting deeper than MAX_DEPTH answers 400 `too_deep` (no order is deeper than 3; a 2 KB body 950 levels deep
exhausted the parser's recursion), and text UTF-8 cannot encode (a lone surrogate) 400 with the field named.
This parser is every API view's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, JSONParser, MultiPartParser

from cases.core import text

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_DEPTH = 32


def max_body_bytes() -> int:
    return int(settings.PATUH.get("API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))


def _api_error():
    # Imported on use: this module is a DRF setting, read while rest_framework.views (which exceptions imports)
    # is still being imported.
    from cases.api import exceptions

    return exceptions


def too_large(limit: int):
    return _api_error().ApiError(_("The request body is larger than %(n)d bytes. Send less at a time.") % {"n": limit},
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
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        view = (parser_context or {}).get("view")
        skip = frozenset(getattr(view, "json_judged_per_item", ()) or ())
        deep, bad = text.walk(data, max_depth=MAX_DEPTH, skip=skip)
        if deep:
            raise too_deep()
        if bad:
            raise _api_error().invalid(next(iter(bad.values())), fields={path: [why] for path, why in bad.items()})
        return data


def too_deep():
    return _api_error().ApiError(_("The JSON is nested more than %(n)d levels deep.") % {"n": MAX_DEPTH},
                                 code="too_deep", status_code=status.HTTP_400_BAD_REQUEST)


JSON_ONLY = [BoundedJSONParser]


class _NameKeepingDjangoParser(DjangoMultiPartParser):
    """Django's multipart parser, remembering each file name as the client sent it (before Django strips its
    path: `../../etc/passwd.png` would otherwise arrive as `passwd.png`, or, for `..`, not at all)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.names_as_sent: list[str] = []

    def sanitize_file_name(self, file_name):
        self.names_as_sent.append(file_name)
        return super().sanitize_file_name(file_name)


class NameCheckingMultiPartParser(MultiPartParser):
    """DRF's multipart parser, judging each file's name as sent by the evidence rule
    (`cases.evidence.services.evidence.clean_original_name`: no `..` path, a name at all): refused with 400 on
    `file`."""

    def parse(self, stream, media_type=None, parser_context=None):
        from cases.evidence.services.evidence import clean_original_name

        parser_context = parser_context or {}
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _NameKeepingDjangoParser(meta, stream, request.upload_handlers,
                                              parser_context.get("encoding", settings.DEFAULT_CHARSET))
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(_("The multipart body is malformed: %(error)s") % {"error": exc}) from None
        for name in parser.names_as_sent:
            try:
                clean_original_name(name)
            except DjangoValidationError as err:
                for upload in files.values():
                    upload.close()  # a spooled file goes now, not when the garbage collector gets to it
                message = " ".join(err.messages)
                raise _api_error().invalid(message, fields={"file": [message]}, code=err.code or "invalid") from None
        return DataAndFiles(data, files)
