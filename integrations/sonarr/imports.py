"""Sonarr's bulk add (``POST series/import``) and paged exclusions, sent through our policy.

pyarr 5.2.0 implements neither. The import answers the series it actually added; what it
skips (already in the library, repeated in the batch) is silent, and one invalid series
rejects the whole batch with a 400 listing the failures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.errors import InvalidError, Scrubber, TransientError, UnsupportedError
from integrations.http import HttpClient, decode_json
from integrations.sonarr import wire
from integrations.values.sonarr import AddOptions, AddOutcome

API_PREFIX = "/api/v3"
EXCLUSION_PAGE = 1_000
EXCLUSION_READS = 4  # whole reads of a multi-page list before giving up on agreement


@dataclass(frozen=True, slots=True)
class ImportAnswer:
    """A 2xx: ``added`` maps tvdb id -> new series id. A 400: ``outcome`` and ``message``
    classify the failures together, ``failures`` each series they blame by TVDB id with its
    own classification."""

    added: Mapping[int, int]
    rejected: bool = False
    outcome: AddOutcome | None = None
    message: str = ""
    failures: Mapping[int, tuple[AddOutcome, str]] = field(default_factory=dict)
    in_use: bool = False  # a path or title slug already taken: maybe by this very series


def import_body(tvdb_id: int, title: str, options: AddOptions, *, is_v4: bool,
                monitor_new_items: str = "") -> dict[str, Any]:
    """A complete add body from our own facts: Sonarr fetches the rest from SkyHook."""
    body: dict[str, Any] = {
        "tvdbId": int(tvdb_id), "title": title or str(tvdb_id),
        "qualityProfileId": options.quality_profile_id,
        "rootFolderPath": options.root_folder_path, "monitored": options.monitored,
        "seasonFolder": options.season_folder, "seriesType": options.series_type,
        "tags": list(options.tags),
        "addOptions": {
            "monitor": options.monitor,
            "searchForMissingEpisodes": options.search_for_missing,
            "searchForCutoffUnmetEpisodes": options.search_for_cutoff_unmet,
            "ignoreEpisodesWithFiles": False, "ignoreEpisodesWithoutFiles": False,
        },
    }
    if is_v4:
        if monitor_new_items:
            body["monitorNewItems"] = monitor_new_items
    else:
        body["languageProfileId"] = options.language_profile_id
    return body


def import_batch(http: HttpClient, headers: Mapping[str, str],
                 bodies: Sequence[Mapping[str, Any]]) -> ImportAnswer:
    """One POST of up to a batch; UpstreamError for auth, transport and server errors."""
    path = f"{API_PREFIX}/series/import"
    response = http.request("POST", path, json=list(bodies), headers=dict(headers),
                            ok=(200, 201, 202, 400, 404, 405))
    if response.status_code in (404, 405):
        raise UnsupportedError("series/import is not supported by this server",
                               upstream="sonarr", method="POST", url=http.url(path),
                               status=response.status_code)
    if response.status_code == 400:
        # the key as sent, whether or not this HttpClient was configured with it
        scrub = http.scrubber.merged(Scrubber.for_config(http.config.secret_names,
                                                         headers=headers)).text
        outcome, message = wire.classify_rejection(response.text, scrub)
        return ImportAnswer({}, True, outcome, message, _blamed(response.text, scrub),
                            _in_use(response.text))
    try:
        data = decode_json(response)
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise TransientError("Sonarr accepted the import but its answer was unreadable",
                             upstream="sonarr", method="POST", url=http.url(path),
                             status=response.status_code)
    return ImportAnswer(wire.library_ids(data))


def _blamed(raw: str, scrub: wire.Scrub) -> dict[int, tuple[AddOutcome, str]]:
    """Each series a 400's failures name as their attempted value (the TvdbId validators),
    with its own failures classified."""
    try:
        body = json.loads(raw)
    except ValueError:
        return {}
    failures: dict[int, list[dict]] = {}
    for failure in body if isinstance(body, list) else []:
        if (isinstance(failure, dict)
                and str(failure.get("propertyName")).rsplit(".", 1)[-1] == "TvdbId"
                and type(failure.get("attemptedValue")) is int):
            failures.setdefault(failure["attemptedValue"], []).append(failure)
    return {tvdb: wire.classify_rejection(json.dumps(own), scrub)
            for tvdb, own in failures.items()}


def _in_use(raw: str) -> bool:
    return any(code in raw for code in ("SeriesPathValidator", "SeriesTitleSlugValidator"))


def exclusions_paged(http: HttpClient, headers: Mapping[str, str]) -> frozenset[int]:
    """v4's paged exclusions. Offset paging is not a snapshot: a record removed from an early
    page while a later one is read shifts a record past the reader, which would then add a
    series the operator excluded. One page is one answer; several are read again until two
    whole reads agree (or the run stops as transient rather than trust a torn list)."""
    previous: frozenset[tuple[str, int]] | None = None
    for _ in range(EXCLUSION_READS):
        records, pages = _exclusion_pages(http, headers)
        if pages == 1 or records == previous:
            return frozenset(tvdb for _, tvdb in records if tvdb)
        previous = records
    raise TransientError("import-list exclusions kept changing while they were read",
                         upstream="sonarr", method="GET",
                         url=http.url(f"{API_PREFIX}/importlistexclusion/paged"))


def _exclusion_pages(http: HttpClient, headers: Mapping[str, str]
                     ) -> tuple[frozenset[tuple[str, int]], int]:
    """Every page once: the records read as (id, tvdbId or 0), and the number of pages."""
    found: set[tuple[str, int]] = set()
    page = 1
    while True:
        data = http.get_json(f"{API_PREFIX}/importlistexclusion/paged", headers=dict(headers),
                             params={"page": page, "pageSize": EXCLUSION_PAGE,
                                     "sortKey": "id", "sortDirection": "ascending"})
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            raise InvalidError("importlistexclusion/paged: expected a page object",
                               upstream="sonarr", method="GET",
                               url=http.url(f"{API_PREFIX}/importlistexclusion/paged"))
        found |= {(str(r.get("id")), min(wire.exclusion_ids([r]), default=0))
                  for r in data["records"] if isinstance(r, dict)}
        total = data.get("totalRecords")
        if (not data["records"] or not isinstance(total, int)
                or page * EXCLUSION_PAGE >= total):
            return frozenset(found), page
        page += 1
