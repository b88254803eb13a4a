"""Endpoint handlers of the Plex fake: server identity, sections, listings and metadata.

Paging comes from the X-Plex-Container-Start/Size request headers or query parameters;
`updatedAt>>=`/`addedAt<<=` filters arrive as the query KEYS `updatedAt>>`/`addedAt<<`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.plex.model import Leaf, Record, Season, Section, Show
from integrations.fakes.plex.render import Attrs, Node, section_node

if TYPE_CHECKING:
    from integrations.fakes.plex.server import PlexFake

LIBRARY = "com.plexapp.plugins.library"
MEDIA_TAGS: Attrs = [("mediaTagPrefix", "/system/bundle/media/flags/"),
                     ("mediaTagVersion", 1603922053)]
TYPE_NUMBERS = {"movie": 1, "show": 2, "season": 3, "episode": 4}
VIEW = {1: ("movie", "All Movies"), 2: ("show", "All Shows"), 3: ("season", "All Seasons"),
        4: ("episode", "All Episodes")}
_FILTER_KEY = re.compile(r"^(?P<field>[A-Za-z]+)(?P<op>>>|<<|>|<|!)?$")
_RELATIVE = re.compile(r"^-(\d+)([smhdwy])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}
FILTER_FIELDS = {"updatedAt": "updated_at", "addedAt": "added_at"}


class BadRequest(Exception):
    """A query the real server would refuse with 400."""


class PlexRoutesMixin:
    """Handlers; mixed into `PlexFake`, which provides data, rendering and counting."""

    # -- server -----------------------------------------------------------------------------

    def root(self: PlexFake, request: FakeRequest) -> FakeResponse:
        attrs: Attrs = [
            ("size", 3), ("allowCameraUpload", False), ("allowChannelAccess", True),
            ("allowMediaDeletion", True), ("allowSharing", True), ("allowSync", True),
            ("backgroundProcessing", True), ("certificate", True), ("companionProxy", True),
            ("countryCode", "usa"), ("diagnostics", "logs,databases,streaminglogs"),
            ("eventStream", True), ("friendlyName", self.friendly_name), ("hubSearch", True),
            ("machineIdentifier", self.machine_identifier), ("multiuser", True),
            ("myPlex", True), ("myPlexMappingState", "mapped"), ("myPlexSigninState", "ok"),
            ("myPlexSubscription", True), ("myPlexUsername", "owner@example.com"),
            ("ownerFeatures", "webhooks,sync"), ("photoAutoTag", True), ("platform", "Linux"),
            ("platformVersion", "6.1.0"), ("pluginHost", True), ("readOnlyLibraries", False),
            ("streamingBrainVersion", 2), ("sync", True), ("transcoderActiveVideoSessions", 0),
            ("transcoderAudio", True), ("transcoderLyrics", True), ("transcoderPhoto", True),
            ("transcoderSubtitles", True), ("transcoderVideo", True),
            ("transcoderVideoBitrates", "64,96,208,320,720,1500,2000,3000,4000,8000"),
            ("transcoderVideoQualities", "0,1,2,3,4,5,6,7,8,9"),
            ("transcoderVideoResolutions", "128,128,160,240,320,480,768,720,1080,1080"),
            ("updatedAt", self.now), ("updater", True), ("version", self.version),
            ("voiceSearch", True),
        ]
        dirs: list[Node] = [("Directory", [("count", 1), ("key", key), ("title", key)], [])
                            for key in ("activities", "butler", "library")]
        return self.render_nodes(request, attrs, dirs)

    def identity(self: PlexFake, request: FakeRequest) -> FakeResponse:
        attrs: Attrs = [("size", 0), ("apiVersion", "1.1.1"), ("claimed", True),
                        ("machineIdentifier", self.machine_identifier), ("version", self.version)]
        return self.render_nodes(request, attrs, [])

    def library(self: PlexFake, request: FakeRequest) -> FakeResponse:
        attrs: Attrs = [("size", 3), ("allowSync", False), ("art", "/:/resources/library-art.png"),
                        ("content", ""), ("identifier", LIBRARY), *MEDIA_TAGS,
                        ("title1", "Plex Library"), ("title2", "")]
        dirs: list[Node] = [("Directory", [("key", key), ("title", title)], [])
                            for key, title in (("sections", "Library Sections"),
                                               ("recentlyAdded", "Recently Added Content"),
                                               ("onDeck", "On Deck Content"))]
        return self.render_nodes(request, attrs, dirs)

    def library_sections(self: PlexFake, request: FakeRequest) -> FakeResponse:
        nodes = [section_node(section) for section in self.sections.values()]
        attrs: Attrs = [("size", len(nodes)), ("allowSync", False), ("identifier", LIBRARY),
                        *MEDIA_TAGS, ("title1", "Plex Library")]
        return self.render_nodes(request, attrs, nodes)

    # -- listings ---------------------------------------------------------------------------

    def section_all(self: PlexFake, request: FakeRequest, key: str) -> FakeResponse:
        section = self.sections.get(key)
        if section is None:
            return _not_found()
        default = TYPE_NUMBERS[section.type]
        try:
            kind = int(request.arg("type") or default)
            rows = _filter(request, _rows_of(section, kind), self.now)
            if self.honour_sort:
                rows = _sorted(request, rows)
        except (BadRequest, ValueError) as exc:
            return _bad_request(str(exc))
        group, title2 = VIEW.get(kind, ("item", "All"))
        attrs = [*_section_attrs(section), ("title1", section.title), ("title2", title2),
                 ("viewGroup", group), ("viewMode", 131122)]
        return self.page(request, attrs, rows)

    def metadata_children(self: PlexFake, request: FakeRequest, rks: str) -> FakeResponse:
        record = self.records.get(_first(rks))
        if record is None:
            return _not_found()
        rows: Sequence[Record] = ()
        if isinstance(record, Show):
            rows = record.seasons
        elif isinstance(record, Season):
            rows = record.episodes
        attrs = _section_attrs(record.section if not isinstance(record, Season)
                               else record.show.section)
        return self.page(request, [*attrs, ("key", str(record.rk))], rows)

    def metadata_all_leaves(self: PlexFake, request: FakeRequest, rks: str) -> FakeResponse:
        record = self.records.get(_first(rks))
        if record is None:
            return _not_found()
        rows: Sequence[Record] = ()
        if isinstance(record, Show):
            rows = record.leaves()
        elif isinstance(record, Season):
            rows = record.episodes
        section = record.show.section if isinstance(record, Season) else record.section
        attrs = [*_section_attrs(section), ("key", str(record.rk)), ("viewGroup", "episode")]
        try:
            rows = _filter(request, rows, self.now)
        except (BadRequest, ValueError) as exc:
            return _bad_request(str(exc))
        return self.page(request, attrs, rows)

    def metadata(self: PlexFake, request: FakeRequest, rks: str) -> FakeResponse:
        records = [self.records[int(rk)] for rk in rks.split(",")
                   if rk and int(rk) in self.records]
        if not records:
            return _not_found()
        first = records[0]
        section = first.show.section if isinstance(first, Season) else first.section
        attrs: Attrs = [("size", len(records)), *_section_attrs(section)]
        return self.render(request, attrs, records, include_guids=True, detail=True)

    def page(self: PlexFake, request: FakeRequest, attrs: Attrs,
             rows: Sequence[Record]) -> FakeResponse:
        """Slice by the container headers (or params); always answer size/totalSize/offset."""
        try:
            start, size = _paging(request, self.max_page_size)
        except ValueError as exc:
            return _bad_request(str(exc))
        chunk = rows[start:] if size is None else rows[start:start + size]
        paging: Attrs = [("size", len(chunk)), ("totalSize", len(rows)), ("offset", start)]
        headers = {"X-Plex-Container-Start": str(start),
                   "X-Plex-Container-Total-Size": str(len(rows))}
        return self.render(request, paging + attrs, chunk,
                           include_guids=request.arg("includeGuids") == "1", headers=headers)


def _section_attrs(section: Section) -> Attrs:
    kind = section.type
    return [("allowSync", True), ("art", f"/:/resources/{kind}-fanart.jpg"),
            ("identifier", LIBRARY), ("librarySectionID", section.key),
            ("librarySectionTitle", section.title), ("librarySectionUUID", section.uuid),
            *MEDIA_TAGS, ("nocache", True), ("sortAsc", True),
            ("thumb", f"/:/resources/{kind}.png")]


def _rows_of(section: Section, kind: int) -> Sequence[Record]:
    if section.type == "show":
        by_kind: dict[int, Callable[[], Sequence[Record]]] = {
            2: lambda: section.shows,
            3: lambda: [season for show in section.shows for season in show.seasons],
            4: section.episodes,
        }
    else:
        by_kind = {1: lambda: section.movies}
    if kind not in TYPE_NUMBERS.values():
        raise BadRequest(f"unknown type {kind}")
    return by_kind.get(kind, list)()


def _filter(request: FakeRequest, rows: Sequence[Record], now: int) -> Sequence[Record]:
    """Apply `updatedAt>>=`, `addedAt<<=` (also plain `=`/`!=`) filters; strict for >>/<<."""
    tests: list[Callable[[Any], bool]] = []
    for key, values in request.query.items():
        match = _FILTER_KEY.match(key)
        if match is None or (match["field"] not in FILTER_FIELDS and not match["op"]):
            continue
        if match["field"] not in FILTER_FIELDS:
            raise BadRequest(f"unsupported filter field {match['field']!r}")
        attr, op, value = FILTER_FIELDS[match["field"]], match["op"] or "=", _ts(values[0], now)
        tests.append(_comparison(attr, op, value))
    if not tests:
        return rows
    return [row for row in rows if all(test(row) for test in tests)]


def _sorted(request: FakeRequest, rows: Sequence[Record]) -> Sequence[Record]:
    """``sort=updatedAt:desc`` (or addedAt, ascending without ``:desc``); others keep order."""
    sort = request.arg("sort") or ""
    field, _, direction = sort.partition(":")
    if field not in FILTER_FIELDS:
        return rows
    return sorted(rows, key=attrgetter(FILTER_FIELDS[field]), reverse=direction == "desc")


def _comparison(attr: str, op: str, value: int) -> Callable[[Any], bool]:
    if op in (">>", ">"):
        return lambda row: getattr(row, attr) > value
    if op in ("<<", "<"):
        return lambda row: getattr(row, attr) < value
    if op == "!":
        return lambda row: getattr(row, attr) != value
    return lambda row: getattr(row, attr) == value


def _ts(text: str, now: int) -> int:
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - int(relative[1]) * _UNITS[relative[2]]
    return int(text)


def _paging(request: FakeRequest, cap: int | None) -> tuple[int, int | None]:
    start_text = (request.header("X-Plex-Container-Start")
                  or request.arg("X-Plex-Container-Start") or "0")
    size_text = request.header("X-Plex-Container-Size") or request.arg("X-Plex-Container-Size")
    start = int(start_text)
    size = None if size_text is None else int(size_text)
    if start < 0 or (size is not None and size < 0):
        raise ValueError("negative container start or size")
    if cap is not None:
        size = cap if size is None else min(size, cap)
    return start, size


def _first(rks: str) -> int:
    return int(rks.split(",")[0])


def _not_found() -> FakeResponse:
    return FakeResponse(404, b"<html><body><h1>404 Not Found</h1></body></html>",
                        {"Content-Type": "text/html"})


def _bad_request(message: str) -> FakeResponse:
    body = f"<html><body><h1>400 Bad Request</h1><p>{message}</p></body></html>".encode()
    return FakeResponse(400, body, {"Content-Type": "text/html"})


__all__ = ["BadRequest", "Leaf", "PlexRoutesMixin"]
