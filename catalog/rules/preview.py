""""What would this rule admit?": the rule engine over the stored show facts, before saving.

Pure evaluation (``catalog.rules.engine``) of every show TVMaze describes, the way a refilter
decides them: zero upstream requests, one grouped query plus one for the samples' titles.
Shows sharing every fact the filters read are evaluated once, weighted by their number.
The stored filters are evaluated in the same pass, so the operator sees what a change adds
and drops.

Grouping 100,000 shows is most of a preview's cost, and an operator trying filters asks for
the same grouping again and again; each process keeps the latest groupings, valid while the
catalog's facts version (renewed when a shows writer commits), the number of shows and the
highest id stay the same, for ``MEMO_SECONDS`` at most.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max

from catalog.models import DiscoveryRule, Show
from catalog.rules import criteria, engine, vocab
from catalog.rules.decide import FACT_FIELDS, ColumnDecoder, facts_read, row_facts, rule_spec

MAX_SPEC_CHARS = 20_000
SAMPLE = 12
TOP_REASONS = 8
CHUNK = 2_000
log = logging.getLogger(__name__)
MEMO_SECONDS = 300
MEMO_SIZE = 8
FACTS_VERSION_KEY = "catalog:facts-version"
Group = tuple[tuple, int, int]  # (fact row, shows sharing it, lowest show id)
_memo: OrderedDict[tuple, tuple[float, list[Group]]] = OrderedDict()


class PreviewError(ValueError):
    """The filters text is not a rule's filters; the message says which part."""


@dataclass
class Preview:
    evaluated: int = 0
    admitted: int = 0
    admitted_now: int = 0
    added: int = 0  # admitted by the change, not by the stored filters
    dropped: int = 0  # admitted by the stored filters, not by the change
    sample: list[tuple[int, str, bool]] = field(default_factory=list)  # (id, title, new?)
    dropped_sample: list[tuple[int, str, str]] = field(default_factory=list)  # (id, title, why)
    reasons: list[tuple[str, int]] = field(default_factory=list)


# The names a preview accepts: the criteria table's, and nothing else (a test holds them equal).
ACCEPTED: tuple[str, ...] = criteria.NAMES
EXCLUDES_ACCEPTED: tuple[str, ...] = criteria.EXCLUDE_NAMES


def spec_parse(text: str, held: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The form's JSON into a spec the engine accepts, checked as a save checks it: unknown
    names, names outside a vocabulary, inverted ranges and bounds are refused with the
    API's own message, so a typo cannot preview as "admits nothing" (or everything).

    ``held`` is the stored spec: a name the rule already holds is previewed as it is even
    when today's vocabulary lacks it (TVMaze renamed a genre; a row written before the
    check), so that a rule's own filters can always be previewed against a change."""
    if len(text) > MAX_SPEC_CHARS:
        raise PreviewError(f"The filters are longer than {MAX_SPEC_CHARS} characters.")
    try:
        spec = json.loads(text)
    except RecursionError:  # "[[[[..." within the length limit still nests past the stack
        raise PreviewError("The filters are nested too deeply.") from None
    except json.JSONDecodeError as exc:
        raise PreviewError(f"The filters are not valid JSON ({exc.msg}, line {exc.lineno}).")\
            from None
    except ValueError as exc:  # a number past int's digit limit: no position to name
        raise PreviewError(f"The filters are not valid JSON ({str(exc)[:120]}).") from None
    if not isinstance(spec, dict) or set(spec) - {"selections", "excludes"}:
        raise PreviewError('Expected {"selections": [...], "excludes": {...}}.')
    selections, excludes = spec.get("selections"), spec.get("excludes")
    selections, excludes = [] if selections is None else selections, \
        {} if excludes is None else excludes
    if not isinstance(selections, list) or not all(isinstance(s, dict) for s in selections):
        raise PreviewError('"selections" must be a list of objects.')
    if not isinstance(excludes, dict):
        raise PreviewError('"excludes" must be an object.')
    for where, names, allowed in [(f"selection {i + 1}", set(s), ACCEPTED)
                                  for i, s in enumerate(selections)] + [
            ("excludes", set(excludes), EXCLUDES_ACCEPTED)]:
        unknown = sorted(names - set(allowed))
        if unknown:
            raise PreviewError(f"Unknown name in {where}: {', '.join(unknown)[:200]}.")
    for where, values in [*(("selection", s) for s in selections), ("excludes", excludes)]:
        for name, value in values.items():
            listed = name in criteria.LIST_NAMES or where == "excludes"
            if listed and value is not None and not (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise PreviewError(f'"{name}" must be a list of names.')
    try:
        filters = engine.filters_from_spec(spec)
    except (ValueError, TypeError, OverflowError) as exc:
        raise PreviewError(f"A value is out of shape: {str(exc)[:200]}.") from None
    kept = _held(held or {})
    return {"selections": [_checked(f"Selection {i + 1}", raw, parsed, kept)
                           for i, (raw, parsed)
                           in enumerate(zip(selections, filters.selections, strict=True))],
            "excludes": _checked("Excludes", excludes, None, kept)}


def _held(spec: Mapping[str, Any]) -> dict[tuple[bool, str], set[str]]:
    """The names each list criterion (any selection) and exclude of the stored spec holds."""
    out: dict[tuple[bool, str], set[str]] = defaultdict(set)
    for selection in spec.get("selections") or ():
        for name in criteria.LIST_NAMES:
            out[(True, name)].update(selection.get(name) or ())
    for name, values in (spec.get("excludes") or {}).items():
        out[(False, name)].update(values or ())
    return out


def _checked(where: str, raw: dict[str, Any], parsed: engine.Criteria | None,
             held: Mapping[tuple[bool, str], set[str]]) -> dict[str, Any]:
    """A selection (``parsed``) or the excludes (None) checked as a save checks them
    (``vocab.selection_check``, ``vocab.excludes_check``): ranges compared as the values
    they are (dates as dates), names the rule holds kept as they are."""
    selection = parsed is not None
    typed = {name: getattr(parsed, name) if name in criteria.RANGE_NAMES else value
             for name, value in raw.items()}
    stored = {name: [v for v in typed[name] if v in held.get((selection, name), ())]
              for name in typed if isinstance(typed[name], list)}
    for name, names in stored.items():
        typed[name] = [v for v in typed[name] if v not in names]
    values, errors = (vocab.selection_check if selection else vocab.excludes_check)(typed)
    if errors:
        name, message = next(iter(errors.items()))
        raise PreviewError(f"{where}, {name}: {message}.")
    return {**values, **{name: [*values[name], *names] for name, names in stored.items()}}


def memo_forget() -> None:
    """Forget this process's groupings (a benchmark's cold start; after a commit every
    process learns it through ``facts_version_renew``)."""
    _memo.clear()


def facts_version_renew(show_ids: object = None) -> None:
    """shows_changed hook: once the writer's transaction commits, every process's memoised
    groupings are stale."""
    transaction.on_commit(_renew)


def _renew() -> None:
    """Best effort: a cache that is down must not fail the sync whose page just committed
    (a memo then lives out its ``MEMO_SECONDS``)."""
    try:
        cache.set(FACTS_VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # any backend's failure
        log.warning("could not renew the catalog's facts version; previews may lag by up "
                    "to %s s", MEMO_SECONDS)


def _facts_version() -> str:
    version = cache.get(FACTS_VERSION_KEY)
    if version is None:  # never set, or evicted: a new one, so no memo outlives either
        cache.add(FACTS_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(FACTS_VERSION_KEY, "")
    return version


def _fact_groups(*filters: engine.RuleFilters) -> list[Group]:
    """The groupings of ``_grouped``, memoised per process (see the module's docstring)."""
    used = facts_read(*filters)
    counted = Show.objects.filter(tvmaze_id__isnull=False).aggregate(
        n=Count("id"), last=Max("id"))
    key = (_facts_version(), counted["n"], counted["last"], *used)
    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and now - hit[0] < MEMO_SECONDS:
        _memo.move_to_end(key)
        return hit[1]
    groups = list(_grouped(used))
    _memo[key] = (now, groups)
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)
    return groups


def _grouped(used: list[str]) -> Iterator[Group]:
    """(fact row, shows sharing it, lowest show id), one per distinct combination of the
    facts in ``used``: the database folds 100,000 shows into the few thousand combinations
    they form, so the engine runs once per combination, not once per show. Facts no filter
    reads are left out of the grouping (and out of the row)."""
    qn = connection.ops.quote_name
    columns = {name: qn(Show._meta.get_field(name).column) for name in FACT_FIELDS}
    select = ", ".join(columns[name] for name in used)
    described = qn(Show._meta.get_field("tvmaze_id").column)
    sql = (f"SELECT {select + ', ' if select else ''}COUNT(*), MIN({columns['id']}) "  # noqa: S608
           f"FROM {qn(Show._meta.db_table)} WHERE {described} IS NOT NULL"
           + (f" GROUP BY {select}" if select else ""))
    with connection.cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(CHUNK):
            for row in rows:
                if not row[-2]:
                    continue  # no show at all (the ungrouped count of an empty catalog)
                values = dict(zip(used, row, strict=False))
                yield (tuple(values.get(name) for name in FACT_FIELDS), row[-2], row[-1])


def rule_preview(rule: DiscoveryRule, text: str) -> Preview:
    """Count what the changed filters admit over every stored show, with a sample of the
    admitted (newly admitted first), a sample of those it would no longer admit and why,
    and the most common reasons the others fail."""
    held = rule_spec(rule)
    changed = engine.filters_from_spec(spec_parse(text, held))
    stored = engine.filters_from_spec(held)
    out, reasons = Preview(), Counter()
    added: list[int] = []
    kept: list[int] = []
    lost: dict[int, str] = {}
    same = changed == stored
    evaluate, decoder = engine.evaluate, ColumnDecoder()
    for row, n, first in _fact_groups(changed, stored):
        facts = row_facts(row, decoder)
        reason = evaluate(facts, changed)
        before = reason is None if same else evaluate(facts, stored) is None
        out.evaluated += n
        out.admitted_now += n if before else 0
        if reason is not None:
            reasons[reason] += n
            if before:
                out.dropped += n
                if len(lost) < SAMPLE:
                    lost[first] = reason
            continue
        out.admitted += n
        if not before:
            out.added += n
            if len(added) < SAMPLE:
                added.append(first)
        elif len(kept) < SAMPLE:
            kept.append(first)
    ids = (added + kept)[:SAMPLE]
    titles = dict(Show.objects.filter(pk__in=[*ids, *lost]).values_list("pk", "title"))
    fresh = set(added)
    out.sample = [(pk, titles.get(pk, "?"), pk in fresh) for pk in ids]
    out.dropped_sample = [(pk, titles.get(pk, "?"), why) for pk, why in lost.items()]
    out.reasons = sorted(reasons.items(), key=lambda r: (-r[1], r[0]))[:TOP_REASONS]
    return out
