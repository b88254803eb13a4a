"""The fake Sonarr's bulk endpoints: ``series/import`` and the import-list exclusions.

``series/import`` follows AddSeriesService.AddSeries(list) as API_NOTES describes it: every
series is validated first (SkyHook must know the TVDB id; quality and, on v3, language
profiles must exist; the path must be valid; its path and title slug must be free), and any
failure rejects the whole batch with a 400 listing every series' failures. A series already
in the library fails there on its own slug and path. Duplicates inside the batch are skipped
silently, and the answer lists only the series actually added. Exclusions: the unpaged list
(deprecated on v4, ``Deprecation: true``) and v4's paged endpoint ``{page, pageSize, sortKey,
sortDirection, totalRecords, records}``.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.sonarr import data, rules

if TYPE_CHECKING:
    from integrations.fakes.sonarr.server import SonarrFake


def series_import(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    if not fake.supports_import:
        return fake._not_found(request.path)
    bodies = rules.body_of(request)
    if not isinstance(bodies, list) or not all(isinstance(b, dict) for b in bodies):
        return fake._json({"message": "Request body must be a list of series"}, 400)
    fake.added.extend(copy.deepcopy(bodies))
    fake.import_batches.append(len(bodies))
    if fake._skyhook_down and bodies:
        from integrations.fakes.sonarr.server import SKYHOOK_DOWN

        return fake._json(SKYHOOK_DOWN, 503)
    failures = [f for body in bodies for f in _failures(fake, body)]
    if failures:  # every series is validated first; the 400 lists each one's failures
        return fake._json(failures, 400)
    accepted: list[tuple[dict[str, Any], data.Entry]] = []
    for body in bodies:
        entry = fake._catalog[rules.as_int(body.get("tvdbId"))]
        if all(e.tvdb_id != entry.tvdb_id and e.slug != entry.slug for _, e in accepted):
            accepted.append((body, entry))
    return fake._json([fake.create_series(body, entry) for body, entry in accepted])


def _failures(fake: SonarrFake, body: dict[str, Any]) -> list[dict[str, Any]]:
    tvdb_id = rules.as_int(body.get("tvdbId"))
    entry = fake._catalog.get(tvdb_id)
    if entry is None:
        return [rules.not_found_failure(tvdb_id, body.get("path"))]
    found: list[dict[str, Any]] = []
    quality = rules.as_int(body.get("qualityProfileId"))
    if quality not in {q["id"] for q in fake._quality}:
        found.append(rules.failure("QualityProfileId", "Quality Profile does not exist",
                                   quality, "QualityProfileExistsValidator"))
    if not fake.is_v4:
        language = rules.as_int(body.get("languageProfileId"))
        if language not in {lp["id"] for lp in fake._languages}:
            found.append(rules.failure("LanguageProfileId", "Language Profile does not exist",
                                       language, "LanguageProfileExistsValidator"))
    found += rules.path_failures(body, v4=fake.is_v4,
                                 root_paths={r["path"].rstrip("/") for r in fake._roots})
    found += fake._library.clashes(entry, body)
    return found


def exclusion_list(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    headers = {"Deprecation": "true"} if fake.is_v4 else None
    return fake._json(fake._exclusions, headers=headers)


def exclusion_paged(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    if not fake.is_v4:
        return fake._not_found(request.path)
    page = max(1, rules.as_int(request.arg("page") or 1))
    size = max(1, rules.as_int(request.arg("pageSize") or 10))
    ordered = sorted(fake._exclusions, key=lambda e: e["id"])
    if (request.arg("sortDirection") or "").lower() == "descending":
        ordered.reverse()
    records = ordered[(page - 1) * size: page * size]
    return fake._json({"page": page, "pageSize": size, "sortKey": request.arg("sortKey") or "id",
                       "sortDirection": request.arg("sortDirection") or "ascending",
                       "totalRecords": len(ordered), "records": records})


def exclusion_post(fake: SonarrFake, request: FakeRequest, route: str) -> FakeResponse:
    body = rules.body_of(request)
    if not isinstance(body, dict):
        return fake._json({"message": "Request body must be an exclusion"}, 400)
    tvdb_id, title = rules.as_int(body.get("tvdbId")), body.get("title")
    if tvdb_id <= 0 or not title:
        return fake._json([rules.failure("TvdbId" if tvdb_id <= 0 else "Title",
                                         "must be set", tvdb_id or title, "NotEmptyValidator")],
                          400)
    if any(e["tvdbId"] == tvdb_id for e in fake._exclusions):
        return fake._json([rules.failure("TvdbId", "This exclusion has already been added.",
                                         tvdb_id, "ImportListExclusionExistsValidator")], 400)
    item = {"tvdbId": tvdb_id, "title": str(title), "id": len(fake._exclusions) + 1}
    fake._exclusions.append(item)
    return fake._json(item, 201)

