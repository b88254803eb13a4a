"""Plex Media Server client: plexapi for the connection, raw container queries for data.

Listings are paged with the `X-Plex-Container-Start`/`-Size` request headers and mapped to
frozen values page by page, so no plexapi object (and no lazy reload) is involved in a sync.
Data queries ask for JSON (`Accept: application/json`), which parses several times faster
than XML; an XML answer is read all the same.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, TypeVar

from plexapi.server import PlexServer

from integrations import metrics
from integrations.errors import InvalidError, NotFoundError, TransientError, UpstreamError
from integrations.http import HttpClient, HttpConfig, RateLimit
from integrations.plex.connection import connect_server, disable_plexapi_autoreload
from integrations.plex.items_page import decode_items_page
from integrations.plex.listing import ITEM_TYPES
from integrations.plex.listing import all_path as _all_path
from integrations.plex.listing import item_params as _item_params
from integrations.plex.listing import iterate as _iterate
from integrations.plex.listing import next_start as _next_start
from integrations.plex.parse import (
    Container,
    Row,
    item_from,
    map_rows,
    parse_container,
    section_from,
    sectioned,
    server_info_from,
    show_from,
)
from integrations.values import Page, Reject
from integrations.values.plex import (
    PlexItem,
    PlexListingHead,
    PlexSection,
    PlexServerInfo,
    PlexShow,
)

__all__ = ["ITEM_TYPES", "PlexClient", "disable_plexapi_autoreload"]

log = logging.getLogger(__name__)
T = TypeVar("T")
UPSTREAM = "plex"
PAGE_SIZE = 200
LEAVES_PAGE_SIZE = 2000
ItemKind = Literal["episode", "movie"]


class PlexClient:
    """One Plex Media Server; every call raises only `UpstreamError` subclasses."""

    def __init__(self, http: HttpClient, token: str, *, prefer_json: bool = True) -> None:
        self.http = http
        self._token = token
        self._accept = "application/json" if prefer_json else "application/xml"
        self._server: PlexServer | None = None

    @classmethod
    def build(
        cls,
        *,
        base_url: str,
        token: str,
        connect_timeout: float = 5,
        read_timeout: float = 30,
        max_retries: int = 4,
        rate_limit: RateLimit | None = None,
        prefer_json: bool = True,
    ) -> PlexClient:
        """A client with its own HTTP policy (upstream "plex"; the token is a scrubbed header)."""
        config = HttpConfig(
            upstream=UPSTREAM,
            base_url=base_url.rstrip("/"),
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            rate_limit=rate_limit,
            headers={"X-Plex-Token": token, "X-Plex-Product": "mediasync",
                     "X-Plex-Client-Identifier": "mediasync"},
        )
        return cls(HttpClient(config), token, prefer_json=prefer_json)

    def __repr__(self) -> str:
        return f"PlexClient(base_url={self.http.config.base_url!r}, token='***')"

    # -- connection (plexapi) ---------------------------------------------------------------

    @property
    def server(self) -> PlexServer:
        """The plexapi server built by `connect()` (auto-reload off)."""
        if self._server is None:
            raise RuntimeError("PlexClient.connect() has not been called")
        return self._server

    def connect(self) -> PlexServerInfo:
        """Authenticate with plexapi (`GET /`) and return the server's identity."""
        try:
            server = connect_server(self.http, self._token)
        except UpstreamError as error:
            raise self._count(error) from None
        attrs = server._data.attrib if server._data is not None else {}
        try:
            info = server_info_from(attrs)
        except ValueError as exc:
            raise self._count(self._error(InvalidError, f"server identity unreadable: {exc}",
                                          "/")) from None
        self._server = server
        return info

    # -- data (raw container queries) -------------------------------------------------------

    def sections(self) -> tuple[PlexSection, ...]:
        """Every library section; an unreadable one is logged and left out."""
        container = self._get("/library/sections")
        sections, rejects = map_rows(container.rows, section_from)
        for reject in rejects:
            log.warning("plex: skipped unreadable section %s: %s", reject.ref, reject.reason)
        return sections

    def shows(self, section_key: str, *, start: int = 0, size: int = PAGE_SIZE
              ) -> Page[PlexShow]:
        """One page of a section's shows (`type=2`, with guids); cursor = next start offset."""
        params = {"type": ITEM_TYPES["show"], "includeGuids": 1}
        return self._page(_all_path(section_key), params, start, size, show_from)

    def items(
        self,
        section_key: str,
        *,
        kind: ItemKind,
        start: int = 0,
        size: int = PAGE_SIZE,
        updated_since: datetime | None = None,
        added_since: datetime | None = None,
    ) -> Page[PlexItem]:
        """One page of episodes (`type=4`) or movies (`type=1`) with Media and Part.

        `updated_since`/`added_since` become Plex's `updatedAt>>=`/`addedAt>>=` ("after",
        strictly later in the fake) filters; given both, Plex ANDs them. Plex stamps updatedAt
        when it adds an item, so `updated_since` alone also lists additions. Pass a time a
        little before the last complete scan started.
        """
        params = _item_params(kind, updated_since, added_since)
        return self._page(_all_path(section_key), params, start, size, item_from,
                          fast=decode_items_page)

    def count(
        self,
        section_key: str,
        *,
        kind: Literal["show", "episode", "movie"],
        updated_since: datetime | None = None,
        added_since: datetime | None = None,
    ) -> int:
        """How many rows a listing has: a size-0 probe answering only `totalSize`."""
        if kind == "show":
            params: list[tuple[str, Any]] = [("type", ITEM_TYPES["show"])]
        else:
            params = _item_params(kind, updated_since, added_since)
        container = self._get(_all_path(section_key), params=params, start=0, size=0)
        if container.total_size is None:
            raise self._count(self._error(InvalidError, "size-0 probe without totalSize",
                                          _all_path(section_key)))
        return container.total_size

    def newest(self, section_key: str, *, kind: Literal["episode", "movie"]
               ) -> tuple[int, datetime | None]:
        """(rows in the listing, the newest ``updatedAt`` among them); see ``head``."""
        head = self.head(section_key, kind=kind)
        return head.total, head.newest

    def head(self, section_key: str, *, kind: Literal["episode", "movie"]) -> PlexListingHead:
        """The listing's size, newest ``updatedAt`` and Plex's clock: one row sorted by
        ``updatedAt:desc``. Every stamp is on Plex's own clock, the only one its filters
        know. A server (or proxy) that ignores ``sort`` answers some other row: the caller
        can tell only from the rows it reads later."""
        params = [*_item_params(kind, None, None), ("sort", "updatedAt:desc")]
        container, clock = self._get_dated(_all_path(section_key), params=params, start=0,
                                           size=1)
        if container.total_size is None:
            raise self._count(self._error(InvalidError, "listing without totalSize",
                                          _all_path(section_key)))
        stamps = [int(stamp) for stamp in (row.get("updatedAt") for row in container.rows)
                  if str(stamp).isdigit()]
        newest = datetime.fromtimestamp(max(stamps), tz=UTC) if stamps else None
        return PlexListingHead(container.total_size, newest, clock)

    def show(self, rating_key: str) -> PlexShow:
        """One show's own row (fresh ``leafCount``); NotFoundError when Plex no longer has it."""
        path = f"/library/metadata/{rating_key}"
        container = self._get(path)
        shows, rejects = map_rows(container.rows, sectioned(show_from, container.attrs))
        if not shows:
            reason = rejects[0].reason if rejects else "no row"
            raise self._count(self._error(InvalidError, f"show unreadable: {reason}", path))
        return shows[0]

    def season_leaves(self, rating_key: str) -> Page[PlexItem] | None:
        """The episodes of one season with their media (``/children``, one request per
        2,000); None when Plex no longer has the season."""
        path = f"/library/metadata/{rating_key}/children"
        items: list[PlexItem] = []
        rejects: list[Reject] = []
        try:
            for page in _iterate(lambda start: self._page(
                    path, {"includeGuids": 1}, start, LEAVES_PAGE_SIZE, item_from,
                    with_section=True)):
                items.extend(page.items)
                rejects.extend(page.rejects)
        except NotFoundError:
            return None
        return Page(tuple(items), None, total=len(items) + len(rejects), rejects=tuple(rejects))

    def items_by_key(self, rating_keys: Sequence[str]) -> Page[PlexItem]:
        """The episodes or movies Plex still has among ``rating_keys`` (one request; the
        others are simply absent, and none at all is an empty page, not an error)."""
        path = f"/library/metadata/{','.join(rating_keys)}"
        try:
            container = self._get(path, params={"includeGuids": 1})
        except NotFoundError:
            return Page((), None, total=0)
        items, rejects = map_rows(container.rows, sectioned(item_from, container.attrs))
        return Page(items, None, total=len(items) + len(rejects), rejects=rejects)

    def iter_shows(self, section_key: str, *, size: int = PAGE_SIZE) -> Iterator[Page[PlexShow]]:
        """Every page of a section's shows, fetched lazily one request at a time."""
        return _iterate(lambda start: self.shows(section_key, start=start, size=size))

    def iter_items(
        self,
        section_key: str,
        *,
        kind: ItemKind,
        size: int = PAGE_SIZE,
        updated_since: datetime | None = None,
        added_since: datetime | None = None,
    ) -> Iterator[Page[PlexItem]]:
        """Every page of a section's episodes or movies (optionally only what changed)."""
        return _iterate(lambda start: self.items(
            section_key, kind=kind, start=start, size=size,
            updated_since=updated_since, added_since=added_since))

    def show_leaves(self, rating_key: str) -> tuple[PlexItem, ...]:
        """All episodes of one show with their media: `allLeaves`, one request per 2,000."""
        return self.show_leaves_page(rating_key).items

    def show_leaves_page(self, rating_key: str) -> Page[PlexItem]:
        """Like `show_leaves`, keeping the rejects (a rejected episode was not seen)."""
        path = f"/library/metadata/{rating_key}/allLeaves"
        items: list[PlexItem] = []
        rejects: list[Reject] = []
        for page in _iterate(lambda start: self._page(
                path, {"includeGuids": 1}, start, LEAVES_PAGE_SIZE, item_from,
                with_section=True)):
            items.extend(page.items)
            rejects.extend(page.rejects)
        return Page(tuple(items), None, total=len(items) + len(rejects), rejects=tuple(rejects))

    def close(self) -> None:
        self.http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _page(self, path: str, params: Any, start: int, size: int,
              mapper: Callable[[Row], T], *, with_section: bool = False,
              fast: Callable[[bytes], Container | None] | None = None) -> Page[T]:
        """A page of rows mapped by ``mapper``; ``fast`` (a JSON page straight to the same
        values, or None for the careful reader) stands in for it where it can."""
        container = self._get(path, params=params, start=start, size=size, fast=fast)
        if with_section:  # rows of any section (by ratingKey): say which holds each
            mapper = sectioned(mapper, container.attrs)  # type: ignore[type-var]
        if container.mapped is not None:
            items, rejects = container.mapped, ()
        else:
            items, rejects = map_rows(container.rows, mapper)
        base = container.offset if container.offset is not None else start
        got = container.count
        total = container.total_size
        if got == 0 and size > 0 and total is not None and base < total:
            # an empty page inside the listing is a glitch, not its end: ending here would
            # leave every later row unseen (and then called missing)
            raise self._count(self._error(
                TransientError, f"empty page at offset {base} of a {total}-row listing", path))
        cursor = _next_start(base, size, got, total)
        if total is None and cursor is None:
            total = base + got
        return Page(items, None if cursor is None else str(cursor), total=total, rejects=rejects)

    def _get(self, path: str, *, params: Any = None, start: int | None = None,
             size: int | None = None,
             fast: Callable[[bytes], Container | None] | None = None) -> Container:
        return self._get_dated(path, params=params, start=start, size=size, fast=fast)[0]

    def _get_dated(self, path: str, *, params: Any = None, start: int | None = None,
                   size: int | None = None,
                   fast: Callable[[bytes], Container | None] | None = None,
                   ) -> tuple[Container, datetime | None]:
        """The parsed container and the answer's ``Date`` (Plex's clock), when it has one."""
        headers = {"X-Plex-Token": self._token, "Accept": self._accept}
        if start is not None and size is not None:
            headers["X-Plex-Container-Start"] = str(start)
            headers["X-Plex-Container-Size"] = str(size)
        response = self.http.request("GET", path, params=params, headers=headers, ok=(200,))
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type.lower():  # a proxy or login page, not the server's answer
            raise self._count(self._error(
                TransientError, f"HTML page instead of a MediaContainer ({content_type})",
                response.url, status=response.status_code))
        quick = fast(response.content) if fast and "json" in content_type.lower() else None
        try:
            return (quick or parse_container(response.content, content_type),
                    _date(response.headers.get("Date")))
        except (ET.ParseError, json.JSONDecodeError, UnicodeDecodeError) as exc:  # orjson's too
            error: UpstreamError = self._error(
                TransientError, f"truncated or unreadable body ({type(exc).__name__})",
                response.url, status=response.status_code)
        except ValueError as exc:
            error = self._error(InvalidError, str(exc), response.url, status=response.status_code)
        raise self._count(error)

    def _error(self, cls: type[UpstreamError], message: str, url: str,
               status: int | None = None) -> UpstreamError:
        return cls(self.http.scrubber.text(message), upstream=UPSTREAM, method="GET",
                   url=self.http.scrubber.url(self.http.url(url)), status=status)

    @staticmethod
    def _count(error: UpstreamError) -> UpstreamError:
        metrics.record(UPSTREAM, "errors", kind=error.kind.value)
        return error


def _date(header: str | None) -> datetime | None:
    """An HTTP ``Date`` header as an aware datetime; None when absent or unreadable."""
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
