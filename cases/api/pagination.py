"""Cursor pages for the big lists (no COUNT over millions of rows), numbered pages for the small ones."""

import re

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

MAX_ID = 2**63 - 1  # a bigint
POSITION = re.compile(r"[0-9]{1,19}")


class NewestFirstCursor(CursorPagination):
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


class SmallPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
