"""Loopback fake of the TVMaze API, seeded from a deterministic generator at any scale.

Endpoints: ``/shows?page=N`` (404 past the last page), ``/shows/:id`` (``embed``),
``/shows/:id/episodes``, ``/shows/:id/episodebynumber``, ``/updates/shows?since=``,
``/lookup/shows`` (301 to the show), ``/singlesearch/shows``. Index pages and the updates
feed are rendered once and only re-rendered after a mutation touches them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer, json_response
from integrations.fakes.tvmaze_data import MALFORMED, ShowRec, generate
from integrations.fakes.tvmaze_render import episode_objs, season_objs, show_json, show_obj

__all__ = ["DEFAULT_START_TS", "PAGE_SIZE", "TvmazeFake"]

PAGE_SIZE = 250
DEFAULT_START_TS = 1_704_794_065  # 2024-01-09, the example timestamp in TVMaze's docs
WINDOWS = {"day": 86_400, "week": 7 * 86_400, "month": 30 * 86_400}
HEADERS = {"Content-Type": "application/json; charset=UTF-8",
           "Cache-Control": "public, max-age=3600", "Vary": "Accept-Encoding"}


def _error(status: int, name: str, message: str = "") -> FakeResponse:
    """TVMaze's JSON error body (as in the recorded episodebynumber 404)."""
    return json_response({"name": name, "message": message, "code": 0, "status": status},
                         status, HEADERS)


def _ok(body: bytes | str) -> FakeResponse:
    return FakeResponse(200, body if isinstance(body, bytes) else body.encode(), dict(HEADERS))


class TvmazeFake(FakeServer):
    """``count`` generated shows (ids from 1 with ~3% gaps); mutate between runs in tests."""

    name = "tvmaze"

    def __init__(self, *, count: int = 1000, seed: int = 1, start_ts: int = DEFAULT_START_TS,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.seed = seed
        self.now = start_ts
        self._rng = random.Random(seed)
        self._data = threading.RLock()
        self._shows: dict[int, ShowRec] = {s.id: s for s in generate(self._rng, 1, count,
                                                                    start_ts)}
        self._max_id = max(self._shows, default=0)
        self._pages: dict[int, bytes] = {}
        self._updates: dict[str | None, bytes] = {}
        self._index: dict[tuple[str, Any], int] | None = None

    # what tests and the TMDB fake read ---------------------------------------------------
    @property
    def ids(self) -> list[int]:
        """Every live show id, ascending."""
        with self._data:
            return sorted(self._shows)

    @property
    def last_page(self) -> int:
        return self._max_id // PAGE_SIZE

    def record(self, show_id: int) -> ShowRec:
        """The generated record behind a show (read it; mutate through the methods)."""
        return self._shows[show_id]

    def external_seeds(self) -> list[tuple[int | None, str | None, str]]:
        """``(tvdb_id, imdb_id, name)`` of every show, to seed a consistent TMDB fake."""
        with self._data:
            return [(s.tvdb, s.imdb, s.name) for _, s in sorted(self._shows.items())]

    def prerender(self) -> None:
        """Render every index page now (e.g. before a benchmark starts its clock)."""
        for page in range(self.last_page + 1):
            self._page_bytes(page)

    # mutations ---------------------------------------------------------------------------
    def set_now(self, ts: int) -> None:
        with self._data:
            self.now = ts
            self._updates.clear()

    def change(self, ids: Iterable[int], *, ts: int | None = None, name: str | None = None,
               ) -> None:
        """Bump ``updated`` (to ``ts`` or now) and flip the status (or set ``name``)."""
        with self._data:
            for show_id in ids:
                show = self._shows[show_id]
                show.updated = self.now if ts is None else ts
                if name is not None:
                    show.name = name
                elif show.status == "Ended":
                    show.status, show.ended = "Running", None
                else:
                    show.status, show.ended = "Ended", f"{show.updated // 31_557_600 + 1970}-01-01"
                self._touch(show_id)

    def add(self, n: int) -> list[int]:
        """``n`` new shows after the highest id, updated now; returns their ids."""
        with self._data:
            shows = generate(self._rng, self._max_id + 1, n, self.now,
                             taken={s.name for s in self._shows.values()})
            for show in shows:
                show.updated = self.now
                self._shows[show.id] = show
                self._touch(show.id)
            self._max_id = max(self._shows, default=0)
            self._index = None
            return [s.id for s in shows]

    def remove(self, ids: Iterable[int]) -> None:
        """Delete shows (their ids become gaps; the last page may shrink)."""
        with self._data:
            for show_id in ids:
                self._shows.pop(show_id, None)
                self._touch(show_id)
            self._max_id = max(self._shows, default=0)
            self._index = None

    def malform(self, show_id: int, kind: str = "runtime") -> None:
        """Serve this show with a broken field: ``id`` (removed) or one of MALFORMED."""
        if kind != "id" and kind not in MALFORMED:
            raise ValueError(f"kind must be 'id' or one of {sorted(MALFORMED)}")
        with self._data:
            self._shows[show_id].malformed = kind
            self._touch(show_id)

    def _touch(self, show_id: int) -> None:
        self._pages.pop(show_id // PAGE_SIZE, None)
        self._updates.clear()

    # routing -----------------------------------------------------------------------------
    def endpoint_name(self, request: FakeRequest) -> str:
        parts = request.path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "shows" and parts[1].isdigit():
            parts[1] = ":id"
        return f"{request.method} /{'/'.join(parts)}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if request.method not in ("GET", "HEAD"):
            return _error(405, "Method Not Allowed")
        parts = request.path.strip("/").split("/")
        with self._data:
            if parts == ["shows"]:
                return self._index_page(request)
            if parts[0] == "shows" and len(parts) >= 2 and parts[1].isdigit():
                return self._show_route(int(parts[1]), parts[2:], request)
            if parts == ["updates", "shows"]:
                return self._updates_feed(request.arg("since"))
            if parts == ["lookup", "shows"]:
                return self._lookup(request)
            if parts == ["singlesearch", "shows"]:
                return self._singlesearch(request)
        return _error(404, "Not Found", "Page not found.")

    def _show_route(self, show_id: int, rest: list[str], request: FakeRequest) -> FakeResponse:
        show = self._shows.get(show_id)
        if show is None:
            return _error(404, "Not Found")
        if not rest:
            return self._show(show, request)
        if rest == ["episodes"]:
            specials = request.arg("specials") in ("1", "true")
            return json_response(episode_objs(show, specials=specials), headers=HEADERS)
        if rest == ["episodebynumber"]:
            return self._episode_by_number(show, request)
        return _error(404, "Not Found")

    # endpoints ---------------------------------------------------------------------------
    def _index_page(self, request: FakeRequest) -> FakeResponse:
        text = request.arg("page", "0") or "0"
        if not text.isdigit():
            return _error(400, "Bad Request", 'Invalid data received for parameter "page".')
        page = int(text)
        if page > self.last_page:
            return _error(404, "Not Found")
        return _ok(self._page_bytes(page))

    def _page_bytes(self, page: int) -> bytes:
        with self._data:
            body = self._pages.get(page)
            if body is None:
                get = self._shows.get
                start = page * PAGE_SIZE
                shows = [show_json(s) for i in range(start, start + PAGE_SIZE)
                         if (s := get(i)) is not None]
                body = self._pages[page] = f"[{','.join(shows)}]".encode()
            return body

    def _show(self, show: ShowRec, request: FakeRequest) -> FakeResponse:
        embeds = [*request.query.get("embed", []), *request.query.get("embed[]", [])]
        if not embeds:
            return _ok(show_json(show))
        obj = show_obj(show)
        embedded: dict[str, Any] = {}
        for name in embeds:
            if name == "seasons":
                embedded["seasons"] = season_objs(show)
            elif name == "episodes":
                embedded["episodes"] = episode_objs(show)
            elif name in ("cast", "crew"):
                embedded[name] = []
        obj["_embedded"] = embedded
        return json_response(obj, headers=HEADERS)

    def _episode_by_number(self, show: ShowRec, request: FakeRequest) -> FakeResponse:
        season, number = request.arg("season", ""), request.arg("number", "")
        for episode in episode_objs(show):
            if str(episode["season"]) == season and str(episode["number"]) == number:
                return json_response(episode, headers=HEADERS)
        return _error(404, "Not Found", "Unknown episode")

    def _updates_feed(self, since: str | None) -> FakeResponse:
        if since is not None and since not in WINDOWS:
            return _error(400, "Bad Request", 'Invalid data received for parameter "since".')
        body = self._updates.get(since)
        if body is None:
            floor = self.now - WINDOWS[since] if since else None
            pairs = [f'"{i}":{s.updated}' for i, s in sorted(self._shows.items())
                     if floor is None or s.updated >= floor]
            body = self._updates[since] = f"{{{','.join(pairs)}}}".encode()
        return _ok(body)

    def _lookup(self, request: FakeRequest) -> FakeResponse:
        if self._index is None:
            self._index = {}
            for show in self._shows.values():
                for key in (("thetvdb", show.tvdb), ("imdb", show.imdb), ("tvrage", show.tvrage)):
                    if key[1] is not None:
                        self._index[(key[0], str(key[1]))] = show.id
        for source in ("thetvdb", "imdb", "tvrage"):
            value = request.arg(source)
            if value is not None and (source, value) in self._index:
                location = f"{self.url}/shows/{self._index[(source, value)]}"
                return FakeResponse(301, b"", {"Location": location, **HEADERS})
        return FakeResponse(404, b"", dict(HEADERS))

    def _singlesearch(self, request: FakeRequest) -> FakeResponse:
        query = (request.arg("q") or "").casefold().strip()
        names = [(s.name.casefold(), s) for _, s in sorted(self._shows.items())]
        match = next((s for name, s in names if name == query), None) or next(
            (s for name, s in names if query and query in name), None)
        if match is None:
            return FakeResponse(404, b"", dict(HEADERS))
        return self._show(match, request)
