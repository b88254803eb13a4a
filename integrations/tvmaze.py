"""TVMaze client: show index pages, shows, episodes, the updates feed and id lookups.

Every call goes through the shared HTTP policy; answers become frozen values from
``integrations.values.tvmaze``. TVMaze quirks honoured here (see API_NOTES.md): the index
ends with a 404 rather than an empty page, ``/updates/shows`` is an object keyed by string
ids, and ``/lookup/shows`` answers with a 301 to the show.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import requests

from integrations import metrics
from integrations.errors import InvalidError, TransientError, UpstreamError
from integrations.http import HttpClient, HttpConfig, decode_json
from integrations.ratelimit import RateLimit
from integrations.values import Page, Reject
from integrations.values.tvmaze import TvmazeEpisode, TvmazeShow, parse_episode, parse_show
from integrations.values.tvmaze_page import decode_show_page, decode_updates

__all__ = ["BASE_URL", "DEFAULT_RATE_LIMIT", "PAGE_SIZE", "TvmazeClient"]

UPSTREAM = "tvmaze"
BASE_URL = "https://api.tvmaze.com"
PAGE_SIZE = 250  # ids per index page: page N holds ids N*250 .. N*250+249
DEFAULT_RATE_LIMIT = RateLimit(calls=20, period=10.0)  # "at least 20 calls every 10 seconds"

Since = Literal["day", "week", "month"]


class TvmazeClient:
    """Talks to TVMaze (or its fake) through one configured :class:`HttpClient`."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def build(
        cls,
        *,
        base_url: str = BASE_URL,
        api_key: str | None = None,
        rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_retries: int = 4,
        session: requests.Session | None = None,
    ) -> TvmazeClient:
        """A client with the shared policy; a premium ``api_key`` rides as ``apikey``.

        The public API needs no key; API_NOTES documents no key scheme for the endpoints
        used here, so a premium key goes as the ``apikey`` query parameter (scrubbed).
        """
        config = HttpConfig(
            upstream=UPSTREAM,
            base_url=base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            params={"apikey": api_key} if api_key else {},
        )
        return cls(HttpClient(config, session=session))

    def __repr__(self) -> str:
        return f"TvmazeClient(base_url={self.http.config.base_url!r})"

    def show_index_page(self, page: int) -> Page[TvmazeShow] | None:
        """One index page (ids page*250 ..); None past the end. Bad shows become rejects."""
        return self._index_page(page, self._index_response(page))

    def iter_index_pages(self, start: int) -> Iterator[tuple[int, Page[TvmazeShow] | None]]:
        """``(number, page)`` from ``start`` to the end (a final ``(n, None)``).

        The next page downloads on a thread while the caller works on this one; decoding and
        parsing happen in the caller's thread, as they hold the GIL and would only slow a
        writer down if done beside it.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tvmaze-index") as pool:
            pending = pool.submit(self._index_response, start)
            number = start
            while True:
                response = pending.result()
                if response.status_code == 404:
                    yield number, None
                    return
                pending = pool.submit(self._index_response, number + 1)
                yield number, self._index_page(number, response)
                number += 1

    def _index_response(self, page: int) -> requests.Response:
        response = self.http.request("GET", "/shows", params={"page": page}, ok=(200, 404))
        _ = response.content  # read the body here, on the downloading thread
        return response

    def _index_page(self, page: int, response: requests.Response) -> Page[TvmazeShow] | None:
        if response.status_code == 404:
            return None
        fast = decode_show_page(response.content)
        if fast is not None:
            return Page(items=tuple(fast), cursor=str(page + 1), rejects=())
        body = self._json(response)
        if not isinstance(body, list):
            raise self._invalid(response, "show index is not a JSON array")
        items: list[TvmazeShow] = []
        rejects: list[Reject] = []
        for position, record in enumerate(body):
            try:
                items.append(parse_show(record))
            except ValueError as exc:
                rejects.append(Reject(ref=_ref(record, position), reason=str(exc)))
        return Page(items=tuple(items), cursor=str(page + 1), rejects=tuple(rejects))

    def show(self, show_id: int) -> TvmazeShow:
        """One show; NotFoundError when TVMaze has no such id."""
        body = self.http.get_json(f"/shows/{int(show_id)}")
        return self._parse(parse_show, body, f"/shows/{int(show_id)}")

    def episodes(self, show_id: int, *, specials: bool = False) -> tuple[TvmazeEpisode, ...]:
        """Every episode of a show in airing order; specials (number None) only if asked."""
        path = f"/shows/{int(show_id)}/episodes"
        body = self.http.get_json(path, params={"specials": 1} if specials else None)
        if not isinstance(body, list):
            raise self._error(path, "episode list is not a JSON array")
        return tuple(self._parse(parse_episode, record, path) for record in body)

    def updates(self, since: Since | None = None) -> dict[int, int]:
        """Show id -> unix time of its last change (an object keyed by string ids)."""
        if since not in (None, "day", "week", "month"):
            raise ValueError(f"since must be day, week or month, not {since!r}")
        params = {"since": since} if since else None
        response = self.http.request("GET", "/updates/shows", params=params, ok=(200,))
        fast = decode_updates(response.content)
        if fast is not None:
            return fast
        body = self.http.json_of(response)
        if not isinstance(body, Mapping):
            raise self._error("/updates/shows", "updates feed is not a JSON object")
        try:
            return {int(key): _stamp(value) for key, value in body.items()}
        except ValueError as exc:
            raise self._error("/updates/shows", f"bad updates entry: {exc}") from None

    def lookup(self, *, tvdb_id: int | None = None, imdb_id: str | None = None,
               ) -> TvmazeShow | None:
        """The show with this TheTVDB or IMDb id (TVMaze answers 301 to it), or None."""
        if (tvdb_id is None) == (imdb_id is None):
            raise ValueError("pass exactly one of tvdb_id or imdb_id")
        params = {"thetvdb": int(tvdb_id)} if tvdb_id is not None else {"imdb": imdb_id}
        response = self.http.request("GET", "/lookup/shows", params=params, ok=(200, 404))
        if response.status_code == 404:
            return None
        return self._parse(parse_show, self._json(response), "/lookup/shows")

    def _json(self, response: requests.Response) -> Any:
        """Decode a body we accepted; a truncated or HTML body is transient, like get_json."""
        try:
            return decode_json(response)
        except ValueError:
            message = f"body is not valid JSON ({len(response.content)} bytes)"
            raise self._fail(TransientError, message, response.url, response.status_code) from None

    def _parse(self, parser: Any, record: Any, path: str) -> Any:
        try:
            return parser(record)
        except ValueError as exc:
            message = f"malformed record {_ref(record, 0)}: {exc}"
            raise self._fail(InvalidError, message, self.http.url(path)) from None

    def _error(self, path: str, message: str) -> UpstreamError:
        return self._fail(InvalidError, message, self.http.url(path))

    def _invalid(self, response: requests.Response, message: str) -> UpstreamError:
        return self._fail(InvalidError, message, response.url, response.status_code)

    def _fail(self, cls: type[UpstreamError], message: str, url: str,
              status: int | None = None) -> UpstreamError:
        """An error raised after the HTTP layer accepted the answer (counted like its own)."""
        metrics.record(UPSTREAM, "errors", kind=cls.kind.value)
        return cls(message, upstream=UPSTREAM, method="GET", url=self.http.scrubber.url(url),
                   status=status)


def _ref(record: Any, position: int) -> str:
    """A reject's reference: the record's id when it has one, else ``#position``."""
    show_id = record.get("id") if isinstance(record, Mapping) else None
    return str(show_id) if type(show_id) is int else f"#{position}"


def _stamp(value: Any) -> int:
    if type(value) is not int:
        raise ValueError(f"timestamp {value!r} is not an int")
    return value
