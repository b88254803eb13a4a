"""Sonarr wire details kept out of the client: pyarr's quirks, add bodies, error bodies.

Pure functions (plus one session shim) so each quirk is testable and written down once.
"""

from __future__ import annotations

import ast
import json
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

import requests
from pyarr.exceptions import (
    PyarrAccessRestricted,
    PyarrBadGateway,
    PyarrBadRequest,
    PyarrConnectionError,
    PyarrError,
    PyarrMethodNotAllowed,
    PyarrResourceNotFound,
    PyarrServerError,
    PyarrUnauthorizedError,
)

from integrations.errors import (
    AuthError,
    InternalError,
    InvalidError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UnsupportedError,
    UpstreamError,
    error_for_status,
)
from integrations.http_redirects import CredentialRedirect
from integrations.values.sonarr import (
    AddOptions,
    AddOutcome,
    SonarrQualityProfile,
    SonarrRootFolder,
    SonarrSeries,
    SonarrTag,
)

__all__ = ["PyarrError", "RecordingSession"]

ErrorClass = type[UpstreamError]
_PYARR_ERRORS: tuple[tuple[type[PyarrError], ErrorClass, int | None], ...] = (
    (PyarrUnauthorizedError, AuthError, 401),
    (PyarrAccessRestricted, AuthError, 403),
    (PyarrResourceNotFound, NotFoundError, 404),
    (PyarrMethodNotAllowed, UnsupportedError, 405),
    (PyarrServerError, TransientError, 500),
    (PyarrBadGateway, TransientError, 502),
    (PyarrConnectionError, TransientError, None),
)
_OUTCOMES: tuple[tuple[ErrorClass, AddOutcome], ...] = (
    (AuthError, AddOutcome.AUTH),
    (TransientError, AddOutcome.TRANSIENT),
    (RateLimitedError, AddOutcome.TRANSIENT),
    (NotFoundError, AddOutcome.NOT_FOUND),
    (InvalidError, AddOutcome.INVALID),
)
_TRANSPORT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
              requests.exceptions.ContentDecodingError)
_MAX_MESSAGE = 300


class RecordingSession:
    """pyarr's ``session``: delegates to our configured one, remembers this thread's last status.

    pyarr hands some error bodies (409, 429, 503) back as if they were data; the status lets
    the client classify them exactly instead of guessing from the body.
    """

    def __init__(self, session: requests.Session) -> None:
        self._session = session
        self._local = threading.local()

    @property
    def last_status(self) -> int | None:
        return getattr(self._local, "status", None)

    def forget(self) -> None:
        self._local.status = None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        response = self._session.request(method, url, **kwargs)
        self._local.status = response.status_code
        return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)


Scrub = Callable[[str], str]


def _short(text: str, scrub: Scrub) -> str:
    """One line of at most ``_MAX_MESSAGE``, scrubbed first: a key cut in half by the limit
    would no longer be recognised by the caller's scrubbing."""
    text = " ".join(scrub(str(text)).split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def translate(exc: BaseException, last_status: int | None,
              scrub: Scrub = str) -> tuple[ErrorClass, int | None, str]:
    """(error class, status, message) for anything pyarr or requests raised; ``scrub`` masks
    the key in the message (pyarr's errors may repeat the body)."""
    if isinstance(exc, PyarrBadRequest):
        _, message = classify_rejection(pyarr_body(str(exc)), scrub)
        return InvalidError, 400, message
    for pyarr_cls, cls, status in _PYARR_ERRORS:
        if isinstance(exc, pyarr_cls):
            return cls, status, _short(exc.args[0] if exc.args else type(exc).__name__, scrub)
    if isinstance(exc, CredentialRedirect):
        return InvalidError, None, _short(f"redirect to another origin refused: {exc}", scrub)
    if isinstance(exc, requests.exceptions.RetryError):
        cls = RateLimitedError if "429" in str(exc) else TransientError
        return cls, None, "retries exhausted"
    if isinstance(exc, requests.JSONDecodeError | json.JSONDecodeError):
        return TransientError, last_status, "body is not valid JSON (truncated or not JSON)"
    if isinstance(exc, _TRANSPORT):
        return TransientError, None, _short(f"{type(exc).__name__}: {exc}", scrub)
    if isinstance(exc, AssertionError):  # pyarr's check for a 2xx without application/json
        return TransientError, last_status, "answered without a JSON body"
    if isinstance(exc, ValueError):
        return TransientError, last_status, _short(f"unreadable answer: {exc}", scrub)
    return InternalError, last_status, _short(f"{type(exc).__name__}: {exc}", scrub)


def outcome_for(exc: UpstreamError) -> AddOutcome | None:
    """The add outcome an error stands for; None for unsupported/internal (those raise)."""
    return next((outcome for cls, outcome in _OUTCOMES if isinstance(exc, cls)), None)


def pyarr_body(message: str) -> str:
    """The raw body pyarr embeds in a PyarrBadRequest message as a bytes repr."""
    match = re.search(r"""b(['"]).*$""", message, re.DOTALL)
    if not match:
        return message
    try:
        raw = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return message
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def classify_rejection(raw: str, scrub: Scrub = str) -> tuple[AddOutcome, str]:
    """Read a 400 body: a JSON array of validation failures (or, rarely, something else).

    Sonarr reports a duplicate as a 400 whose array holds a ``SeriesExistsValidator`` failure
    (v2-era bodies have only the message); all failing rules come together, so look at each.
    """
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    failures = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    messages: list[str] = []
    codes: set[str] = set()
    for failure in failures:
        if isinstance(failure, dict):
            codes.add(str(failure.get("errorCode") or ""))
            text = failure.get("errorMessage") or failure.get("message") or failure.get("title")
            if text and str(text) not in messages:
                messages.append(str(text))
    if not failures and raw:
        messages.append(raw)
        codes.update(code for code in ("SeriesExistsValidator",) if code in raw)
    joined = _short("; ".join(messages), scrub) or "rejected by Sonarr"
    lowered = joined.lower()
    if "SeriesExistsValidator" in codes or "already been added" in lowered:
        return AddOutcome.EXISTS, joined
    if "series with this id was not found" in lowered:
        return AddOutcome.NOT_FOUND, joined
    return AddOutcome.INVALID, joined


def shape_problem(data: Any, expect: type, keys: Iterable[str]) -> str | None:
    """Why ``data`` is not the documented shape, or None when it is."""
    if not isinstance(data, expect):
        want = "array" if expect is list else "object"
        return f"expected a JSON {want}, got {type(data).__name__}"
    missing = [key for key in keys if key not in data]
    if missing:
        return f"answer lacks {', '.join(missing)}"
    return None


def error_from_data(problem: str, data: Any, status: int | None,
                    scrub: Scrub = str) -> tuple[ErrorClass, str]:
    """Classify an error body pyarr returned as data (409/429/503) or a wrong-shaped answer."""
    message = problem
    if isinstance(data, dict) and data.get("message"):
        message = str(data["message"])
    if status is not None and not 200 <= status < 300:
        return error_for_status(status), _short(message, scrub)
    if isinstance(data, dict) and "message" in data:
        return TransientError, _short(message, scrub)
    return InvalidError, _short(message, scrub)


def precheck(options: AddOptions, *, is_v4: bool) -> str | None:
    """A problem Sonarr would reject for sure, caught without a request."""
    if not is_v4 and not options.language_profile_id:
        return "Sonarr v3 needs a language profile id"
    return None


def add_body(series: SonarrSeries, options: AddOptions, *, is_v4: bool) -> dict[str, Any]:
    """A fresh POST /series body: the lookup item plus our options (v4: no languageProfileId)."""
    body = series.body()
    body.pop("id", None)  # a stale library id would make Sonarr try to insert with it
    body.pop("path", None)  # let rootFolderPath decide where the series goes
    body.update(
        qualityProfileId=options.quality_profile_id,
        rootFolderPath=options.root_folder_path,
        monitored=options.monitored,
        seasonFolder=options.season_folder,
        seriesType=options.series_type,
        tags=list(options.tags),
        addOptions={
            "monitor": options.monitor,
            "searchForMissingEpisodes": options.search_for_missing,
            "searchForCutoffUnmetEpisodes": options.search_for_cutoff_unmet,
            "ignoreEpisodesWithFiles": False,
            "ignoreEpisodesWithoutFiles": False,
        },
    )
    if is_v4:
        body.pop("languageProfileId", None)
    else:
        body["languageProfileId"] = options.language_profile_id
    if not options.monitored:
        for season in body.get("seasons") or ():
            if isinstance(season, dict):
                season["monitored"] = False
    return body


def _positive(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def created_id(response: requests.Response) -> int | None:
    """The new series id from a 201 body, or else from its Location header."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and _positive(data.get("id")):
        return int(data["id"])
    match = re.search(r"/series/(\d+)/?$", response.headers.get("Location", ""))
    return int(match.group(1)) if match else None


def imported_ids(response: requests.Response) -> dict[int, int] | None:
    """tvdbId -> new id from a series/import answer; None when the body is unreadable."""
    try:
        data = response.json()
    except ValueError:
        return None
    return library_ids(data) if isinstance(data, list) else None


def library_ids(data: Iterable[Any]) -> dict[int, int]:
    """tvdbId -> library id for every series item that has both."""
    ids: dict[int, int] = {}
    for item in data:
        if isinstance(item, dict):
            tvdb_id, series_id = _positive(item.get("tvdbId")), _positive(item.get("id"))
            if tvdb_id and series_id:
                ids[tvdb_id] = series_id
    return ids


def exclusion_ids(data: Iterable[Any]) -> set[int]:
    return {tvdb for item in data if isinstance(item, dict)
            if (tvdb := _positive(item.get("tvdbId")))}


def root_folder(item: dict[str, Any]) -> SonarrRootFolder:
    free = item.get("freeSpace")
    return SonarrRootFolder(id=int(item["id"]), path=str(item["path"]),
                            accessible=bool(item.get("accessible", False)),
                            free_space=int(free) if free is not None else None)


def tag(item: dict[str, Any]) -> SonarrTag:
    return SonarrTag(id=int(item["id"]), label=str(item["label"]))


_FORMAT_SCORE_KEYS = ("minFormatScore", "cutoffFormatScore", "formatItems")


def quality_profile(item: dict[str, Any]) -> SonarrQualityProfile:
    """A quality profile, noting whether it has v4's custom-format score fields."""
    return SonarrQualityProfile(id=int(item["id"]), name=str(item["name"]),
                                format_scores=any(k in item for k in _FORMAT_SCORE_KEYS))


def named(cls: Callable[..., Any]) -> Callable[[dict[str, Any]], Any]:
    """Parser for the ``{id, name}`` profile values."""
    return lambda item: cls(id=int(item["id"]), name=str(item["name"]))
