"""The API's one request parser: JSON of bounded size and nesting.

DRF's JSON parser reads whatever length the client sends (Django's upload limit only covers
forms) and lets ``[[[[…`` 100,000 deep raise RecursionError, a 500. This one answers 413
past ``API_MAX_BODY_BYTES`` and 400 past ``API_MAX_JSON_DEPTH`` levels, before any
serializer sees the data.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError
from rest_framework.status import HTTP_413_REQUEST_ENTITY_TOO_LARGE


class PayloadTooLarge(APIException):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


def json_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` levels (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def has_lone_surrogate(data: Any) -> bool:
    """Whether a key or string holds half of a UTF-16 pair (``"\\ud800"`` is valid JSON): no
    database stores one, and an answer echoing it cannot be encoded (iterative)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: dict | None = None) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request body too large: at most {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body too large: at most {limit} bytes.")
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except LookupError:  # a charset codecs knows that is no text encoding (rot13, zlib)
            raise ParseError(f"JSON parse error - {encoding!r} is not a text encoding.") from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if json_depth_exceeds(data, settings.API_MAX_JSON_DEPTH):
            raise ParseError(
                f"JSON parse error - nested deeper than {settings.API_MAX_JSON_DEPTH} levels.")
        if has_lone_surrogate(data):
            raise ParseError("JSON parse error - a string holds a lone UTF-16 surrogate.")
        return data
