"""The fake Sonarr's series library: indexed by tvdb id, slug and path, listing pre-rendered."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from integrations.fakes.sonarr import data, rules


class Library:
    """Series added so far. Not thread-safe by itself: the server holds its lock around it."""

    def __init__(self, *, v4: bool) -> None:
        self.v4 = v4
        self.series: dict[int, dict[str, Any]] = {}
        self.by_tvdb: dict[int, int] = {}
        self._by_slug: dict[str, int] = {}
        self._by_path: dict[str, int] = {}
        self._next_id = 1
        self._listing: bytes | None = None

    def __len__(self) -> int:
        return len(self.series)

    def find_tvdb(self, tvdb_id: int) -> dict[str, Any] | None:
        series_id = self.by_tvdb.get(tvdb_id)
        return self.series[series_id] if series_id else None

    def listing(self) -> bytes:
        """``GET /series``, rendered once per mutation."""
        if self._listing is None:
            self._listing = b"[" + b",".join(
                rules.render(s, v4=self.v4) for s in self.series.values()) + b"]"
        return self._listing

    def clashes(self, entry: data.Entry, body: dict[str, Any]) -> list[dict[str, Any]]:
        """AddSeriesValidator: the path or the title slug already used by another series."""
        found = []
        path = self.path_for(entry, body)
        if path in self._by_path:
            found.append(rules.failure("Path", f"Path '{path}' is already configured for an "
                                       "existing series", path, "SeriesPathValidator"))
        other = self._by_slug.get(entry.slug)
        if other is not None:
            title = self.series[other]["title"]
            found.append(rules.failure(
                "TitleSlug", f"Title slug '{entry.slug}' is in use by series '{title}'. Check "
                "the FAQ for more information", entry.slug, "SeriesTitleSlugValidator"))
        return found

    @staticmethod
    def path_for(entry: data.Entry, body: dict[str, Any]) -> str:
        """The body's path, or the root folder plus the series folder (as Sonarr builds it)."""
        root = str(body.get("rootFolderPath") or "").rstrip("/")
        return str(body.get("path") or f"{root}/{entry.folder}")

    def create(self, body: dict[str, Any], entry: data.Entry) -> dict[str, Any]:
        """The stored series: the lookup item, the body's choices, an id, a path."""
        series_id, self._next_id = self._next_id, self._next_id + 1
        item = data.lookup_item(entry, v4=self.v4)
        root = str(body.get("rootFolderPath") or "").rstrip("/")
        path = self.path_for(entry, body)
        for key in ("qualityProfileId", "seasonFolder", "monitored", "seriesType", "tags",
                    "seasons", "monitorNewItems"):
            if key in body:
                item[key] = copy.deepcopy(body[key])
        if (body.get("addOptions") or {}).get("monitor") == "none":
            item["monitored"] = False
        item["languageProfileId"] = 1 if self.v4 else rules.as_int(body.get("languageProfileId"))
        for image in item["images"]:
            image["url"] = f"/MediaCover/{series_id}/{image['coverType']}.jpg"
        item.update(path=path, rootFolderPath=root or path.rsplit("/", 1)[0],
                    added=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                    alternateTitles=[], id=series_id)
        self.series[series_id] = item
        self.by_tvdb[entry.tvdb_id] = series_id
        self._by_slug[entry.slug] = series_id
        self._by_path[path] = series_id
        self._listing = None
        return item

    def remove(self, series_id: int) -> None:
        series = self.series.pop(series_id)
        self.by_tvdb.pop(series["tvdbId"], None)
        self._by_slug.pop(series["titleSlug"], None)
        self._by_path.pop(series["path"], None)
        self._listing = None

