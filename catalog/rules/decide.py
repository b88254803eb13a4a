"""Re-decide shows against rules from the stored facts alone: bulk reads, one bulk write.

Used by the page writer's hook (a page of changed shows against every enabled rule) and by
the refilter run (every show against one rule, chunk by chunk). No upstream request is ever
made here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import orjson
from django.db import connection
from django.db.models import Prefetch
from django.utils import timezone

from catalog.db.bulk import page_rows_per_statement, upsert
from catalog.models import Decision, DiscoveryRule, RuleSelection, Show
from catalog.rules import criteria, engine

FACT_FIELDS = ("id", "tvdb_id", "language", "country", "type", "status", "premiered",
               "network", "web_channel", "genres", "runtime", "rating")
COLUMNS = ["show_id", "rule_id", "status", "reason"]
UPDATE = ["status", "reason", "status_changed_at", "attempts", "next_attempt_at", "updated_at"]
SETTLED = sorted(engine.UNTOUCHABLE)
IN_LIMIT = 900  # ids per IN list: under every SQLite build's bound-parameter limit


@dataclass(frozen=True, slots=True)
class RuleView:
    """What evaluation needs of a rule, read once."""

    id: int
    filters: engine.RuleFilters
    requires_approval: bool
    hash: str


def rule_spec(rule: DiscoveryRule) -> dict[str, Any]:
    """The rule's filters as plain data for the engine (uses prefetched selections)."""
    rows = sorted(rule.selections.all(), key=lambda s: (s.position, s.pk or 0))
    selections = [{name: getattr(s, name) for name in engine.CRITERION_NAMES} for s in rows]
    excludes = {name: list(getattr(rule, f"exclude_{name}")) for name in engine.EXCLUDE_NAMES}
    return {"selections": selections, "excludes": excludes}


def rule_view(rule: DiscoveryRule) -> RuleView:
    spec = rule_spec(rule)
    return RuleView(rule.pk, engine.filters_from_spec(spec), rule.requires_approval,
                    engine.filters_hash(spec))


def enabled_rule_views() -> list[RuleView]:
    """Every enabled rule with its selections: two queries."""
    qs = DiscoveryRule.objects.filter(enabled=True).prefetch_related(
        Prefetch("selections", queryset=RuleSelection.objects.order_by("position", "id")))
    return [rule_view(rule) for rule in qs]


def any_rule_enabled() -> bool:
    """Whether any rule is enabled: one raw statement, as the page writer asks on every page
    and most catalogs being mirrored have no rule yet."""
    table = connection.ops.quote_name(DiscoveryRule._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE enabled = %s LIMIT 1", [True])  # noqa: S608
        return cursor.fetchone() is not None


class ColumnDecoder:
    """Raw column values to Python: dates and genre lists repeat a lot, so each distinct
    text is decoded once (SQLite hands back text; PostgreSQL already decoded values)."""

    def __init__(self) -> None:
        self._dates: dict[Any, date | None] = {None: None}
        self._genres: dict[Any, tuple[str, ...]] = {None: ()}

    def date(self, value: Any) -> date | None:
        if isinstance(value, date) or value is None:
            return value
        found = self._dates.get(value)
        if found is None:
            found = self._dates[value] = date.fromisoformat(str(value)[:10])
        return found

    def genres(self, value: Any) -> tuple[str, ...]:
        if isinstance(value, list):
            return tuple(value)
        found = self._genres.get(value)
        if found is None:
            decoded = orjson.loads(value)
            found = self._genres[value] = tuple(decoded) if isinstance(decoded, list) else ()
        return found


def row_facts(row: Sequence[Any], decoder: ColumnDecoder | None = None) -> engine.ShowFacts:
    decoder = decoder or ColumnDecoder()
    (_, tvdb_id, language, country, type_, status, premiered, network, web, genres, runtime,
     rating) = row
    return engine.ShowFacts(tvdb_id, language or "", country or "", type_ or "", status or "",
                           decoder.date(premiered), network or "", web or "",
                           decoder.genres(genres), runtime, rating)


def _facts_sql(where: str) -> str:
    """Rules decide over the TVMaze mirror: a show without TVMaze facts (a placeholder a
    Plex scan created) is left out until TVMaze claims it. Dates and genres come as text on
    every database, so a row is hashable and ``ColumnDecoder`` decodes each text once."""
    qn = connection.ops.quote_name
    meta = Show._meta
    columns = [qn(meta.get_field(name).column) for name in FACT_FIELDS]
    for name in ("premiered", "genres"):  # as text: hashable, decoded once per distinct value
        at = FACT_FIELDS.index(name)
        columns[at] = f"CAST({columns[at]} AS TEXT)"
    return (f"SELECT {', '.join(columns)} FROM {qn(meta.db_table)} "  # noqa: S608
            f"WHERE tvmaze_id IS NOT NULL AND {where}")


def facts_by_ids(show_ids: Collection[int]) -> list[tuple]:
    """Raw fact rows of these shows (one statement; no per-row ORM conversion)."""
    ids = sorted({int(i) for i in show_ids})  # an id listed twice would be written twice
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for at in range(0, len(ids), IN_LIMIT):
            part = ids[at:at + IN_LIMIT]
            cursor.execute(_facts_sql(f"id IN ({', '.join(['%s'] * len(part))})"), part)
            rows += cursor.fetchall()
    return rows


def _current(views: list[RuleView], ids: list[int], span: tuple[int, int] | None
             ) -> dict[tuple[int, int], tuple[str, str, bool, int | None]]:
    """Existing decisions of these shows for these rules, (status, reason, unapproved, the
    TVDB id Sonarr refused). Each lookup probes the (rule, show) unique index whatever the
    planner knows: a bulk-loaded table has no statistics, and PostgreSQL then read every
    decision of the rule through the (rule, status) index for each page of shows."""
    qn = connection.ops.quote_name
    rule_ids = [v.id for v in views]
    head = (f"SELECT show_id, rule_id, status, reason, approved_at IS NULL, "  # noqa: S608
            f"refused_tvdb_id FROM {qn(Decision._meta.db_table)} WHERE ")
    rules_in = f"rule_id IN ({', '.join(['%s'] * len(rule_ids))})"
    if span is not None:  # a chunk of every show in an id range: one range of the index
        queries = [(head + rules_in + " AND show_id >= %s AND show_id <= %s",
                    [*rule_ids, *span])]
    elif connection.vendor == "postgresql":  # each (rule, show) pair as one index probe
        # One statement per rule: a cross join of several rules with the shows was planned
        # as a hash join over a scan of every decision when the table had no statistics.
        pairs = "(SELECT %s::bigint, unnest(%s::bigint[]))"
        queries = [(f"{head}(rule_id, show_id) IN {pairs}", [rule_id, ids])
                   for rule_id in rule_ids]
    else:
        parts = [ids[at:at + IN_LIMIT] for at in range(0, len(ids), IN_LIMIT)]
        queries = [(head + rules_in + f" AND show_id IN ({', '.join(['%s'] * len(p))})",
                    [*rule_ids, *p]) for p in parts]
    found: dict[tuple[int, int], tuple[str, str, bool, int | None]] = {}
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            found.update({(s, r): (status, reason, bool(flag), refused)
                          for s, r, status, reason, flag, refused in cursor.fetchall()})
    return found


def _still_there(views: list[RuleView]) -> list[RuleView]:
    """The views whose rule still exists, each kept from deletion until this transaction ends
    (the lock the decisions' foreign key would take; a delete locks the rule first, see
    ``rules_delete``): a rule deleted meanwhile is left out rather than written for, which
    failed the transaction at its end."""
    qn = connection.ops.quote_name
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {qn(DiscoveryRule._meta.db_table)} "  # noqa: S608
                       f"WHERE id IN ({', '.join(['%s'] * len(views))}){lock}",
                       [v.id for v in views])
        there = {row[0] for row in cursor.fetchall()}
    return [v for v in views if v.id in there]


def decide_rows(show_rows: Iterable[Sequence[Any]], views: list[RuleView], *, now: datetime,
                span: tuple[int, int] | None = None) -> tuple[int, int]:
    """Evaluate the shows against the rules and write what changed; (evaluated, changed).
    Rules deleted meanwhile are left out (``_still_there``): none evaluated for rows given
    means every rule is gone.

    ``span``: the rows are every show with an id in this inclusive range (a chunk)."""
    rows = list(show_rows)
    views = _still_there(views) if rows and views else []
    if not views:
        return 0, 0
    current = _current(views, [row[0] for row in rows], span)
    decoder = ColumnDecoder()
    new: list[tuple] = []
    moves: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for view in views:
        verdict = _verdicts(view.filters, decoder)
        for row in rows:
            sid, tvdb_id = row[0], row[1]
            known = current.get((sid, view.id))
            status, reason, unapproved, refused = known or (None, "", True, None)
            target = engine.decision_next(
                current=status, current_reason=reason, verdict=verdict(row),
                has_tvdb=bool(tvdb_id), requires_approval=view.requires_approval,
                approved=not unapproved,
                tvdb_corrected=refused is not None and refused != tvdb_id)
            if target is None:
                continue
            if known is None:
                new.append((sid, view.id, *target))
            else:
                moves[(view.id, *target)].append(sid)
    _write(new, moves, now, span)
    return len(rows) * len(views), len(new) + sum(len(ids) for ids in moves.values())


def facts_read(*filters: engine.RuleFilters) -> list[str]:
    """The fact columns these filters look at, in FACT_FIELDS order."""
    used: set[str] = set()
    for f in filters:
        for c in f.selections:
            for row in criteria.CRITERIA:
                if getattr(c, row.name) not in (None, frozenset()):
                    used.update(row.reads)
        for row in criteria.EXCLUDES:
            if getattr(f.excludes, row.name):
                used.update(row.reads)
    return [name for name in FACT_FIELDS if name in used]


def _verdicts(filters: engine.RuleFilters, decoder: ColumnDecoder
              ) -> Callable[[Sequence[Any]], str | None]:
    """``evaluate`` of a raw fact row, once per distinct combination of the facts the filters
    read: a chunk of shows shares a few hundred such combinations, so most rows cost a dict
    lookup instead of building their facts and running every criterion."""
    at = [FACT_FIELDS.index(name) for name in facts_read(filters)]
    key: Callable[[Sequence[Any]], Any] = itemgetter(*at) if at else (lambda row: ())
    seen: dict[Any, str | None] = {}

    def verdict(row: Sequence[Any]) -> str | None:
        k = key(row)
        try:
            return seen[k]
        except KeyError:
            found = seen[k] = engine.evaluate(row_facts(row, decoder), filters)
            return found

    return verdict


def _write(new: list[tuple], moves: dict[tuple[int, str, str], list[int]], now: datetime,
           span: tuple[int, int] | None) -> None:
    """New decisions in multi-row inserts (an upsert, in case a concurrent writer got there
    first); changed ones as one UPDATE per (rule, status, reason): reasons repeat, so a few
    hundred statements move a hundred thousand rows. Settled rows are never touched. Each
    UPDATE finds its rows through the (rule, show) index, as ``_current`` does."""
    constants = {"decided_at": now, "updated_at": now, "status_changed_at": now,
                 "attempts": 0, "next_attempt_at": None}
    upsert(Decision, COLUMNS, new, conflict=["show_id", "rule_id"], update=UPDATE,
           constants=constants, keep=("status", SETTLED),
           rows_per_statement=page_rows_per_statement())
    if not moves:
        return
    qn = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(now)
    head = (f"UPDATE {qn(Decision._meta.db_table)} SET status = %s, reason = %s, "  # noqa: S608
            "status_changed_at = %s, updated_at = %s, attempts = 0, next_attempt_at = NULL "
            f"WHERE status NOT IN ({', '.join(['%s'] * len(SETTLED))}) AND ")
    with connection.cursor() as cursor:
        for (rule_id, status, reason), show_ids in moves.items():
            values = [status, reason, stamp, stamp, *SETTLED]
            if connection.vendor == "postgresql" and span is None:
                cursor.execute(head + "(rule_id, show_id) IN (SELECT %s::bigint, "
                               "unnest(%s::bigint[]))", [*values, rule_id, show_ids])
                continue
            bounds = " AND show_id >= %s AND show_id <= %s" if span else ""
            for at in range(0, len(show_ids), IN_LIMIT):
                part = show_ids[at:at + IN_LIMIT]
                cursor.execute(
                    head + f"rule_id = %s{bounds} AND show_id IN "
                    f"({', '.join(['%s'] * len(part))})",
                    [*values, rule_id, *((min(part), max(part)) if span else ()), *part])


def decide_shows(show_ids: Collection[int]) -> int:
    """The page writer's hook: changed shows against every enabled rule; rows changed."""
    if not show_ids or not any_rule_enabled():
        return 0
    views = enabled_rule_views()
    if not views:
        return 0
    return decide_rows(facts_by_ids(show_ids), views, now=timezone.now())[1]


def statistics_refresh() -> None:
    """Statistics of the decisions as they are now, where the planner has any: taken before a
    rule existed (or before a bulk load), they call the rule's decisions rare, and both
    databases then read a chunk's decisions through the rule alone, every decision of the
    rule for each chunk. PostgreSQL samples a fixed number of rows; SQLite, which has
    statistics only if someone ran ANALYZE, reads a bounded number of rows per index."""
    table = connection.ops.quote_name(Decision._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")
            return
        cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("PRAGMA analysis_limit")
            limit = cursor.fetchone()[0]
            cursor.execute("PRAGMA analysis_limit = 1000")
            try:
                cursor.execute(f"ANALYZE {table}")
            finally:  # the setting outlives the statement: leave the connection's own
                cursor.execute(f"PRAGMA analysis_limit = {int(limit)}")


def last_show_id() -> int:
    """The highest show id (0 without shows): where a refilter's chunks end."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Show._meta.db_table)}")  # noqa: S608
        return cursor.fetchone()[0] or 0


def show_range(first: int, last: int, *, limit: int | None = None) -> list[tuple]:
    """The raw facts of the shows with ids ``first``..``last`` (the first ``limit`` of them),
    as one range of the primary key: with ``id > after ORDER BY id LIMIT n`` and no
    statistics, PostgreSQL sorted every later show for each chunk (quadratic in the catalog)."""
    sql, params = _facts_sql("id >= %s AND id <= %s") + " ORDER BY id", [first, last]
    if limit is not None:
        sql, params = sql + " LIMIT %s", [*params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
