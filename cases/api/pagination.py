"""Cursor pages for the big lists (no COUNT over millions of rows), numbered pages for the small ones."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class NewestFirstCursor(CursorPagination):
    """Cases and evidence, newest first. The id is unique and follows creation, so cursors are stable."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class OldestFirstCursor(NewestFirstCursor):
    """A case's timeline, in the order it happened."""

    ordering = "id"


class SmallPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
