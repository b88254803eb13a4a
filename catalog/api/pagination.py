"""Page numbers for people, cursors for clients that walk a whole list while it changes.

Page-number pagination: 50 a page by default, 1 to 500 on request, pages from 1. A page or
page size that is not a whole number in range is a 400 naming the parameter (DRF would answer
404 to ``?page=abc`` and quietly clamp ``?page_size=10000``); a page past the last one is a
404, as in DRF.

``?paging=cursor`` (or a ``cursor`` from a previous answer) pages by id instead
(:mod:`catalog.api.cursor`): the same ``count``/``next``/``previous``/``results`` answer, whose
links carry a cursor in place of a page number, and which rows inserted or updated between
two requests cannot shift.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from catalog.api.cursor import (
    CURSOR_PATTERN,
    Cursor,
    KeysetPage,
    cursor_parse,
    keyset_page,
    walk_order,
)

MAX_PAGE = 10**9
PAGING = ("page", "cursor")


def _whole_number(request: Request, name: str, high: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 1 <= int(text) <= high:
        raise ValidationError({name: [f"Enter a whole number from 1 to {high}."]})
    return int(text)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()
    paging_query_param = "paging"
    cursor_query_param = "cursor"
    keyset: KeysetPage | None = None

    def get_page_size(self, request: Request) -> int:
        size = _whole_number(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def _cursor_mode(self, request: Request) -> bool:
        """Whether this request pages by cursor; mixing the two ways is a 400."""
        params = request.query_params
        mode = params.get(self.paging_query_param)
        if mode is not None and mode not in PAGING:
            raise ValidationError({self.paging_query_param: ["Choose page or cursor."]})
        mode = mode or ("cursor" if self.cursor_query_param in params else "page")
        if mode == "page" and self.cursor_query_param in params:
            raise ValidationError({self.cursor_query_param: [
                "A cursor pages with paging=cursor (or with paging left out)."]})
        if mode == "cursor" and self.page_query_param in params:
            raise ValidationError({self.page_query_param: [
                "Page numbers and cursors do not mix: follow the next and previous links."]})
        return mode == "cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self.request = request
        self.keyset = None
        if self._cursor_mode(request):
            return self._paginate_by_cursor(queryset, request)
        number = _whole_number(request, self.page_query_param, MAX_PAGE) or 1
        size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(f"Page {number} does not exist.") from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return list(self.page)

    def _paginate_by_cursor(self, queryset: Any, request: Request) -> list[Any]:
        cursor = cursor_parse(request.query_params.get(self.cursor_query_param),
                              self.cursor_query_param)
        order = walk_order(request.query_params.get(api_settings.ORDERING_PARAM),
                           api_settings.ORDERING_PARAM, cursor)
        size = self.get_page_size(request)
        self.count = queryset.count()
        self.keyset = keyset_page(queryset, cursor, order, size)
        return self.keyset.rows

    def _link(self, cursor: Cursor | None) -> str | None:
        if cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, str(cursor))

    def get_paginated_response(self, data: Any) -> Response:
        if self.keyset is None:
            return super().get_paginated_response(data)
        return Response({"count": self.count, "next": self._link(self.keyset.next),
                         "previous": self._link(self.keyset.previous), "results": data})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": "Page number, from 1 (a page past the last one answers 404). "
                            "Not with a cursor.",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Rows per page (default {self.page_size}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
            {"name": self.paging_query_param, "required": False, "in": "query",
             "description": "`cursor` pages by id, and rows inserted or updated meanwhile "
                            "shift nothing: follow `next` to the end. With a cursor, "
                            "`ordering` may only be `id` (the default) or `-id`.",
             "schema": {"type": "string", "enum": list(PAGING), "default": "page"}},
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": "Where a cursor walk goes on: take it from `next` or `previous`, "
                            "with the `ordering` it came with.",
             "schema": {"type": "string", "pattern": CURSOR_PATTERN}},
        ]
