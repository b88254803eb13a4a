"""Serializer fields that take JSON types at their word.

The API reads JSON only, so a field documented as ``integer`` refuses ``"12"``, ``true``
and ``1.5``; ``boolean`` refuses ``0`` and ``"yes"``; ``string`` refuses ``12``. DRF's
defaults coerce all of these (they were written for HTML forms), which makes the schema
say less than the API accepts. :func:`use_strict_json_fields` makes these the fields every
ModelSerializer builds, bounded like the narrowest database column (so SQLite and PostgreSQL
accept and document the same range), and a new endpoint is strict without asking.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rest_framework import relations, serializers

from catalog.api.filter_base import INTEGER_RANGES


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """Text, and at most ``max_length`` characters as sent: white space around a value is
    trimmed, but a value the schema's ``maxLength`` refuses is refused here too."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class StrictDateTimeField(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset (the schema's ``date-time``), nothing looser:
    not a bare date, not a space for the ``T``, not a time without a zone."""

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not RFC3339.match(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss[.uuuuuu](Z|+hh:mm)")
        return super().to_internal_value(value)


class StrictPrimaryKeyRelatedField(relations.PrimaryKeyRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


_STRICT = {
    serializers.BooleanField: StrictBooleanField,
    serializers.IntegerField: StrictIntegerField,
    serializers.FloatField: StrictFloatField,
    serializers.CharField: StrictCharField,
}


def _portable_bounds(build: Callable) -> Callable:
    """Bound integers by the narrowest column every backend has (SQLite would take 2**63)."""
    if getattr(build, "portable_bounds", False):
        return build

    def build_standard_field(self: Any, field_name: str, model_field: Any) -> tuple:
        field_class, kwargs = build(self, field_name, model_field)
        bounds = INTEGER_RANGES.get(model_field.get_internal_type())
        if bounds and issubclass(field_class, serializers.IntegerField):
            low, high = bounds
            kwargs["min_value"] = max(kwargs.get("min_value", low), low)
            kwargs["max_value"] = min(kwargs.get("max_value", high), high)
        return field_class, kwargs

    build_standard_field.portable_bounds = True
    return build_standard_field


def use_strict_json_fields() -> None:
    """Make every ModelSerializer build the strict fields above (idempotent)."""
    model_serializer = serializers.ModelSerializer
    mapping = model_serializer.serializer_field_mapping
    for model_field, field_class in list(mapping.items()):
        if field_class in _STRICT:
            mapping[model_field] = _STRICT[field_class]
    model_serializer.serializer_related_field = StrictPrimaryKeyRelatedField
    model_serializer.build_standard_field = _portable_bounds(model_serializer.build_standard_field)
