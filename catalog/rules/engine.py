"""Discovery rules as pure functions: does a show pass, why not, and what it becomes.

A rule's filters are **selections** plus **global excludes**: a show passes when it matches no
exclude and every criterion of at least one selection; no selection admits everything. A
failure is reported as the first failing reason, machine-readable (``genre:Reality``,
``language:Japanese``, ``runtime<20``, ``ended``, ``premiered<2010-01-01``,
``exclude:network:CBS``). Nothing here touches the database or the network, so re-deciding a
whole catalog costs only the reads of the stored facts.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

LIST_CRITERIA = ("genres_any", "genres_none", "types", "countries", "languages", "statuses",
                 "networks_any", "networks_none")
RANGE_CRITERIA = ("premiered_from", "premiered_before", "runtime_min", "runtime_max",
                  "rating_min")
CRITERIA = LIST_CRITERIA + RANGE_CRITERIA
EXCLUDES = ("genres", "types", "countries", "languages", "statuses", "networks")
MAX_SELECTIONS = 20  # per rule, in the API and the admin alike
_EXCLUDE_REASON = {"genres": "genre", "types": "type", "countries": "country",
                   "languages": "language", "statuses": "status", "networks": "network"}

# Decision statuses, as strings so that this module stays free of models.
PENDING, AWAITING, FILTERED, PENDING_TVDB = "pending", "awaiting_approval", "filtered", \
    "pending_tvdb"
FAILED, NO_TVDB = "failed", "no_tvdb"
EXCLUDED = "sonarr_exclusion"  # skipped: the Sonarr server excludes the series
FINAL = frozenset({"added", "exists", "skipped", "declined"})
SENDING = "sending"  # claimed by a push: only that push writes it until it settles
UNTOUCHABLE = FINAL | {SENDING}  # what a re-evaluation never moves


@dataclass(frozen=True, slots=True)
class ShowFacts:
    """What the catalog stores about a show, as far as rules look at it."""

    tvdb_id: int | None = None
    language: str = ""
    country: str = ""
    type: str = ""
    status: str = ""
    premiered: date | None = None
    network: str = ""
    web_channel: str = ""
    genres: tuple[str, ...] = ()
    runtime: int | None = None
    rating: float | None = None


@dataclass(frozen=True, slots=True)
class Criteria:
    """One selection; an empty criterion admits everything."""

    genres_any: frozenset[str] = frozenset()
    genres_none: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    networks_any: frozenset[str] = frozenset()  # folded (see fold)
    networks_none: frozenset[str] = frozenset()  # folded
    premiered_from: date | None = None
    premiered_before: date | None = None
    runtime_min: int | None = None
    runtime_max: int | None = None
    rating_min: float | None = None


@dataclass(frozen=True, slots=True)
class Excludes:
    genres: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    statuses: frozenset[str] = frozenset()
    networks: frozenset[str] = frozenset()  # folded


@dataclass(frozen=True, slots=True)
class RuleFilters:
    selections: tuple[Criteria, ...] = ()
    excludes: Excludes = Excludes()


# ---- building and hashing ------------------------------------------------------------------

def filters_from_spec(spec: Mapping[str, Any]) -> RuleFilters:
    """``{"selections": [{criterion: value}], "excludes": {name: [values]}}`` -> RuleFilters."""
    selections = tuple(_criteria(s) for s in spec.get("selections") or ())
    raw = spec.get("excludes") or {}
    excludes = Excludes(**{name: _set(raw.get(name), lower=name == "networks")
                           for name in EXCLUDES})
    return RuleFilters(selections, excludes)


def _criteria(raw: Mapping[str, Any]) -> Criteria:
    values: dict[str, Any] = {name: _set(raw.get(name), lower=name.startswith("networks"))
                              for name in LIST_CRITERIA}
    for name in ("premiered_from", "premiered_before"):
        values[name] = _date(raw.get(name))
    for name in ("runtime_min", "runtime_max"):
        values[name] = None if raw.get(name) is None else int(raw[name])
    values["rating_min"] = None if raw.get("rating_min") is None else float(raw["rating_min"])
    return Criteria(**values)


def _set(values: Iterable[str] | None, *, lower: bool = False) -> frozenset[str]:
    return frozenset((fold(v) if lower else v) for v in values or () if v)


def fold(text: str) -> str:
    """A network name as compared: one Unicode form (a decomposed "é" typed on some
    keyboards is TVMaze's composed one) and case-folded ("STRASSE" is "Straße")."""
    return unicodedata.normalize("NFKC", text).casefold()


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def spec_canonical(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with sorted lists and ISO dates: equal filters, equal text."""
    filters = filters_from_spec(spec)
    return {"selections": [_canon(s, CRITERIA) for s in filters.selections],
            "excludes": _canon(filters.excludes, EXCLUDES)}


def _canon(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def filters_hash(spec: Mapping[str, Any]) -> str:
    """A digest of what the filters admit; add options do not count."""
    text = json.dumps(spec_canonical(spec), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


_NO_EXCLUDES = Excludes()


# ---- evaluating ----------------------------------------------------------------------------

def evaluate(facts: ShowFacts, filters: RuleFilters) -> str | None:
    """None when the show passes, else its first failing reason."""
    reason = _excluded(facts, filters.excludes)
    if reason:
        return reason
    first: str | None = None
    for selection in filters.selections:
        reason = _first_failure(facts, selection)
        if reason is None:
            return None
        first = first or reason
    return first


def _excluded(facts: ShowFacts, ex: Excludes) -> str | None:
    if ex == _NO_EXCLUDES:
        return None
    if ex.genres:
        hit = next((g for g in facts.genres if g in ex.genres), None)
        if hit:
            return f"exclude:genre:{hit}"
    for name, value in (("types", facts.type), ("countries", facts.country),
                        ("languages", facts.language), ("statuses", facts.status)):
        if value and value in getattr(ex, name):
            return f"exclude:{_EXCLUDE_REASON[name]}:{value}"
    if ex.networks:
        hit = next((n for n in (facts.network, facts.web_channel)
                    if n and fold(n) in ex.networks), None)
        if hit:
            return f"exclude:network:{hit}"
    return None


def _first_failure(facts: ShowFacts, c: Criteria) -> str | None:
    if c.genres_any and not c.genres_any.intersection(facts.genres):
        return f"genre:{facts.genres[0] if facts.genres else 'none'}"
    if c.genres_none:
        hit = next((g for g in facts.genres if g in c.genres_none), None)
        if hit:
            return f"genre:{hit}"
    if c.types and facts.type not in c.types:
        return f"type:{facts.type or 'none'}"
    if c.countries and facts.country not in c.countries:
        return f"country:{facts.country or 'none'}"
    if c.languages and facts.language not in c.languages:
        return f"language:{facts.language or 'none'}"
    if c.statuses and facts.status not in c.statuses:
        return _status_reason(facts.status)
    reason = _dates(facts.premiered, c) or _runtime(facts.runtime, c)
    if reason:
        return reason
    networks = {fold(n) for n in (facts.network, facts.web_channel) if n}
    if c.networks_any and not networks & c.networks_any:
        return f"network:{facts.network or facts.web_channel or 'none'}"
    if c.networks_none:
        hit = next((n for n in (facts.network, facts.web_channel)
                    if n and fold(n) in c.networks_none), None)
        if hit:
            return f"network:{hit}"
    if c.rating_min is not None and (facts.rating is None or facts.rating < c.rating_min):
        return "rating:none" if facts.rating is None else f"rating<{c.rating_min:g}"
    return None


def _status_reason(status: str) -> str:
    """``ended``, ``running``, ``to_be_determined``…; ``status:none`` when unknown."""
    return status.lower().replace(" ", "_") if status else "status:none"


def _dates(premiered: date | None, c: Criteria) -> str | None:
    if c.premiered_from is None and c.premiered_before is None:
        return None
    if premiered is None:
        return "premiered:none"
    if c.premiered_from is not None and premiered < c.premiered_from:
        return f"premiered<{c.premiered_from.isoformat()}"
    if c.premiered_before is not None and premiered >= c.premiered_before:
        return f"premiered>={c.premiered_before.isoformat()}"
    return None


def _runtime(runtime: int | None, c: Criteria) -> str | None:
    if c.runtime_min is None and c.runtime_max is None:
        return None
    if runtime is None:
        return "runtime:none"
    if c.runtime_min is not None and runtime < c.runtime_min:
        return f"runtime<{c.runtime_min}"
    if c.runtime_max is not None and runtime > c.runtime_max:
        return f"runtime>{c.runtime_max}"
    return None


def decision_next(*, current: str | None, current_reason: str, verdict: str | None,
                  has_tvdb: bool, requires_approval: bool, approved: bool,
                  tvdb_corrected: bool = False) -> tuple[str, str] | None:
    """(status, reason) a decision moves to after an evaluation, or None to leave it as it is.

    ``added``, ``exists``, ``skipped`` and ``declined`` are never touched. A failed add stays
    failed while the show still passes (its retry clock runs), except one given up for want
    of a TVDB id, which is retried once the id is there. A ``pending_tvdb`` with a reason is
    one Sonarr's lookup did not know: it waits for its retry time (SONARR_RETRY_DELAY) and
    keeps counting towards SONARR_ABANDON_AFTER whatever TVMaze changes meanwhile, unless the
    show's TVDB id is no longer the one Sonarr refused (``tvdb_corrected``): then it is tried
    at once. A decision a push has claimed (``sending``) is the push's to settle. An
    approval is remembered, so a re-evaluation never asks again.
    """
    if current in UNTOUCHABLE:
        return None
    if (current == PENDING_TVDB and current_reason and has_tvdb and verdict is None
            and not tvdb_corrected):
        return None  # Sonarr's lookup did not know the id: its retry clock decides, not edits
    if verdict is not None:
        target = (FILTERED, verdict)
    elif not has_tvdb:
        target = (PENDING_TVDB, "")
    elif requires_approval and not approved:
        target = (AWAITING, "")
    elif current == FAILED and current_reason != NO_TVDB:
        return None
    else:
        target = (PENDING, current_reason if current == PENDING else "")
    return None if target == (current, current_reason) else target
