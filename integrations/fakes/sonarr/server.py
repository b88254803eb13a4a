"""Loopback Sonarr v3/v4 (``/api/v3``) answering like the real server on the endpoints we use.

Auth is checked first (``X-Api-Key`` header or ``apikey`` query; v4 also ``Bearer``) and a bad
key is a 401. Static resources are pre-rendered; the library listing is re-rendered only after
a mutation. The lookup catalogue is deterministic for a seed (see ``data``).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, FakeServer
from integrations.fakes.sonarr import bulk, data, rules, webhooks
from integrations.fakes.sonarr.library import Library

__all__ = ["DEFAULT_API_KEY", "SKYHOOK_DOWN", "SonarrFake"]

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
API = "/api/v3/"
_ID_SEGMENT = re.compile(r"/\d+(?=/|$)")
_TAG_LABEL = re.compile(r"^[a-z0-9-]+$", re.IGNORECASE)
SKYHOOK_DOWN = {"message": "Search for 'tvdb' failed. Unable to communicate with SkyHook.",
                "description": "NzbDrone.Core.MetadataSource.SkyHook.SkyHookException: "
                               "Search for 'tvdb' failed. Unable to communicate with SkyHook."}

Handler = Callable[["SonarrFake", FakeRequest, str], FakeResponse]


class SonarrFake(FakeServer):
    """A Sonarr server: v3 (Mono) or v4 (.NET) behaviour chosen by ``version``.

    Test controls: ``skyhook_down``, ``add_catalog``, ``seed_library``, ``remove_series``,
    ``add_exclusion``, ``import_episode``; ``added`` holds every POSTed series body,
    ``counts`` the requests per endpoint, and ``inject`` (from FakeServer) arms faults.
    ``webhook(url, username=, password=)`` makes it call that URL as Sonarr's webhook does on
    a series added (by hand or through the API), deleted, or an episode imported (as does a
    Webhook connection saved through ``POST /api/v3/notification``, which is sent "Test" on
    save); ``webhook_test()`` sends Sonarr's "Test"; ``webhooks_wait()`` waits for the calls.
    """

    name = "sonarr"
    V3 = "3.0.10.1567"
    V4 = "4.0.19.2979"

    def __init__(self, *, version: str = V3, api_key: str = DEFAULT_API_KEY,
                 catalog: Iterable[tuple[int, str, int | None]] | None = None, seed: int = 1,
                 catalog_size: int = 500, supports_import: bool = True,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.version = version
        self.is_v4 = int(version.split(".", 1)[0]) >= 4
        self.api_key = api_key
        self.supports_import = supports_import
        self.added: list[dict[str, Any]] = []  # every series body POSTed (single or import)
        self.import_batches: list[int] = []  # the size of every series/import batch
        self._state = threading.RLock()
        self._catalog = data.build_catalog(catalog, seed, catalog_size)
        self._library = Library(v4=self.is_v4)
        self._tags: list[dict[str, Any]] = data.recorded("tag.json")
        self._exclusions: list[dict[str, Any]] = []
        self._quality = data.quality_profiles(v4=self.is_v4)
        self._languages = data.language_profiles(v4=self.is_v4)
        self._roots = data.root_folders()
        self._skyhook_down = False
        self._webhook = webhooks.Webhook()
        self._notifications: list[dict[str, Any]] = []  # connections saved through the API
        self._file_ids = 0
        self._cache: dict[str, bytes] = {
            "status": self._render(data.system_status(version, v4=self.is_v4)),
            "rootfolder": self._render(self._roots),
            "qualityprofile": self._render(self._quality),
            "languageprofile": self._render(self._languages),
        }

    # ---- test controls -------------------------------------------------------------------

    def skyhook_down(self, down: bool = True) -> None:
        """Make lookups (and adds, which need SkyHook too) answer 503 ``{message, description}``."""
        self._skyhook_down = down

    @property
    def catalog_ids(self) -> list[int]:
        return list(self._catalog)

    def add_catalog(self, tvdb_id: int, title: str, year: int | None = None) -> None:
        with self._state:
            entry = data.build_catalog([(tvdb_id, title, year)], 0, 0)[tvdb_id]
            self._catalog[tvdb_id] = entry

    def seed_library(self, tvdb_id: int, *, quality_profile_id: int = 1,
                     root_folder_path: str = "/tv", monitored: bool = True) -> int:
        """Put a catalogue series straight into the library (as if added earlier, or by
        hand in Sonarr's UI: a configured webhook hears ``SeriesAdd``)."""
        with self._state:
            body = {"qualityProfileId": quality_profile_id, "rootFolderPath": root_folder_path,
                    "monitored": monitored, "languageProfileId": 1}
            return int(self.create_series(body, self._catalog[tvdb_id])["id"])

    def remove_series(self, series_id: int, *, delete_files: bool = False) -> None:
        """Delete a series (as in Sonarr's UI; a configured webhook hears ``SeriesDelete``)."""
        with self._state:
            series = self._library.series[series_id]
            self._library.remove(series_id)
            self._webhook.emit(webhooks.payload("SeriesDelete", series,
                                                deletedFiles=delete_files))

    def create_series(self, body: dict[str, Any], entry: data.Entry) -> dict[str, Any]:
        """Add to the library and tell the webhook (the lock is held by the caller)."""
        series = self._library.create(body, entry)
        self._webhook.emit(webhooks.payload("SeriesAdd", series))
        return series

    def import_episode(self, tvdb_id: int, season: int, episode: int, *,
                       upgrade: bool = False) -> None:
        """An episode file of a library series imported: the webhook hears ``Download``."""
        with self._state:
            series = self._library.find_tvdb(tvdb_id)
            if series is None:
                raise KeyError(f"tvdb:{tvdb_id} is not in the library")
            self._file_ids += 1
            self._webhook.emit(webhooks.download_payload(series, season, episode,
                                                         file_id=self._file_ids,
                                                         upgrade=upgrade))

    def webhook(self, url: str | None, *, username: str = "", password: str = "",
                method: str = "POST") -> None:
        """Call ``url`` on every series added or deleted and episode imported (None: stop)."""
        self._webhook.configure(url, username=username, password=password, method=method)

    def webhook_test(self) -> None:
        """What Sonarr's Test button on the webhook form sends."""
        self._webhook.emit(webhooks.test_payload())

    def webhooks_wait(self, timeout: float = 10.0) -> list[tuple[str, int | str]]:
        """Wait until every webhook call so far was answered; returns all deliveries."""
        self._webhook.wait(timeout)
        return list(self._webhook.deliveries)

    @property
    def webhook_answers(self) -> list[Any]:
        """What our webhook answered to each call, in order."""
        return list(self._webhook.answers)

    def stop(self) -> None:
        self._webhook.stop()
        super().stop()

    def set_root_folder(self, path: str, *, accessible: bool = True,
                        free_space: int | None = None) -> None:
        """Change (or add) a root folder: an unplugged disk, a full one."""
        with self._state:
            folder = next((r for r in self._roots if r["path"] == path), None)
            if folder is None:
                folder = {"path": path, "unmappedFolders": [],
                          "id": max(r["id"] for r in self._roots) + 1}
                self._roots.append(folder)
            folder.update(accessible=accessible, freeSpace=free_space)
            self._cache["rootfolder"] = self._render(self._roots)

    def add_exclusion(self, tvdb_id: int, title: str = "") -> None:
        with self._state:
            self._exclusions.append({"tvdbId": tvdb_id, "title": title,
                                     "id": len(self._exclusions) + 1})

    @property
    def library(self) -> list[dict[str, Any]]:
        with self._state:
            return copy.deepcopy(list(self._library.series.values()))

    # ---- FakeServer hooks ----------------------------------------------------------------

    def endpoint_name(self, request: FakeRequest) -> str:
        return f"{request.method} {_ID_SEGMENT.sub('/{id}', request.path.rstrip('/'))}"

    def handle(self, request: FakeRequest) -> FakeResponse:
        if not request.path.startswith(API):
            return FakeResponse(404, b"", {"Content-Type": "text/plain"})
        if not self._authorized(request):
            return FakeResponse(401, b"", {"Content-Type": "text/plain"})
        route = request.path[len(API):].strip("/")
        key = (request.method, _ID_SEGMENT.sub("/{id}", "/" + route)[1:])
        handler = _ROUTES.get(key)
        if handler is None:
            return self._not_found(f"{request.method} {request.path}")
        with self._state:
            return handler(self, request, route)

    def _authorized(self, request: FakeRequest) -> bool:
        given = request.header("X-Api-Key") or request.arg("apikey")
        bearer = request.header("Authorization") or ""
        if self.is_v4 and bearer.startswith("Bearer "):
            given = given or bearer[len("Bearer "):]
        return given == self.api_key

    # ---- rendering -----------------------------------------------------------------------

    def _render(self, obj: Any) -> bytes:
        return rules.render(obj, v4=self.is_v4)

    def _json(self, body: bytes | Any, status: int = 200,
              headers: dict[str, str] | None = None) -> FakeResponse:
        raw = body if isinstance(body, bytes) else self._render(body)
        return FakeResponse(status, raw, {"Content-Type": "application/json; charset=utf-8",
                                          "X-Application-Version": self.version,
                                          **(headers or {})})

    def _not_found(self, what: str) -> FakeResponse:
        if self.is_v4:  # ASP.NET NotFound() on an API controller: RFC 7807 problem details
            problem = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
                       "title": "Not Found", "status": 404}
            return FakeResponse(404, rules.render(problem, v4=True),
                                {"Content-Type": "application/problem+json; charset=utf-8"})
        return self._json({"message": "NotFound", "description": what}, 404)

    # ---- endpoints -----------------------------------------------------------------------

    def _static(self, request: FakeRequest, route: str) -> FakeResponse:
        return self._json(self._cache[route.replace("system/", "")])

    def _language_write(self, request: FakeRequest, route: str) -> FakeResponse:
        if self.is_v4:  # the deprecated stub accepts and changes nothing
            return self._json(request.body or b"{}", 202)
        return self._json({"message": "not supported by this fake"}, 405)

    def _get_tags(self, request: FakeRequest, route: str) -> FakeResponse:
        if "tag" not in self._cache:
            self._cache["tag"] = self._render(self._tags)
        return self._json(self._cache["tag"])

    def _post_tag(self, request: FakeRequest, route: str) -> FakeResponse:
        body = rules.body_of(request)
        label = str(body.get("label") or "") if isinstance(body, dict) else ""
        if not label.strip():
            return self._json([rules.failure("Label", "'Label' must not be empty.", label,
                                             "NotEmptyValidator")], 400)
        if self.is_v4 and not _TAG_LABEL.match(label):
            return self._json([rules.failure("Label", "Allowed characters a-z, 0-9 and -",
                                             label, "RegularExpressionValidator")], 400)
        tag = next((t for t in self._tags if t["label"].lower() == label.lower()), None)
        if tag is None:
            tag = {"label": label.lower(), "id": max((t["id"] for t in self._tags), default=0) + 1}
            self._tags.append(tag)
            self._cache.pop("tag", None)
        return self._json(tag, 201)

    def _get_series(self, request: FakeRequest, route: str) -> FakeResponse:
        tvdb = request.arg("tvdbId")
        if tvdb is None:
            return self._json(self._library.listing())
        series = self._library.find_tvdb(rules.as_int(tvdb))
        return self._json([series] if series else [])

    def _get_one(self, request: FakeRequest, route: str) -> FakeResponse:
        series = self._library.series.get(rules.as_int(route.rsplit("/", 1)[1]))
        return self._json(series) if series else self._not_found(request.path)

    def _delete_one(self, request: FakeRequest, route: str) -> FakeResponse:
        """``DELETE /series/{id}?deleteFiles=&addImportListExclusion=``."""
        series = self._library.series.get(rules.as_int(route.rsplit("/", 1)[1]))
        if series is None:
            return self._not_found(request.path)
        if (request.arg("addImportListExclusion") or "").lower() == "true":
            self.add_exclusion(series["tvdbId"], series.get("title", ""))
        self.remove_series(series["id"],
                           delete_files=(request.arg("deleteFiles") or "").lower() == "true")
        return self._json(b"{}")

    def _lookup(self, request: FakeRequest, route: str) -> FakeResponse:
        if self._skyhook_down:
            return self._json(SKYHOOK_DOWN, 503)
        term = (request.arg("term") or "").strip()
        if term.lower().startswith("tvdb:"):
            entry = self._catalog.get(rules.as_int(term[5:].strip()))
            return self._json([self._lookup_item(entry)] if entry else [])
        needle = term.lower()
        hits = [e for e in self._catalog.values() if needle and needle in e.title.lower()][:20]
        return self._json([self._lookup_item(e) for e in hits])

    def _lookup_item(self, entry: data.Entry) -> dict[str, Any]:
        """The library series when already added (with id and path), else SkyHook's item."""
        return self._library.find_tvdb(entry.tvdb_id) or data.lookup_item(entry, v4=self.is_v4)

    def _post_series(self, request: FakeRequest, route: str) -> FakeResponse:
        body = rules.body_of(request)
        if not isinstance(body, dict):
            return self._json({"message": "Request body must be a series object"}, 400)
        self.added.append(copy.deepcopy(body))
        failures = rules.controller_failures(
            body, v4=self.is_v4, library_tvdb=self._library.by_tvdb,
            quality_ids={q["id"] for q in self._quality},
            language_ids={lp["id"] for lp in self._languages},
            root_paths={r["path"].rstrip("/") for r in self._roots})
        if failures:
            return self._json(failures, 400)
        if self._skyhook_down:
            return self._json(SKYHOOK_DOWN, 503)
        entry = self._catalog.get(rules.as_int(body.get("tvdbId")))
        if entry is None:
            return self._json([rules.not_found_failure(rules.as_int(body["tvdbId"]),
                                                       body.get("path"))], 400)
        clashes = self._library.clashes(entry, body)
        if clashes:
            return self._json(clashes, 400)
        series = self.create_series(body, entry)
        answer = {**series, "addOptions": body.get("addOptions") or {}}
        return self._json(answer, 201, {"Location": f"/api/v3/series/{series['id']}"})



_ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "system/status"): SonarrFake._static,
    ("GET", "rootfolder"): SonarrFake._static,
    ("GET", "qualityprofile"): SonarrFake._static,
    ("GET", "languageprofile"): SonarrFake._static,
    ("POST", "languageprofile"): SonarrFake._language_write,
    ("PUT", "languageprofile/{id}"): SonarrFake._language_write,
    ("GET", "tag"): SonarrFake._get_tags,
    ("POST", "tag"): SonarrFake._post_tag,
    ("GET", "series"): SonarrFake._get_series,
    ("POST", "series"): SonarrFake._post_series,
    ("GET", "series/{id}"): SonarrFake._get_one,
    ("DELETE", "series/{id}"): SonarrFake._delete_one,
    ("GET", "series/lookup"): SonarrFake._lookup,
    ("POST", "series/import"): bulk.series_import,
    ("GET", "importlistexclusion"): bulk.exclusion_list,
    ("GET", "importlistexclusion/paged"): bulk.exclusion_paged,
    ("POST", "importlistexclusion"): bulk.exclusion_post,
    ("GET", "notification"): webhooks.notification_list,
    ("POST", "notification"): webhooks.notification_post,
}
