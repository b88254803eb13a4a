"""Page-number pagination: 50 a page by default, 1 to 500 on request, pages from 1.

A page or page size that is not a whole number in range is a 400 naming the parameter (DRF
would answer 404 to ``?page=abc`` and quietly clamp ``?page_size=10000``); a page past the
last one is a 404, as in DRF.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import InvalidPage
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

MAX_PAGE = 10**9


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

    def get_page_size(self, request: Request) -> int:
        size = _whole_number(request, self.page_size_query_param, self.max_page_size)
        return self.page_size if size is None else size

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        number = _whole_number(request, self.page_query_param, MAX_PAGE) or 1
        size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(f"Page {number} does not exist.") from None
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        self.request = request
        return list(self.page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {"name": self.page_query_param, "required": False, "in": "query",
             "description": "Page number, from 1 (a page past the last one answers 404).",
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            {"name": self.page_size_query_param, "required": False, "in": "query",
             "description": f"Rows per page (default {self.page_size}).",
             "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size}},
        ]
