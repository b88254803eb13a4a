"""`PlexFake`: one Plex Media Server on loopback, answering like the recorded payloads.

Pages are built by joining each row's pre-rendered XML (cached per record, cleared on
mutation), so listing a 100,000-episode library costs the fake very little.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer
from integrations.fakes.plex.generate import Generator
from integrations.fakes.plex.model import BASE_NOW, Ids, Leaf, LibrarySpec, Record, Season, Show
from integrations.fakes.plex.render import (
    Attrs,
    Node,
    container_json,
    container_xml,
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


class PlexFake(PlexRoutesMixin, FakeServer):
    """A deterministic Plex server with TV and movie libraries, mutable between runs."""

    name = "plex"

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

    # -- mutations (tests and the sync's incremental scans) --------------------------------

    def set_now(self, ts: int) -> None:
        """The clock mutations stamp into addedAt/updatedAt."""
        self.now = int(ts)

    def add_episode(self, show_rk: int | str) -> str:
        """A new episode at the end of the show's last season; returns its ratingKey."""
        with self._data_lock:
            show = self._show(show_rk)
            if not show.seasons:
                self._generator.season(show, 1, 0, 45 * 60_000)
                self.records[show.seasons[-1].rk] = show.seasons[-1]
            season = show.seasons[-1]
            runtime = season.episodes[-1].duration if season.episodes else 45 * 60_000
            leaf = self._generator.episode(season, len(season.episodes) + 1, runtime, self.now)
            self.records[leaf.rk] = leaf
            self._changed(show, season, structure=True)
            return str(leaf.rk)

    def add_show(self, section_key: str, episodes: int) -> str:
        """A new show at the end of the section's show listing; returns its ratingKey."""
        with self._data_lock:
            section = self.sections[section_key]
            show = self._generator.show(section, episodes)
            show.added_at = show.updated_at = self.now
            for leaf in show.leaves():
                leaf.added_at = leaf.updated_at = self.now
            section.shows.append(show)
            self._index_show(show)
            section.invalidate()
            return str(show.rk)

    def remove_item(self, rk: int | str) -> None:
        """Remove an episode, a movie, or a whole show with its seasons and episodes."""
        with self._data_lock:
            record = self._record(rk)
            if isinstance(record, Show):
                record.section.shows.remove(record)
                for season in record.seasons:
                    self.records.pop(season.rk, None)
                    for leaf in season.episodes:
                        self.records.pop(leaf.rk, None)
                record.section.invalidate()
            elif isinstance(record, Leaf) and record.season is not None:
                record.season.episodes.remove(record)
                self._changed(record.season.show, record.season, structure=True)
            elif isinstance(record, Leaf):
                record.section.movies.remove(record)
            else:
                raise ValueError(f"cannot remove a season ({rk}); remove its episodes")
            self.records.pop(record.rk, None)

    def replace_file(self, rk: int | str, *, stamp: bool = True) -> None:
        """An upgrade: new file size; the item's (and its show's) updatedAt move to `now`,
        unless ``stamp`` is False (Plex does not always stamp a replaced file)."""
        with self._data_lock:
            leaf = self._record(rk)
            if not isinstance(leaf, Leaf) or not leaf.media or not leaf.media[0].parts:
                raise ValueError(f"{rk} is not an item with a file")
            part = leaf.media[0].parts[0]
            part.size = self._generator.new_size(part)
            part.accessible = True
            leaf.cache = None
            if stamp:
                leaf.updated_at = self.now
            if leaf.season is not None:
                if stamp:
                    leaf.season.show.updated_at = self.now
                self._changed(leaf.season.show, leaf.season)

    def move_episode(self, rk: int | str, show_rk: int | str) -> None:
        """Re-match an episode to another show (appended to its last season), stamped now."""
        with self._data_lock:
            leaf, show = self._record(rk), self._show(show_rk)
            if not isinstance(leaf, Leaf) or leaf.season is None or not show.seasons:
                raise ValueError(f"cannot move {rk} to {show_rk}")
            old = leaf.season
            old.episodes.remove(leaf)
            season = show.seasons[-1]
            season.episodes.append(leaf)
            leaf.season, leaf.index = season, len(season.episodes)
            leaf.updated_at, leaf.cache = self.now, None
            for changed in (old, season):
                changed.show.updated_at = self.now
                self._changed(changed.show, changed, structure=True)

    def touch_show(self, show_rk: int | str) -> None:
        """Metadata refresh of a show: only its updatedAt moves."""
        with self._data_lock:
            show = self._show(show_rk)
            show.updated_at = self.now
            show.cache = None

    def _changed(self, show: Show, season: Season, *, structure: bool = False) -> None:
        show.cache = season.cache = None
        section = show.section
        section.updated_at = section.scanned_at = self.now
        if structure:
            section.invalidate()

    def _record(self, rk: int | str) -> Record:
        try:
            return self.records[int(rk)]
        except (KeyError, ValueError):
            raise KeyError(f"no item with ratingKey {rk!r}") from None

    def _show(self, rk: int | str) -> Show:
        record = self._record(rk)
        if not isinstance(record, Show):
            raise ValueError(f"{rk} is not a show")
        return record

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
        if wants_json(request):
            nodes = [to_json(self.row_node(r, detail=detail), include_guids=include_guids)
                     for r in rows]
            body = container_json(attrs, nodes, "Metadata")
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
        if wants_json(request):
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
            return handler(request, *args)

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
