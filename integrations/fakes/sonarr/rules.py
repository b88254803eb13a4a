"""Sonarr's add validation and JSON rendering, as the fake reproduces them.

Failures use FluentValidation's shape (the recorded v4 ``GreaterThanValidator`` body); the
duplicate check is ``SeriesExistsValidator``, a 400, never a 409. v4 renders through
System.Text.Json: nulls omitted, ``'`` (and ``< > & +``) escaped, non-ASCII escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Mapping
from typing import Any

from integrations.fakes.base import FakeRequest

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_V4_ESCAPES = (("'", "\\u0027"), ("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"),
               ("+", "\\u002B"))
_PATH = re.compile(r"^(/|[A-Za-z]:\\|\\\\)")


def render(obj: Any, *, v4: bool) -> bytes:
    """Serialize like the server version does."""
    if not v4:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    text = json.dumps(omit_nulls(obj), ensure_ascii=True, separators=(",", ":"))
    for char, escaped in _V4_ESCAPES:
        text = text.replace(char, escaped)
    return text.encode()


def omit_nulls(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: omit_nulls(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [omit_nulls(v) for v in obj]
    return obj


def failure(prop: str, message: str, value: Any, code: str | None,
            extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One FluentValidation failure as Sonarr serializes it."""
    placeholders = {**(extra or {}), "propertyName": _CAMEL.sub(" ", prop),
                    "propertyValue": value}
    return {"propertyName": prop, "errorMessage": message, "attemptedValue": value,
            "severity": "error", "errorCode": code, "formattedMessageArguments": [],
            "formattedMessagePlaceholderValues": placeholders}


def _greater_than_zero(prop: str, value: Any) -> dict[str, Any]:
    spaced = _CAMEL.sub(" ", prop)
    return failure(prop, f"'{spaced}' must be greater than '0'.", value, "GreaterThanValidator",
                   {"comparisonValue": 0, "comparisonProperty": ""})


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def valid_path(path: Any) -> bool:
    return isinstance(path, str) and bool(_PATH.match(path))


def controller_failures(body: Mapping[str, Any], *, v4: bool, library_tvdb: Container[int],
                        quality_ids: set[int], language_ids: set[int],
                        root_paths: set[str]) -> list[dict[str, Any]]:
    """SeriesController's Post/Shared validators: every failing rule, together."""
    found: list[dict[str, Any]] = []
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        found.append(failure("Title", "'Title' must not be empty.", title or "",
                             "NotEmptyValidator"))
    tvdb_id = _as_int(body.get("tvdbId"))
    if tvdb_id <= 0:
        found.append(_greater_than_zero("TvdbId", body.get("tvdbId", 0)))
    elif tvdb_id in library_tvdb:
        found.append(failure("TvdbId", "This series has already been added", tvdb_id,
                             "SeriesExistsValidator"))
    quality = _as_int(body.get("qualityProfileId"))
    if quality <= 0:
        found.append(_greater_than_zero("QualityProfileId", body.get("qualityProfileId", 0)))
    elif quality not in quality_ids:
        found.append(failure("QualityProfileId", "Quality Profile does not exist", quality,
                             "QualityProfileExistsValidator"))
    if not v4:
        language = _as_int(body.get("languageProfileId"))
        if language <= 0:
            found.append(_greater_than_zero("LanguageProfileId", body.get("languageProfileId", 0)))
        elif language not in language_ids:
            found.append(failure("LanguageProfileId", "Language Profile does not exist",
                                 language, "LanguageProfileExistsValidator"))
    found += path_failures(body, v4=v4, root_paths=root_paths)
    return found


def path_failures(body: Mapping[str, Any], *, v4: bool,
                  root_paths: set[str]) -> list[dict[str, Any]]:
    """Path or rootFolderPath must be a valid path (v4: the root folder must exist)."""
    path, root = body.get("path"), body.get("rootFolderPath")
    if path:
        return [] if valid_path(path) else [
            failure("Path", f"Invalid Path: '{path}'", path, "PathValidator")]
    if not valid_path(root):
        return [failure("RootFolderPath", f"Invalid Path: '{root or ''}'", root or "",
                        "PathValidator")]
    if v4 and str(root).rstrip("/") not in root_paths:
        return [failure("RootFolderPath", f"Root folder '{root}' does not exist", root,
                        "RootFolderExistsValidator")]
    return []


def not_found_failure(tvdb_id: int, path: str | None) -> dict[str, Any]:
    """AddSeriesService's failure when SkyHook does not know the id (no code, no severity)."""
    return {"propertyName": "TvdbId",
            "errorMessage": f"A series with this ID was not found. Path: {path or ''}",
            "attemptedValue": tvdb_id, "severity": "error", "errorCode": None,
            "formattedMessageArguments": [], "formattedMessagePlaceholderValues": {}}

def body_of(request: FakeRequest) -> Any:
    """The request's JSON body, or None when it is not JSON."""
    try:
        return request.json()
    except ValueError:
        return None


def as_int(value: Any) -> int:
    """An int the way Sonarr's model binding reads one: anything else is 0."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
