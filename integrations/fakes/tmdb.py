"""Loopback fake of TMDB v3 (TV only): details, external ids, ``/find``, ``/tv/changes``.

Auth as the real API: ``api_key`` query parameter or ``Authorization: Bearer <token>``;
anything else gets the recorded 401 body, an unknown id the recorded code-34 404 body.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from integrations.fakes import tmdb_data as data
from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer, json_response
from integrations.fakes.tmdb_images import TmdbImagesMixin
from integrations.fakes.tvmaze import DEFAULT_START_TS
from integrations.fakes.tvmaze_data import generate as generate_tvmaze

__all__ = ["DEFAULT_API_KEY", "DEFAULT_TOKEN", "TmdbFake"]

RECORDED = Path(__file__).parent / "recorded" / "tmdb"
BODY_401 = (RECORDED / "error_401_invalid_api_key.json").read_bytes().strip()
BODY_404 = (RECORDED / "error_404_resource_not_found.json").read_bytes().strip()
DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
DEFAULT_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJmYWtlIn0.ZmFrZS1zaWduYXR1cmU"
HEADERS = {"Content-Type": "application/json;charset=utf-8",
           "Cache-Control": "public, max-age=21600"}
CHANGES_PER_PAGE = 100


def _tmdb_error(status: int, code: int, message: str) -> FakeResponse:
    body = {"success": False, "status_code": code, "status_message": message}
    return json_response(body, status, HEADERS)


class TmdbFake(TmdbImagesMixin, FakeServer):
    """TMDB shows seeded from ``seeds`` (tvdb, imdb, title) or, by default, from the same
    ``count``/``seed``/``start_ts`` as a ``TvmazeFake`` so tvdb/imdb ids line up."""

    name = "tmdb"

    def __init__(self, *, count: int = 1000, seed: int = 1,
                 seeds: Sequence[tuple[int | None, str | None, str]] | None = None,
                 api_key: str = DEFAULT_API_KEY, token: str = DEFAULT_TOKEN,
                 start_ts: int = DEFAULT_START_TS, host: str = "127.0.0.1", port: int = 0,
                 ) -> None:
        super().__init__(host=host, port=port)
        if seeds is None:
            shows = generate_tvmaze(random.Random(seed), 1, count, start_ts)
            seeds = [(s.tvdb, s.imdb, s.name) for s in shows]
        self.api_key, self.token, self.now = api_key, token, start_ts
        self._rng = random.Random(seed * 7_919 + 1)
        self._data = threading.RLock()
        self._shows = {r.id: r for r in data.generate(seeds, self._rng, start_ts)}
        self._deleted: dict[int, int] = {}  # id -> when; deleted shows stay in the feed
        self._index: dict[tuple[str, str], list[int]] | None = None
        self._art_init()

    # what tests read ---------------------------------------------------------------------
    @property
    def ids(self) -> list[int]:
        with self._data:
            return sorted(self._shows)

    def record(self, tmdb_id: int) -> data.TvRec:
        return self._shows[tmdb_id]

    def ids_for(self, *, tvdb_id: int | None = None, imdb_id: str | None = None) -> list[int]:
        """TMDB ids the fake would answer ``/find`` with (tv_results), ascending."""
        with self._data:
            index = self._lookup_index()
            if tvdb_id is not None:
                return list(index.get(("tvdb_id", str(tvdb_id)), []))
            return list(index.get(("imdb_id", str(imdb_id)), []))

    # mutations ---------------------------------------------------------------------------
    def set_now(self, ts: int) -> None:
        with self._data:
            self.now = ts

    def change(self, ids: Iterable[int], *, ts: int | None = None, name: str | None = None,
               ) -> None:
        """Mark shows changed at ``ts`` (default now) and flip status (or set ``name``)."""
        with self._data:
            for tmdb_id in ids:
                rec = self._shows[tmdb_id]
                rec.changed = self.now if ts is None else ts
                if name is not None:
                    rec.name = name
                else:
                    rec.status = "Ended" if rec.status != "Ended" else "Returning Series"

    def add(self, n: int, *, seeds: Sequence[tuple[int | None, str | None, str]] = ()
            ) -> list[int]:
        """``n`` new shows (or one per seed) after the highest id, changed now."""
        with self._data:
            seeds = list(seeds) or [(None, None, f"New Show {i}") for i in range(n)]
            first = max([*self._shows, *self._deleted], default=99) + 1
            recs = data.generate(seeds, self._rng, self.now, first_id=first)
            for rec in recs:
                rec.changed = self.now
                self._shows[rec.id] = rec
            self._index = None
            return [r.id for r in recs]

    def remove(self, ids: Iterable[int]) -> None:
        """Delete shows: /tv/{id} answers 404 code 34, the changes feed still lists them."""
        with self._data:
            for tmdb_id in ids:
                if self._shows.pop(tmdb_id, None) is not None:
                    self._deleted[tmdb_id] = self.now
            self._index = None

    # routing -----------------------------------------------------------------------------
    def endpoint_name(self, request: FakeRequest) -> str:
        parts = request.path.strip("/").split("/")
        if parts and parts[0] == "3":
            parts = parts[1:]
        if len(parts) >= 2 and parts[0] in ("tv", "find") and parts[1] != "changes":
            parts[1] = ":id"
        return f"{request.method} /{'/'.join(parts)}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        image = self.image_route(request)
        if image is not None:
            return image
        if not self._authorized(request):
            return FakeResponse(401, BODY_401, dict(HEADERS))
        parts = request.path.strip("/").split("/")
        if parts and parts[0] == "3":  # base_url may or may not carry the /3 prefix
            parts = parts[1:]
        with self._data:
            if parts == ["tv", "changes"]:
                return self._changes(request)
            if parts == ["configuration"]:
                return self.configuration()
            if len(parts) == 3 and parts[0] == "tv" and parts[2] == "images" and (
                    parts[1].isdigit() and int(parts[1]) in self._shows):
                return self.images(int(parts[1]))
            if len(parts) in (2, 3) and parts[0] == "tv" and parts[1].isdigit():
                return self._tv(int(parts[1]), parts[2:], request)
            if len(parts) == 2 and parts[0] == "find":
                return self._find(parts[1], request.arg("external_source"))
        return FakeResponse(404, BODY_404, dict(HEADERS))

    def _authorized(self, request: FakeRequest) -> bool:
        header = request.header("Authorization") or ""
        return request.arg("api_key") == self.api_key or header == f"Bearer {self.token}"

    # endpoints ---------------------------------------------------------------------------
    def _tv(self, tmdb_id: int, rest: list[str], request: FakeRequest) -> FakeResponse:
        rec = self._shows.get(tmdb_id)
        if rec is None or rest not in ([], ["external_ids"]):
            return FakeResponse(404, BODY_404, dict(HEADERS))
        if rest:
            return json_response(data.external_ids(rec), headers=HEADERS)
        appended = [a for a in (request.arg("append_to_response") or "").split(",") if a]
        if len(appended) > 20:
            return _tmdb_error(400, 27, "Too many append to response objects: "
                               "The maximum number of remote calls is 20.")
        body = {**data.tv(rec), **self.art_fields(tmdb_id)}
        if "external_ids" in appended:
            body["external_ids"] = data.external_ids(rec)
        return json_response(body, headers=HEADERS)

    def _lookup_index(self) -> dict[tuple[str, str], list[int]]:
        if self._index is None:
            index: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
            for rec in sorted(self._shows.values(), key=lambda r: r.id):
                if rec.tvdb is not None:
                    index[("tvdb_id", str(rec.tvdb))].append(rec.id)
                if rec.imdb is not None:
                    index[("imdb_id", rec.imdb)].append(rec.id)
            self._index = dict(index)
        return self._index

    def _find(self, external_id: str, source: str | None) -> FakeResponse:
        if source not in ("tvdb_id", "imdb_id"):
            return _tmdb_error(400, 5, "Invalid parameters: Your request parameters are "
                               "incorrect.")
        ids = self._lookup_index().get((source, external_id), [])
        episodes = []
        if source == "tvdb_id" and external_id.isdigit() and int(external_id) % 10 == 3:
            episodes = [data.unrelated_episode(int(external_id))]  # like the recorded 72023
        return json_response({
            "movie_results": [], "person_results": [],
            "tv_results": [data.find_entry(self._shows[i]) for i in ids],
            "tv_episode_results": episodes, "tv_season_results": [],
        }, headers=HEADERS)

    def _changes(self, request: FakeRequest) -> FakeResponse:
        window = self._date_window(request.arg("start_date"), request.arg("end_date"))
        if isinstance(window, FakeResponse):
            return window
        page_text = request.arg("page", "1") or "1"
        if not page_text.isdigit() or not 1 <= int(page_text) <= 500:
            return _tmdb_error(400, 22, "Invalid page: Pages start at 1 and max at 500. "
                               "They are expected to be an integer.")
        low, high = window
        changed = [(r.id, r.changed) for r in self._shows.values()] + list(self._deleted.items())
        ids = sorted((i for i, ts in changed if low <= ts < high), key=lambda i: (i * 7_919) % 997)
        page = int(page_text)
        chunk = ids[(page - 1) * CHANGES_PER_PAGE: page * CHANGES_PER_PAGE]
        return json_response({
            "results": [{"id": i, "adult": False} for i in chunk], "page": page,
            "total_pages": -(-len(ids) // CHANGES_PER_PAGE), "total_results": len(ids),
        }, headers=HEADERS)

    def _date_window(self, start: str | None, end: str | None) -> tuple[int, int] | FakeResponse:
        """[low, high) unix seconds: the last 24 h, or whole UTC days start..end (<= 14)."""
        if start is None and end is None:
            return self.now - data.DAY, self.now + 1
        try:
            today = datetime.fromtimestamp(self.now, tz=UTC).date()
            first = date.fromisoformat(start) if start else today - timedelta(days=1)
            last = date.fromisoformat(end) if end else today
        except ValueError:
            return _tmdb_error(400, 5, "Invalid parameters: Your request parameters are "
                               "incorrect.")
        if (last - first).days > 14:
            return _tmdb_error(422, 20, "Invalid date range: Should be a range no longer "
                               "than 14 days.")
        low = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
        high = datetime(last.year, last.month, last.day, tzinfo=UTC).timestamp() + data.DAY
        return int(low), int(high)
