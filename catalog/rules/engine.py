"""Discovery rules as pure functions: does a show pass, why not, and what it becomes.

A rule's filters are **selections** plus **global excludes**: a show passes when it matches no
exclude and every criterion of at least one selection; no selection admits everything. A
failure is reported as the first failing reason, machine-readable (``genre:Reality``,
``language:Japanese``, ``runtime<20``, ``ended``, ``premiered<2010-01-01``,
``exclude:network:CBS``). Every criterion, how it is parsed and how it is tested come from
the one table in ``catalog.rules.criteria``. Nothing here touches the database or the
network, so re-deciding a whole catalog costs only the reads of the stored facts.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, make_dataclass
from datetime import date
from typing import Any

from catalog.rules import criteria as table
from catalog.rules.criteria import Criterion, Exclude, Shape, Test

LIST_CRITERIA = table.LIST_NAMES
RANGE_CRITERIA = table.RANGE_NAMES
CRITERION_NAMES = table.NAMES
EXCLUDE_NAMES = table.EXCLUDE_NAMES
MAX_SELECTIONS = 20  # per rule, in the API and the admin alike

# Decision statuses, as strings so that this module stays free of models.
PENDING, AWAITING, FILTERED, PENDING_TVDB = "pending", "awaiting_approval", "filtered", \
    "pending_tvdb"
FAILED, NO_TVDB = "failed", "no_tvdb"
EXCLUDED = "sonarr_exclusion"  # skipped: the Sonarr server excludes the series
REMOVED = "removed_in_sonarr"  # deleted in Sonarr: only an operator's approval moves it
FINAL = frozenset({"added", "exists", "skipped", "declined", REMOVED})
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


_VALUE_TYPES = {Shape.LIST: frozenset, Shape.DATE: date, Shape.INT: int, Shape.FLOAT: float}


def _activator(rows: Mapping[str, Any]) -> Callable[[Any], None]:
    """A ``__post_init__`` keeping the set fields with their row and test (None for an
    exclude), so that evaluation skips the empty ones."""
    def post_init(self: Any) -> None:
        checks = tuple((_TESTS.get(getattr(row, "test", None)), row, value)
                       for name, row in rows.items()
                       if (value := getattr(self, name)) not in (None, frozenset()))
        object.__setattr__(self, "checks", checks)
    return post_init


def _record(name: str, rows: Mapping[str, Any], doc: str) -> type:
    """A frozen value with one field per row of the table (an empty one admits everything)."""
    fields = [(row.name, _VALUE_TYPES[getattr(row, "shape", Shape.LIST)],
               field(default=frozenset() if getattr(row, "shape", Shape.LIST) is Shape.LIST
                     else None))
              for row in rows.values()]
    fields.append(("checks", tuple, field(default=(), init=False, repr=False, compare=False)))
    return make_dataclass(name, fields, frozen=True, slots=True, namespace={
        "__doc__": doc, "__module__": __name__, "__post_init__": _activator(rows)})


Criteria = _record("Criteria", table.BY_NAME,
                   "One selection, a field per criterion; network names are folded.")
Excludes = _record("Excludes", table.EXCLUDE_BY_NAME,
                   "The global excludes, a field per exclude; network names are folded.")
_NO_EXCLUDES = Excludes()


@dataclass(frozen=True, slots=True)
class RuleFilters:
    selections: tuple[Criteria, ...] = ()
    excludes: Excludes = _NO_EXCLUDES


# ---- building and hashing ------------------------------------------------------------------

def filters_from_spec(spec: Mapping[str, Any]) -> RuleFilters:
    """``{"selections": [{criterion: value}], "excludes": {name: [values]}}`` -> RuleFilters."""
    selections = tuple(_criteria(s) for s in spec.get("selections") or ())
    raw = spec.get("excludes") or {}
    excludes = Excludes(**{e.name: _set(raw.get(e.name), lower=e.folded)
                           for e in table.EXCLUDES})
    return RuleFilters(selections, excludes)


def _criteria(raw: Mapping[str, Any]) -> Criteria:
    return Criteria(**{c.name: _PARSE[c.shape](raw.get(c.name), c) for c in table.CRITERIA})


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


_PARSE: dict[Shape, Callable[[Any, Criterion], Any]] = {
    Shape.LIST: lambda value, c: _set(value, lower=c.folded),
    Shape.DATE: lambda value, c: _date(value),
    Shape.INT: lambda value, c: None if value is None else int(value),
    Shape.FLOAT: lambda value, c: None if value is None else float(value),
}


def spec_canonical(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with sorted lists and ISO dates: equal filters, equal text."""
    filters = filters_from_spec(spec)
    return {"selections": [_canon(s, CRITERION_NAMES) for s in filters.selections],
            "excludes": _canon(filters.excludes, EXCLUDE_NAMES)}


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
    for _, row, value in ex.checks:
        hit = _hit(_names(facts, row), value, row.folded)
        if hit:
            return f"exclude:{row.label}:{hit}"
    return None


def _first_failure(facts: ShowFacts, c: Criteria) -> str | None:
    for test, row, value in c.checks:
        reason = test(facts, row, value)
        if reason is not None:
            return reason
    return None


# ---- one test per kind of criterion (criteria.Test) -----------------------------------------

def _names(facts: ShowFacts, row: Criterion | Exclude) -> tuple[str, ...]:
    """The show's non-empty names among the facts the row reads (genres, both channels).
    Called for every show and every row of a refilter: the one-fact case stays cheap."""
    reads = row.reads
    if len(reads) == 1:
        value = getattr(facts, reads[0])
        if type(value) is tuple:
            return value if all(value) else tuple(filter(None, value))
        return (value,) if value else ()
    out: list[str] = []
    for name in reads:
        value = getattr(facts, name)
        out.extend(value if type(value) is tuple else (value,))
    return tuple(filter(None, out))


def _hit(names: tuple[str, ...], values: frozenset[str], folded: bool) -> str | None:
    for name in names:
        if (fold(name) if folded else name) in values:
            return name
    return None


def _any(facts: ShowFacts, c: Criterion, values: frozenset[str]) -> str | None:
    names = _names(facts, c)
    if _hit(names, values, c.folded) is None:
        return f"{c.label}:{names[0] if names else 'none'}"
    return None


def _none(facts: ShowFacts, c: Criterion, values: frozenset[str]) -> str | None:
    hit = _hit(_names(facts, c), values, c.folded)
    return None if hit is None else f"{c.label}:{hit}"


def _in(facts: ShowFacts, c: Criterion, values: frozenset[str]) -> str | None:
    value = getattr(facts, c.reads[0])
    if value in values:
        return None
    if c.bare and value:  # ``ended``, ``running``, ``to_be_determined``…
        return value.lower().replace(" ", "_")
    return f"{c.label}:{value or 'none'}"


def _bound(test: Callable[[Any, Any], bool], sign: str) -> Callable[..., str | None]:
    def check(facts: ShowFacts, c: Criterion, bound: Any) -> str | None:
        value = getattr(facts, c.reads[0])
        if value is None:
            return f"{c.label}:none"
        if test(value, bound):
            return None
        shown = bound.isoformat() if isinstance(bound, date) else \
            f"{bound:g}" if isinstance(bound, float) else str(bound)
        return f"{c.label}{sign}{shown}"
    return check


_TESTS: dict[Test, Callable[..., str | None]] = {
    Test.ANY: _any, Test.NONE: _none, Test.IN: _in,
    Test.FROM: _bound(lambda v, b: v >= b, "<"), Test.BEFORE: _bound(lambda v, b: v < b, ">="),
    Test.MIN: _bound(lambda v, b: v >= b, "<"), Test.MAX: _bound(lambda v, b: v <= b, ">"),
}


def decision_next(*, current: str | None, current_reason: str, verdict: str | None,
                  has_tvdb: bool, requires_approval: bool, approved: bool,
                  tvdb_corrected: bool = False) -> tuple[str, str] | None:
    """(status, reason) a decision moves to after an evaluation, or None to leave it as it is.

    ``added``, ``exists``, ``skipped``, ``declined`` and ``removed_in_sonarr`` (deleted in
    Sonarr by someone: only an operator's approval sends it again) are never touched. A
    failed add stays failed while the show still passes (its retry clock runs), except one
    given up for want of a TVDB id, which is retried once the id is there. A
    ``pending_tvdb`` with a reason is one Sonarr's lookup did not know: it waits for its
    retry time (SONARR_RETRY_DELAY) and keeps counting towards SONARR_ABANDON_AFTER whatever
    TVMaze changes meanwhile, unless the show's TVDB id is no longer the one Sonarr refused
    (``tvdb_corrected``): then it is tried at once. A decision a push has claimed
    (``sending``) is the push's to settle. An approval is remembered, so a re-evaluation
    never asks again.
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
