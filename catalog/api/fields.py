"""Serializer fields that take JSON types at their word.

The API reads JSON only, so a field documented as ``integer`` refuses ``"12"``, ``true``
and ``1.5``; ``boolean`` refuses ``0`` and ``"yes"``; ``string`` refuses ``12``. DRF's
defaults coerce all of these (they were written for HTML forms), which makes the schema
say less than the API accepts. :func:`use_strict_json_fields` makes these the fields every
ModelSerializer builds, so a new endpoint is strict without asking.
"""

from __future__ import annotations

from typing import Any

from rest_framework import relations, serializers


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
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


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


def use_strict_json_fields() -> None:
    """Make every ModelSerializer build the strict fields above (idempotent)."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    for model_field, field_class in list(mapping.items()):
        if field_class in _STRICT:
            mapping[model_field] = _STRICT[field_class]
    serializers.ModelSerializer.serializer_related_field = StrictPrimaryKeyRelatedField
