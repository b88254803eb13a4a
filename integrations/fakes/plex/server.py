"""`PlexFake`: one Plex Media Server on loopback, answering like the recorded payloads.

Pages are built by joining each row's pre-rendered XML (cached per record, cleared on
mutation), so listing a 100,000-episode library costs the fake very little.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from email.utils import formatdate
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer
from integrations.fakes.plex.generate import Generator
from integrations.fakes.plex.model import BASE_NOW, Ids, Leaf, LibrarySpec, Record, Season, Show
from integrations.fakes.plex.mutations import PlexMutationsMixin
from integrations.fakes.plex.render import (
    Attrs,
    Node,
    container_json,
    container_json_rows,
    container_xml,
    json_row,
    leaf_node,
    leaf_row_xml,
    season_node,
    show_node,
    show_row_xml,
    to_json,
    to_xml,
    xml_pieces,
)
from integrations.fakes.plex.routes import PlexRoutesMixin

__all__ = ["LibrarySpec", "PlexFake"]

XML_TYPE = "text/xml;charset=utf-8"
JSON_TYPE = "application/json"
UNAUTHORIZED = (b"<html><head><title>Unauthorized</title></head><body>"
                b"<h1>401 Unauthorized</h1></body></html>")
_METADATA = re.compile(r"^/library/metadata/([\d,]+)(/children|/allLeaves)?/?$")
_SECTION_ALL = re.compile(r"^/library/sections/([^/]+)/all/?$")


class PlexFake(PlexMutationsMixin, PlexRoutesMixin, FakeServer):
    """A deterministic Plex server with TV and movie libraries, mutable between runs."""

    name = "plex"
    # False: XML whatever the Accept header asks (an older server, or a proxy that drops it);
    # tests that edit the XML bytes of an answer set it.
    answers_json = True

    def __init__(
        self,
        libraries: Sequence[LibrarySpec],
        *,
        token: str = "fake-token",
        seed: int = 1,
        machine_identifier: str | None = None,
        friendly_name: str = "mediasync fake",
        windows_paths: bool = False,
        max_page_size: int | None = None,
        honour_sort: bool = True,
        send_date: bool = True,
        cache_rows: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port)
        self.token = token
        self.machine_identifier = machine_identifier or f"fake{seed:036x}"[-40:]
        self.friendly_name = friendly_name
        self.version = "1.40.2.8395-c67dce28e"
        self.max_page_size = max_page_size
        self.honour_sort = honour_sort  # False: a proxy that drops `sort` (listing order)
        self.send_date = send_date  # the `Date` header, on this fake's clock (`now`)
        self.cache_rows = cache_rows  # False: render rows per request (~1 s per 100k, no RAM)
        self.now = BASE_NOW
        # Called (under the data lock) before each request is answered: tests mutate the
        # library between the pages of a scan with it.
        self.before_request: Callable[[FakeRequest], None] | None = None
        self._data_lock = threading.RLock()
        self._ids = Ids()
        self._generator = Generator(seed, self._ids, windows_paths)
        started = time.perf_counter()
        self.sections = {spec.key: self._generator.section(spec) for spec in libraries}
        self.records: dict[int, Record] = {}
        self._json_rows: dict[int, tuple[tuple[bytes, bytes, bytes], bytes, bytes]] = {}
        for section in self.sections.values():
            self._index(section.movies)
            for show in section.shows:
                self._index_show(show)
        self.generation_seconds = time.perf_counter() - started

    # -- bookkeeping ------------------------------------------------------------------------

    def _index(self, records: Sequence[Record]) -> None:
        for record in records:
            self.records[record.rk] = record

    def _index_show(self, show: Show) -> None:
        self.records[show.rk] = show
        for season in show.seasons:
            self.records[season.rk] = season
            self._index(season.episodes)

    def count_prefix(self, prefix: str) -> int:
        """Requests whose endpoint name starts with `prefix` (e.g. "GET /library/metadata/")."""
        with self._lock:
            return sum(n for name, n in self.counts.items() if name.startswith(prefix))

    def shows_of(self, section_key: str) -> list[Show]:
        return list(self.sections[section_key].shows)

    def episodes_of(self, section_key: str) -> list[Leaf]:
        return list(self.sections[section_key].episodes())

    # -- rendering with caches --------------------------------------------------------------

    @staticmethod
    def row_pieces(record: Record, *, cache: bool = True) -> tuple[bytes, bytes, bytes]:
        """A listing row's XML, rendered once and cached on the record until it changes."""
        if record.cache is not None:
            return record.cache
        if isinstance(record, Show):
            pieces = show_row_xml(record)
        elif isinstance(record, Season):
            pieces = xml_pieces(season_node(record))
        else:
            pieces = leaf_row_xml(record)
        if cache:
            record.cache = pieces
        return pieces

    def row_json(self, record: Record, include_guids: bool) -> bytes:
        """A listing row's JSON, cached like its XML: an entry is valid while the record
        still holds the XML pieces it was rendered beside (a mutation clears those)."""
        pieces = self.row_pieces(record, cache=self.cache_rows)
        cached = self._json_rows.get(record.rk)
        if cached is None or cached[0] is not pieces:
            node = self.row_node(record)
            cached = (pieces, json_row(to_json(node)),
                      json_row(to_json(node, include_guids=False)))
            if self.cache_rows:
                self._json_rows[record.rk] = cached
        return cached[1] if include_guids else cached[2]

    @staticmethod
    def row_node(record: Record, *, detail: bool = False) -> Node:
        if isinstance(record, Show):
            return show_node(record, detail=detail)
        if isinstance(record, Season):
            return season_node(record)
        return leaf_node(record, detail=detail)

    def render(self, request: FakeRequest, attrs: Attrs, rows: Sequence[Record], *,
               include_guids: bool, detail: bool = False,
               headers: dict[str, str] | None = None) -> FakeResponse:
        """The container in the asked format; detail rows are rendered fresh (not cached)."""
        if self.answers_json and wants_json(request):
            if detail:
                nodes = [to_json(self.row_node(r, detail=True), include_guids=include_guids)
                         for r in rows]
                body = container_json(attrs, nodes, "Metadata")
            else:
                body = container_json_rows(attrs, [self.row_json(r, include_guids)
                                                   for r in rows], "Metadata")
            return FakeResponse(200, body, {"Content-Type": JSON_TYPE, **(headers or {})})
        if detail:
            parts = [to_xml(self.row_node(r, detail=True)).encode() for r in rows]
        else:
            parts = [b"".join(_pick(self.row_pieces(r, cache=self.cache_rows), include_guids))
                     for r in rows]
        return FakeResponse(200, container_xml(attrs, parts),
                            {"Content-Type": XML_TYPE, **(headers or {})})

    def render_nodes(self, request: FakeRequest, attrs: Attrs, nodes: list[Node],
                     row_key: str = "Directory") -> FakeResponse:
        if self.answers_json and wants_json(request):
            return FakeResponse(200, container_json(attrs, [to_json(n) for n in nodes], row_key),
                                {"Content-Type": JSON_TYPE})
        body = container_xml(attrs, [to_xml(n).encode() for n in nodes])
        return FakeResponse(200, body, {"Content-Type": XML_TYPE})

    # -- FakeServer hooks ----------------------------------------------------------------

    def endpoint_name(self, request: FakeRequest) -> str:
        path = request.path
        match = _SECTION_ALL.match(path)
        if match:
            return f"{request.method} /library/sections/{{key}}/all type={request.arg('type', '')}"
        match = _METADATA.match(path)
        if match:
            return f"{request.method} /library/metadata/{{rk}}{match.group(2) or ''}"
        return f"{request.method} {path.rstrip('/') or '/'}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.path != "/identity" and not self._authorized(request):
            return FakeResponse(401, UNAUTHORIZED, {"Content-Type": "text/html"})
        if request.method not in ("GET", "HEAD"):
            return FakeResponse(405, b"", {"Content-Type": XML_TYPE})
        with self._data_lock:
            if self.before_request is not None:
                self.before_request(request)
            route = self._route(request.path)
            if route is None:
                return FakeResponse(404, b"<html><body><h1>404 Not Found</h1></body></html>",
                                    {"Content-Type": "text/html"})
            handler, args = route
            response = handler(request, *args)
            response.headers.setdefault(  # type: ignore[arg-type]
                "Date", formatdate(self.now, usegmt=True) if self.send_date else None)
            return response

    def _authorized(self, request: FakeRequest) -> bool:
        token = request.header("X-Plex-Token") or request.arg("X-Plex-Token")
        return token == self.token

    def _route(self, path: str) -> tuple[Callable[..., FakeResponse], tuple[Any, ...]] | None:
        path = path.rstrip("/") or "/"
        simple = {"/": self.root, "/identity": self.identity, "/library": self.library,
                  "/library/sections": self.library_sections}
        if path in simple:
            return simple[path], ()
        match = _SECTION_ALL.match(path)
        if match:
            return self.section_all, (match.group(1),)
        match = _METADATA.match(path)
        if match:
            rks, sub = match.group(1), match.group(2)
            if sub == "/children":
                return self.metadata_children, (rks,)
            if sub == "/allLeaves":
                return self.metadata_all_leaves, (rks,)
            return self.metadata, (rks,)
        return None


def wants_json(request: FakeRequest) -> bool:
    return "application/json" in (request.header("Accept") or "")


def _pick(pieces: tuple[bytes, bytes, bytes], include_guids: bool) -> tuple[bytes, ...]:
    return pieces if include_guids else (pieces[0], pieces[2])
