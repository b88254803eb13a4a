"""Sonarr v3/v4 client: pyarr 5.2.0 for the reads, our HttpClient where pyarr falls short.

pyarr sets no timeout, leaks raw ``requests`` errors, returns some error bodies as data and
mutates the dicts it is given. Here it runs on our configured session (timeouts, retries, rate
limit) and every call is wrapped so callers only ever see ``UpstreamError`` subclasses and
frozen values. Adds bypass pyarr: its ``add_series`` forces ``languageProfileId`` (v4 must omit
it) and cannot send ``addOptions.monitor``, series type or tags.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import requests
from pyarr import SonarrAPI

from integrations.errors import (
    InvalidError,
    NotFoundError,
    UnsupportedError,
    UpstreamError,
    scrub_url,
)
from integrations.http import HttpClient, HttpConfig
from integrations.sonarr import connect, imports, wire
from integrations.values.sonarr import (
    AddOptions,
    AddOutcome,
    AddResult,
    SonarrLanguageProfile,
    SonarrQualityProfile,
    SonarrRootFolder,
    SonarrSeries,
    SonarrStatus,
    SonarrTag,
)

__all__ = ["API_PREFIX", "UPSTREAM", "SonarrClient"]

log = logging.getLogger(__name__)

UPSTREAM = "sonarr"
API_PREFIX = "/api/v3"


class SonarrClient:
    """One Sonarr server. Thread-safe as far as its HttpClient is; caches the server status."""

    def __init__(self, http: HttpClient, api_key: str) -> None:
        self._http = http
        self._api_key = api_key
        self._headers = {"X-Api-Key": api_key}
        self._session = wire.RecordingSession(http.session)
        self._pyarr = SonarrAPI(http.config.base_url, api_key)
        self._pyarr.session = self._session  # pyarr takes no session= argument: swap it in
        self._status: SonarrStatus | None = None

    @classmethod
    def build(cls, *, base_url: str, api_key: str, connect_timeout: float = 5,
              read_timeout: float = 30, max_retries: int = 4) -> SonarrClient:
        """A client with its own HttpClient configured for Sonarr."""
        config = HttpConfig(upstream=UPSTREAM, base_url=base_url, connect_timeout=connect_timeout,
                            read_timeout=read_timeout, max_retries=max_retries,
                            headers={"X-Api-Key": api_key})  # also tells the scrubber the key
        return cls(HttpClient(config), api_key)

    def __repr__(self) -> str:
        return f"SonarrClient({self._http.config.base_url!r})"

    # ---- reads -------------------------------------------------------------------------

    def status(self) -> SonarrStatus:
        """Server version; v4 has no language profiles. Remembered for ``language_profiles``."""
        data = self._call("system/status", self._pyarr.get_system_status, dict, "version")
        try:
            status = SonarrStatus.from_version(str(data.get("version", "")))
        except ValueError as exc:
            raise self._invalid("system/status", str(exc)) from None
        self._status = status
        return status

    def root_folders(self) -> tuple[SonarrRootFolder, ...]:
        """Where series may go; ``AddOptions.root_folder_path`` must be one of these paths."""
        data = self._call("rootfolder", self._pyarr.get_root_folder, list)
        return self._parse_all("rootfolder", data, wire.root_folder)

    def quality_profiles(self) -> tuple[SonarrQualityProfile, ...]:
        """Profiles an add may name; Sonarr rejects an unknown id. Each says whether it has
        v4's custom-format score fields (the shape tells v3 from v4)."""
        data = self._call("qualityprofile", self._pyarr.get_quality_profile, list)
        return self._parse_all("qualityprofile", data, wire.quality_profile)

    def language_profiles(self, *, supported: bool | None = None
                          ) -> tuple[SonarrLanguageProfile, ...]:
        """v3's language profiles; () on v4, whose endpoint is a deprecated stub. ``supported``
        is what the caller already knows of this server in this run; without it the server
        status is read (once per client)."""
        if supported is None:
            supported = (self._status or self.status()).supports_language_profiles
        if not supported:
            return ()
        data = self._call("languageprofile", self._pyarr.get_language_profile, list)
        return self._parse_all("languageprofile", data, wire.named(SonarrLanguageProfile))

    def tags(self) -> tuple[SonarrTag, ...]:
        """Labels by id; adds refer to tags by id only."""
        data = self._call("tag", self._pyarr.get_tag, list)
        return self._parse_all("tag", data, wire.tag)

    def create_tag(self, label: str) -> SonarrTag:
        """Create (or, as Sonarr does for a known label, return) a tag."""
        data = self._call("tag", lambda: self._pyarr.create_tag(str(label)), dict, "id",
                          method="POST")
        return self._parse_all("tag", [data], wire.tag)[0]

    def series(self) -> tuple[SonarrSeries, ...]:
        """Every series in the library; an item without a usable tvdbId is skipped and logged."""
        data = self._call("series", self._pyarr.get_series, list)
        found: list[SonarrSeries] = []
        for position, item in enumerate(data):
            try:
                found.append(SonarrSeries.from_payload(item))
            except ValueError as exc:
                log.warning("sonarr: skipping library series #%s: %s", position, exc)
        return tuple(found)

    def exclusions(self, *, paged: bool = False) -> frozenset[int]:
        """TVDB ids on the import-list exclusions (pyarr has no call for it); ``paged`` reads
        v4's paged endpoint (the unpaged one is deprecated there)."""
        try:
            if paged:
                try:
                    return imports.exclusions_paged(self._http, self._headers)
                except NotFoundError:  # v4 before 4.0.2: only the unpaged list exists
                    log.info("sonarr: no paged exclusions endpoint; reading the unpaged one")
            data = self._http.get_json(f"{API_PREFIX}/importlistexclusion",
                                       headers=self._headers)
        except UpstreamError as exc:
            raise self._scrubbed(exc) from None
        if not isinstance(data, list):
            raise self._invalid("importlistexclusion", "expected a JSON array")
        return frozenset(wire.exclusion_ids(data))

    def series_id_for(self, tvdb_id: int) -> int | None:
        """The library id of the series with this TVDB id (``GET series?tvdbId=``), or None."""
        data = self._call("series", lambda: self._pyarr.get_series(int(tvdb_id), tvdb=True),
                          list)
        return wire.library_ids(data).get(int(tvdb_id))

    def lookup_tvdb(self, tvdb_id: int) -> SonarrSeries | None:
        """Sonarr's lookup by ``tvdb:<id>``: None when unknown; carries ``id`` if in the library."""
        if int(tvdb_id) <= 0:
            raise ValueError(f"tvdb id must be positive, not {tvdb_id!r}")
        data = self._call("series/lookup", lambda: self._pyarr.lookup_series(id_=int(tvdb_id)),
                          list)
        items = [item for item in data if isinstance(item, dict)]
        if not items:
            return None
        best = next((i for i in items if i.get("tvdbId") == int(tvdb_id)), items[0])
        try:
            return SonarrSeries.from_payload(best)
        except ValueError as exc:
            raise self._invalid("series/lookup", str(exc)) from None

    # ---- writes ------------------------------------------------------------------------

    def import_batch(self, bodies: Sequence[dict[str, Any]]) -> imports.ImportAnswer:
        """One ``series/import`` POST; UnsupportedError when the server has no such endpoint,
        other UpstreamErrors (auth, transient) raised scrubbed."""
        try:
            return imports.import_batch(self._http, self._headers, bodies)
        except UpstreamError as exc:
            raise self._scrubbed(exc) from None

    def add(self, series: SonarrSeries, options: AddOptions, *, is_v4: bool) -> AddResult:
        """Add one series; every expected failure comes back as an outcome, not an exception."""
        problem = wire.precheck(options, is_v4=is_v4)
        if problem:
            return AddResult(AddOutcome.INVALID, None, problem, series.tvdb_id)
        body = wire.add_body(series, options, is_v4=is_v4)
        try:
            response = self._http.request("POST", f"{API_PREFIX}/series", json=body,
                                          headers=self._headers, ok=(200, 201, 400, 409))
        except UpstreamError as exc:
            return self._failed(exc, series.tvdb_id)
        if response.status_code == 400:
            outcome, message = wire.classify_rejection(response.text, self._scrub)
            return self._result(outcome, message, series.tvdb_id)
        if response.status_code == 409:  # only a SQLite race: someone else just added it
            return self._result(AddOutcome.EXISTS, "added concurrently", series.tvdb_id)
        new_id = wire.created_id(response)
        if new_id is None:
            return AddResult(AddOutcome.TRANSIENT, None,
                             "Sonarr accepted the series but its answer was unreadable",
                             series.tvdb_id)
        return AddResult(AddOutcome.ADDED, new_id, "added", series.tvdb_id)

    def webhook_connect(self, *, name: str, url: str, username: str, password: str) -> int:
        """Settings -> Connect -> Webhook through the API (``connect.webhook_connect``);
        returns the connection's id. Errors never hold the password nor the API key."""
        try:
            return connect.webhook_connect(self._http, self._headers, name=name, url=url,
                                           username=username, password=password)
        except UpstreamError as exc:
            raise self._scrubbed(exc) from None

    def import_series(self, items: Sequence[tuple[SonarrSeries, AddOptions]], *,
                      is_v4: bool) -> tuple[AddResult, ...]:
        """Bulk add through ``series/import``; UnsupportedError if the server lacks it.

        Sonarr validates the batch all-or-nothing: one invalid item, or one already in the
        library (its path and title slug are taken), rejects it with a 400, and then each item
        is added on its own so it gets its own outcome. Items Sonarr skips silently (already
        added, or duplicated in the batch) come back as ``exists`` when the library has them.
        """
        results: dict[int, AddResult] = {}
        sent: list[int] = []
        bodies: list[dict[str, Any]] = []
        for index, (series, options) in enumerate(items):
            problem = wire.precheck(options, is_v4=is_v4)
            if problem:
                results[index] = AddResult(AddOutcome.INVALID, None, problem, series.tvdb_id)
            else:
                sent.append(index)
                bodies.append(wire.add_body(series, options, is_v4=is_v4))
        if bodies:
            results.update(self._import(items, sent, bodies, is_v4=is_v4))
        return tuple(results[index] for index in range(len(items)))

    def _import(self, items: Sequence[tuple[SonarrSeries, AddOptions]], sent: list[int],
                bodies: list[dict[str, Any]], *, is_v4: bool) -> dict[int, AddResult]:
        path = f"{API_PREFIX}/series/import"
        try:
            response = self._http.request("POST", path, json=bodies, headers=self._headers,
                                          ok=(200, 201, 202, 400, 404, 405))
        except UpstreamError as exc:
            return {i: self._failed(exc, items[i][0].tvdb_id) for i in sent}
        if response.status_code in (404, 405):
            raise UnsupportedError("series/import is not supported by this server",
                                   upstream=UPSTREAM, method="POST", url=self._url(path),
                                   status=response.status_code)
        if response.status_code == 400:
            return {i: self.add(*items[i], is_v4=is_v4) for i in sent}
        added = wire.imported_ids(response)
        if added is None:
            message = "Sonarr accepted the import but its answer was unreadable"
            return {i: AddResult(AddOutcome.TRANSIENT, None, message, items[i][0].tvdb_id)
                    for i in sent}
        return self._imported([items[i][0].tvdb_id for i in sent], sent, added)

    def _imported(self, tvdb_ids: list[int], sent: list[int],
                  added: dict[int, int]) -> dict[int, AddResult]:
        """Outcomes of a 2xx import: in the answer -> added; skipped -> exists if in library."""
        skipped = {tvdb for tvdb in tvdb_ids if tvdb not in added}
        listed = self._library_ids() if skipped else {}
        # If the listing failed we can't tell; what Sonarr skips is mostly what it already has.
        library: dict[int, int | None] = dict.fromkeys(skipped) if listed is None else {**listed}
        out: dict[int, AddResult] = {}
        for index, tvdb_id in zip(sent, tvdb_ids, strict=True):
            if tvdb_id in added:
                out[index] = AddResult(AddOutcome.ADDED, added[tvdb_id], "added", tvdb_id)
            elif tvdb_id in library:
                out[index] = AddResult(AddOutcome.EXISTS, library[tvdb_id],
                                       "already in the library", tvdb_id)
            else:  # Sonarr also skips a title slug repeated within the batch
                out[index] = AddResult(AddOutcome.INVALID, None,
                                       "skipped by Sonarr's import (title slug repeated)",
                                       tvdb_id)
        return out

    # ---- plumbing ----------------------------------------------------------------------

    def _result(self, outcome: AddOutcome, message: str, tvdb_id: int) -> AddResult:
        series_id = self._existing_id(tvdb_id) if outcome is AddOutcome.EXISTS else None
        return AddResult(outcome, series_id, self._scrub(message), tvdb_id)

    def _failed(self, exc: UpstreamError, tvdb_id: int) -> AddResult:
        """An add that failed in transport: the outcome for it, or re-raise what isn't one."""
        outcome = wire.outcome_for(exc)
        if outcome is None:
            raise self._scrubbed(exc) from None
        return AddResult(outcome, None, self._scrub(str(exc)), tvdb_id)

    def _existing_id(self, tvdb_id: int) -> int | None:
        """Best effort: the library id of a series Sonarr said is already added."""
        try:
            data = self._call("series", lambda: self._pyarr.get_series(tvdb_id, tvdb=True), list)
        except UpstreamError:
            return None
        return wire.library_ids(data).get(tvdb_id)

    def _library_ids(self) -> dict[int, int] | None:
        try:
            return wire.library_ids(self._call("series", self._pyarr.get_series, list))
        except UpstreamError:
            return None

    def _call(self, path: str, call: Callable[[], Any], expect: type, *keys: str,
              method: str = "GET") -> Any:
        """Run one pyarr call; translate everything it raises or returns-as-data into ours."""
        url = self._url(f"{API_PREFIX}/{path}")
        self._session.forget()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                data = call()
        except UpstreamError as exc:
            raise self._scrubbed(exc) from None
        except (wire.PyarrError, requests.RequestException, ValueError, AssertionError) as exc:
            # from None: a chained pyarr/requests error could carry a body echoing secrets
            raise self._translate(exc, method, url) from None
        status = self._session.last_status
        problem = wire.shape_problem(data, expect, keys)
        if problem is None:
            return data
        raise self._shaped_error(problem, data, status, method, url)

    def _translate(self, exc: Exception, method: str, url: str) -> UpstreamError:
        cls, status, message = wire.translate(exc, self._session.last_status, self._scrub)
        return cls(self._scrub(message), upstream=UPSTREAM, method=method, url=url, status=status)

    def _shaped_error(self, problem: str, data: Any, status: int | None, method: str,
                      url: str) -> UpstreamError:
        """An error body pyarr handed back as data (409/429/503...), or a wrong shape."""
        cls, message = wire.error_from_data(problem, data, status, self._scrub)
        return cls(self._scrub(message), upstream=UPSTREAM, method=method, url=url, status=status)

    def _invalid(self, path: str, message: str) -> InvalidError:
        return InvalidError(self._scrub(message), upstream=UPSTREAM, method="GET",
                            url=self._url(f"{API_PREFIX}/{path}"))

    def _parse_all(self, path: str, data: list[Any], parse: Callable[[Any], Any]) -> tuple:
        try:
            return tuple(parse(item) for item in data)
        except (KeyError, TypeError, ValueError) as exc:
            raise self._invalid(path, f"unexpected item shape: {exc!r}") from None

    def _scrubbed(self, exc: UpstreamError) -> UpstreamError:
        """The same error without the api key (an HttpClient not built here may not know it)."""
        if not self._api_key or self._api_key not in f"{exc.message} {exc.url}":
            return exc
        return type(exc)(self._scrub(exc.message), upstream=exc.upstream, method=exc.method,
                         url=self._scrub(exc.url) if exc.url else None, status=exc.status)

    def _url(self, path: str) -> str:
        return scrub_url(self._http.url(path), self._http.config.secret_names)

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text

