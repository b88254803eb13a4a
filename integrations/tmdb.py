"""TMDB v3 client: TV details with external ids, ``/find`` by tvdb/imdb id, the changes feed.

TMDB error bodies (``status_code``, ``status_message``; ``success`` may be absent) become the
shared error classes with ``status_message`` as their message. The key is a v3 api key
(``api_key`` query parameter) or a v4 read token (``eyJ…``, sent as a Bearer header); both
are scrubbed from every error, log line and repr.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests

from integrations import metrics
from integrations.errors import InvalidError, UpstreamError
from integrations.http import HttpClient, HttpConfig
from integrations.ratelimit import RateLimit
from integrations.values import Authority, ExternalId, Page, Reject
from integrations.values.tmdb import TmdbFindResult, TmdbShow, parse_find_result, parse_tv

__all__ = ["BASE_URL", "DEFAULT_RATE_LIMIT", "IMAGE_BASE", "MAX_CHANGES_DAYS", "TmdbClient"]

UPSTREAM = "tmdb"
BASE_URL = "https://api.themoviedb.org/3"
IMAGE_BASE = "https://image.tmdb.org/t/p"
DEFAULT_RATE_LIMIT = RateLimit(calls=40, period=1.0)  # "somewhere in the 40 per second range"
MAX_CHANGES_DAYS = 14
_SOURCES = {Authority.TVDB: "tvdb_id", Authority.IMDB: "imdb_id"}


def tmdb_error_message(response: requests.Response) -> str | None:
    """``status_message`` of a TMDB error body, if the body is one."""
    body = response.json()
    message = body.get("status_message") if isinstance(body, Mapping) else None
    return message if isinstance(message, str) and message else None


class TmdbClient:
    """Talks to TMDB (or its fake) through one configured :class:`HttpClient`."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def build(
        cls,
        *,
        base_url: str = BASE_URL,
        api_key: str,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_retries: int = 4,
        session: requests.Session | None = None,
    ) -> TmdbClient:
        """A client with the shared policy; a JWT-looking key goes as a Bearer token."""
        if not api_key:
            raise ValueError("TMDB needs an api key or read access token")
        bearer = api_key.startswith("eyJ")
        config = HttpConfig(
            upstream=UPSTREAM,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            headers={"Authorization": f"Bearer {api_key}"} if bearer else {},
            params={} if bearer else {"api_key": api_key},
        )
        return cls(HttpClient(config, session=session))

    def __repr__(self) -> str:
        return f"TmdbClient(base_url={self.http.config.base_url!r})"

    def tv(self, tmdb_id: int) -> TmdbShow:
        """A show with its tvdb/imdb ids (one request, ``append_to_response=external_ids``)."""
        path = f"/tv/{int(tmdb_id)}"
        body = self._get(path, {"append_to_response": "external_ids"})
        try:
            return parse_tv(body)
        except ValueError as exc:
            raise self._invalid(path, f"malformed show: {exc}") from None

    def find(self, external_id: ExternalId) -> tuple[TmdbFindResult, ...]:
        """TV shows carrying a tvdb or imdb id: zero, one or several (other kinds ignored)."""
        source = _SOURCES.get(external_id.authority)
        if source is None:
            raise ValueError(f"TMDB cannot find by {external_id.authority.value} ids")
        path = f"/find/{external_id.value}"
        body = self._get(path, {"external_source": source})
        results = body.get("tv_results") if isinstance(body, Mapping) else None
        if not isinstance(results, list):
            raise self._invalid(path, "find answer has no tv_results array")
        try:
            return tuple(parse_find_result(item) for item in results)
        except ValueError as exc:
            raise self._invalid(path, f"malformed tv_results entry: {exc}") from None

    def changes(self, *, start_date: date | None = None, end_date: date | None = None,
                page: int = 1) -> Page[int]:
        """Ids of shows changed in a window (default: the last 24 h), 100 per page.

        TMDB refuses windows over 14 days; we refuse them first, without a request.
        """
        self._check_window(start_date, end_date)
        params: dict[str, Any] = {"page": page}
        if start_date is not None:
            params["start_date"] = start_date.isoformat()
        if end_date is not None:
            params["end_date"] = end_date.isoformat()
        body = self._get("/tv/changes", params)
        results = body.get("results") if isinstance(body, Mapping) else None
        if not isinstance(results, list):
            raise self._invalid("/tv/changes", "changes answer has no results array")
        ids: list[int] = []
        rejects: list[Reject] = []
        for position, item in enumerate(results):
            item_id = item.get("id") if isinstance(item, Mapping) else None
            if type(item_id) is int:
                ids.append(item_id)
            else:
                rejects.append(Reject(ref=f"#{position}", reason="id is missing or not an int"))
        total_pages = body.get("total_pages")
        more = type(total_pages) is int and page < total_pages
        total = body.get("total_results")
        return Page(items=tuple(ids), cursor=str(page + 1) if more else None,
                    total=total if type(total) is int else None, rejects=tuple(rejects))

    @staticmethod
    def image_url(path: str, size: str = "original") -> str:
        """Full image URL for a ``poster_path``/``backdrop_path`` (``/abc.jpg``)."""
        return f"{IMAGE_BASE}/{size}/{path.lstrip('/')}"

    def _check_window(self, start: date | None, end: date | None) -> None:
        if start is None:
            return
        until = end if end is not None else datetime.now(UTC).date()
        if until - start > timedelta(days=MAX_CHANGES_DAYS):
            raise self._invalid("/tv/changes", f"changes window {start}..{until} is longer "
                                f"than {MAX_CHANGES_DAYS} days")
        if until < start:
            raise self._invalid("/tv/changes", f"changes window {start}..{until} is reversed")

    def _get(self, path: str, params: Mapping[str, Any]) -> Any:
        return self.http.get_json(path, params=params, error_message=tmdb_error_message)

    def _invalid(self, path: str, message: str) -> UpstreamError:
        """An InvalidError raised on our side of the wire (counted like the HTTP layer's)."""
        metrics.record(UPSTREAM, "errors", kind=InvalidError.kind.value)
        return InvalidError(message, upstream=UPSTREAM, method="GET",
                            url=self.http.scrubber.url(self.http.url(path)))
