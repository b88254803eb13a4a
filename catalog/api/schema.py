"""The OpenAPI schema states every answer an operation can give, errors included.

drf-spectacular documents the success answer only. This AutoSchema adds, per operation, the
error answers its view can actually produce: 400 (field errors: parameters or a body), 401
and 403 (role-checked views), 404 (an object in the path or named in the body, a page past
the last), 409 (a
write that collides with a unique row, or a sync already running), 413/415 (bodies), 429
(throttled views). New endpoints get them by existing; nothing is listed by hand.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from rest_framework.fields import CharField, ListField
from rest_framework.permissions import AllowAny
from rest_framework.serializers import ListSerializer

from catalog.models.validators import SPACE

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "`detail` for the request as a whole, else one list of messages per field.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
_WRITE_METHODS = {"POST", "PUT", "PATCH"}
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^{SPACE}\x00][^\x00]*$"


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": ERROR_SCHEMA}}, **extra}


class ApiAutoSchema(AutoSchema):
    def _error_responses(self, operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
        params = operation.get("parameters", [])
        has_query = any(p.get("in") == "query" for p in params)
        has_path = any(p.get("in") == "path" for p in params)
        has_body = "requestBody" in operation or self.method in _WRITE_METHODS
        open_view = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        errors: dict[str, dict[str, Any]] = {}
        if has_query or has_body:
            errors["400"] = _error("Invalid input: a message per field, or `detail`.")
        if not open_view:
            errors["401"] = _error("Not authenticated (no or a bad session or token).")
            errors["403"] = _error("Authenticated, but the role does not allow this.")
        if has_path or has_body or self._is_list_view():
            errors["404"] = _error("No such object, a page past the last one, or the body "
                                   "names something that does not exist.")
        if self.method in _WRITE_METHODS:
            errors["409"] = _error("Conflicts with an existing row, or a run is already active.")
        if has_body:
            errors["413"] = _error("The body is larger than the API accepts.")
            errors["415"] = _error("The body is not JSON.")
        if self.view.get_throttles():
            errors["429"] = _error("Too many attempts; retry after `Retry-After` seconds.",
                                   headers={"Retry-After": {"schema": {"type": "integer"}}})
        return errors

    def _map_serializer_field(self, field: Any, direction: str, *args: Any,
                              **kwargs: Any) -> dict[str, Any]:
        """Also state, as ``pattern``, what a field's function validators accept."""
        schema = super()._map_serializer_field(field, direction, *args, **kwargs)
        if direction == "request" and isinstance(field, ListField | ListSerializer):
            if not field.allow_empty:
                schema.setdefault("minItems", 1)  # DRF refuses [] here; say so
            if isinstance(field, ListSerializer):  # spectacular states no bounds for these
                if field.max_length is not None:
                    schema["maxItems"] = field.max_length
                if field.min_length is not None:
                    schema["minItems"] = max(field.min_length, schema.get("minItems", 0))
        if direction != "request" or schema.get("type") != "string" or "format" in schema:
            return schema
        for validator in getattr(field, "validators", ()):
            pattern = getattr(validator, "openapi_pattern", None)
            if pattern is None and isinstance(validator, RegexValidator) \
                    and not validator.inverse_match and not validator.regex.flags & ~re.UNICODE:
                pattern = validator.regex.pattern  # a RegexField's own rule
            if pattern:
                schema["pattern"] = pattern
                return schema
        if isinstance(field, CharField) and "pattern" not in schema and "enum" not in schema:
            # DRF refuses NUL, and text that is blank once trimmed unless blank is allowed.
            blank_ok = field.allow_blank or not field.trim_whitespace
            schema["pattern"] = NO_NUL if blank_ok else NOT_BLANK
        return schema

    def _map_serializer(self, serializer: Any, direction: str, *args: Any,
                        **kwargs: Any) -> dict[str, Any]:
        """A serializer naming ``openapi_exactly_one_of`` fields says so with ``oneOf``; one that
        refuses names it lacks (``openapi_closed``) says so with ``additionalProperties``."""
        schema = super()._map_serializer(serializer, direction, *args, **kwargs)
        names = getattr(serializer, "openapi_exactly_one_of", ())
        if names and direction == "request":
            schema["oneOf"] = [{"required": [name]} for name in names]
        if getattr(serializer, "openapi_closed", False) and direction == "request":
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        body = operation.get("requestBody")
        if body and getattr(self.get_request_serializer(), "openapi_exactly_one_of", ()):
            body["required"] = True  # an empty body names none of them
        responses = operation.setdefault("responses", {})
        for code, response in self._error_responses(operation).items():
            responses.setdefault(code, response)
        return operation
