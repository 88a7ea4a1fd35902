"""Cursor pages for the big lists (no COUNT over millions of rows), numbered pages for the small ones."""

import re

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_ID = 2**63 - 1  # a bigint
POSITION = re.compile(r"[0-9]{1,19}")
DIGITS = re.compile(r"[0-9]+")  # ASCII digits only (str.isdigit() takes "²"); any length: a huge size is capped


class PageSizeParameter:
    """`?page_size=`: a whole number from 1 (more than the maximum gives the maximum); empty means the default.

    DRF quietly serves the default page for `page_size=abc` or `0`; a client that asked for something it did not
    get should be told (400), and the schema says what is accepted.
    """

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not DIGITS.fullmatch(raw) or not raw.strip("0"):
            raise ValidationError({self.page_size_query_param: [
                _("A whole number from 1 (more than %(max)d gives %(max)d).") % {"max": self.max_page_size}]})
        digits = raw.lstrip("0")
        return self.max_page_size if len(digits) > 9 else min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        from cases.api.schema import or_empty

        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = or_empty({"type": "integer", "minimum": 1})
                parameter["description"] = f"Rows per page, up to {self.max_page_size} (default {self.page_size})."
            elif parameter["name"] == getattr(self, "page_query_param", None):
                parameter["schema"] = or_empty(parameter["schema"])  # `?page=` is the first page
        return parameters


class NewestFirstCursor(PageSizeParameter, CursorPagination):
    """Cases and evidence, newest first. The id is unique and follows creation, so cursors are stable."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        """DRF's decoding, and the position must be an id: a tampered cursor is 404 "invalid cursor", not a
        query that fails."""
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor is not None else None
        if position is not None and not (POSITION.fullmatch(position) and int(position) <= MAX_ID):
            raise NotFound(self.invalid_cursor_message)
        return cursor


class OldestFirstCursor(NewestFirstCursor):
    """A case's timeline, in the order it happened."""

    ordering = "id"


class SmallPages(PageSizeParameter, PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
