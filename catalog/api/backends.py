"""Search and ordering that refuse what they cannot honour instead of ignoring it.

DRF's own backends skip an unknown ``ordering`` field silently and pass any ``search``
text through; here an unknown field, an over-long or NUL-bearing term is a 400 naming the
parameter, and the schema lists the accepted orderings and the term's length.

Every list ends its ordering in the primary key: PostgreSQL returns rows that tie on the
sort keys in whatever order each plan yields, so two ``OFFSET`` pages would otherwise skip
some tied rows and repeat others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from rest_framework import filters
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from catalog.api.filter_base import NO_NUL

SEARCH_MAX_LENGTH = 100


class SearchFilter(filters.SearchFilter):
    def get_search_terms(self, request: Request) -> list[str]:
        raw = request.query_params.get(self.search_param, "")
        if len(raw) > SEARCH_MAX_LENGTH:
            raise ValidationError(
                {self.search_param: [f"Ensure this has at most {SEARCH_MAX_LENGTH} characters."]})
        if "\x00" in raw:
            raise ValidationError({self.search_param: ["Null characters are not allowed."]})
        return super().get_search_terms(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"].update(maxLength=SEARCH_MAX_LENGTH, pattern=NO_NUL)
        return params


def unique_ordering(terms: Sequence[Any]) -> list[Any]:
    """``terms`` ending in the primary key, in the direction of the last term, so that no two
    rows tie; unchanged when a term already is the key (what follows it never decides)."""
    names = [term.removeprefix("-") if isinstance(term, str) else None for term in terms]
    if "pk" in names or "id" in names:
        return list(terms)
    last = terms[-1] if terms else ""
    return [*terms, "-pk" if isinstance(last, str) and last.startswith("-") else "pk"]


class OrderingFilter(filters.OrderingFilter):
    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        """The client's ordering, else the view's or the model's, ending in the primary key."""
        ordering = (self.get_ordering(request, queryset, view) or queryset.query.order_by
                    or queryset.model._meta.ordering)
        return queryset.order_by(*unique_ordering(ordering))

    def _choices(self, view: Any) -> list[str]:
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, (list, tuple)):
            return list(fields)
        queryset = getattr(view, "queryset", None)
        return [name for name, _label in self.get_valid_fields(queryset, view, {})]

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> Any:
        raw = request.query_params.get(self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",")]
        allowed = set(self._choices(view))
        unknown = [term for term in terms if term.removeprefix("-") not in allowed or not term]
        if unknown or len(terms) > len(allowed):
            choices = ", ".join(sorted(allowed)) or "none"
            raise ValidationError({self.ordering_param: [
                f"Unknown ordering {unknown[0] if unknown else raw!r}; choose from {choices} "
                "(prefix - for descending)."]})
        return terms

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        choices = self._choices(view)
        enum = [value for name in choices for value in (name, f"-{name}")]
        return [{
            "name": self.ordering_param, "required": False, "in": "query",
            "description": "Sort by these fields, comma separated; prefix - for descending. "
                           "Rows that tie come by id, in the last field's direction.",
            "style": "form", "explode": False,
            "schema": {"type": "array", "items": {"type": "string", "enum": enum},
                       "minItems": 1, "maxItems": len(choices)},
        }]
