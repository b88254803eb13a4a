"""The FilterSet every API filter derives from: bounded integers, sized text, strict booleans.

Django-filter's defaults let ``?show=9223372036854775808`` reach the database (a 500 on
SQLite, an out-of-range error on PostgreSQL) and read ``?in_plex=maybe`` as "no filter". The
base class below turns every integer, foreign-key and text field a subclass lists in
``Meta.fields`` into a filter that rejects such values with a 400, and documents its bounds
in the OpenAPI schema. Declared filters use :class:`IntegerFilter` / :class:`TextFilter`.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django import forms
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Field
from drf_spectacular.drainage import set_override

# The narrowest range every supported backend stores for each integer type (PostgreSQL's).
INTEGER_RANGES: dict[str, tuple[int, int]] = BaseDatabaseOperations.integer_field_ranges
ID_RANGE = (1, 2**63 - 1)
TEXT_MAX_LENGTH = 200
_AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}
NO_NUL = r"^[^\x00]*$"


def integer_range(field: Field) -> tuple[int, int]:
    """The values a filter on this (integer, auto or foreign-key) field may take."""
    target = field.target_field if field.is_relation else field
    internal = target.get_internal_type()
    if internal in _AUTO_FIELDS:
        return ID_RANGE
    return INTEGER_RANGES[internal]


def is_integer_field(field: Field) -> bool:
    target = field.target_field if field.is_relation else field
    internal = target.get_internal_type()
    return internal in _AUTO_FIELDS or internal in INTEGER_RANGES


class IntegerFilter(filters.NumberFilter):
    """A whole number within ``[min_value, max_value]`` (ids by default)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, min_value: int = ID_RANGE[0], max_value: int = ID_RANGE[1],
                 **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        set_override(self, "field", {"type": "integer", "format": "int64",
                                     "minimum": min_value, "maximum": max_value})


class TextFilter(filters.CharFilter):
    """Text of at most ``max_length`` characters (no NUL: PostgreSQL refuses it)."""

    def __init__(self, *args: Any, max_length: int = TEXT_MAX_LENGTH, **kwargs: Any) -> None:
        super().__init__(*args, max_length=max_length, **kwargs)
        set_override(self, "field", {"type": "string", "maxLength": max_length,
                                     "pattern": NO_NUL})


class StrictBooleanFormField(forms.Field):
    """``true``/``false`` (or ``1``/``0``); anything else is an error, not "no filter"."""

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanFormField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)
        set_override(self, "field", {"type": "boolean"})


class ApiFilterSet(filters.FilterSet):
    """Generated filters are bounded: integers and ids by their column, text by its length.

    An empty value (``?season=``) is an error for every filter but text: "no filter" is
    said by leaving the parameter out.
    """

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if self.data.get(name) == "" and not isinstance(filter_, filters.CharFilter):
                self.form.add_error(name, "Enter a value, or leave the parameter out.")
        return valid and not self.form.errors

    @classmethod
    def filter_for_lookup(cls, field: Field, lookup_type: str) -> tuple[type, dict[str, Any]]:
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        choices = getattr(field, "choices", None)
        if lookup_type in ("exact", "gt", "gte", "lt", "lte") and is_integer_field(field) \
                and not choices:
            low, high = integer_range(field)
            return IntegerFilter, {"min_value": low, "max_value": high}
        if filter_class is filters.CharFilter:
            length = getattr(field, "max_length", None) or TEXT_MAX_LENGTH
            return TextFilter, {**params, "max_length": length}
        if filter_class is filters.BooleanFilter:
            return BooleanFilter, params
        return filter_class, params
