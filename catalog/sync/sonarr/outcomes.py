"""What a push decided for each decision it claimed, written back in bulk with the run's
progress, only where the run still holds the claim (rule 11)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction

from catalog.db.bulk import upsert
from catalog.models import Decision, DiscoveryRule, SyncRun
from catalog.rules.decide import decide_rows, facts_by_ids, rule_view
from catalog.runs import run_progress

S = Decision.Status
COLUMNS = ["show_id", "rule_id", "status", "reason", "sonarr_series_id", "attempts",
           "next_attempt_at", "status_changed_at", "refused_tvdb_id"]
UPDATE = ["status", "reason", "sonarr_series_id", "attempts", "next_attempt_at",
          "status_changed_at", "refused_tvdb_id", "claim_run_id", "updated_at"]
# Held rows are ``sending``; this guard only documents that settled rows are never rewritten.
SETTLED = sorted({S.ADDED, S.EXISTS, S.SKIPPED, S.DECLINED, S.REMOVED})
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=24)
FIRST_TITLES = 10
MOVED = "re-evaluating"
T = TypeVar("T")  # the rule moved to another server while the push held it


@dataclass(slots=True)
class Item:
    """One decision the push acts on, as it was when read (or claimed)."""

    id: int
    show_id: int
    rule_id: int
    status: str
    attempts: int
    changed_at: datetime | None
    tvdb_id: int | None
    title: str
    reason: str = ""
    next_at: datetime | None = None
    due: bool = True
    sending: bool = False  # claimed by a run that died before it wrote the outcome


@dataclass(slots=True)
class Tally:
    counts: Counter = field(default_factory=Counter)
    titles: dict[str, list[str]] = field(default_factory=dict)

    def add(self, key: str, title: str) -> None:
        self.counts[key] += 1
        bucket = self.titles.setdefault(key, [])
        if len(bucket) < FIRST_TITLES:
            bucket.append(title)


class Outcomes:
    """Collects (claimed item -> new state) and writes them in one statement per flush."""

    def __init__(self, run: SyncRun, tally: Tally, now: datetime, server_id: int) -> None:
        self.run, self.tally, self.now, self.server_id = run, tally, now, server_id
        self.rows: list[tuple] = []
        self._titles: dict[int, tuple[str, str]] = {}  # decision id -> (tally key, title)
        self._ids: dict[tuple[int, int], int] = {}

    def _row(self, item: Item, row: tuple, key: str) -> None:
        self.rows.append(row)
        self._ids[(item.show_id, item.rule_id)] = item.id
        self._titles[item.id] = (key, item.title)

    def set(self, item: Item, status: str, *, reason: str = "", series_id: int | None = None,
            tally: str | None = None) -> None:
        """A settled outcome: added, exists, skipped, failed, pending_tvdb..."""
        changed = self.now if status != _prior(item) else item.changed_at
        self._row(item, (item.show_id, item.rule_id, status, reason[:500], series_id, 0, None,
                         changed, None), tally or status)

    def retry(self, item: Item, reason: str) -> None:
        """Transient: pending again, tried after an exponential wait."""
        wait = min(RETRY_BASE * (2 ** min(item.attempts, 20)), RETRY_CAP)
        self._row(item, (item.show_id, item.rule_id, S.PENDING, reason[:500], None,
                         item.attempts + 1, self.now + wait, item.changed_at, None), "retry")

    def no_tvdb(self, item: Item, reason: str) -> None:
        """Sonarr does not know the id yet: wait SONARR_RETRY_DELAY days (unless the show's id
        is corrected), keep the clock that counts towards SONARR_ABANDON_AFTER."""
        changed = item.changed_at if _prior(item) == S.PENDING_TVDB else self.now
        self._row(item, (item.show_id, item.rule_id, S.PENDING_TVDB, reason[:500], None,
                         item.attempts + 1,
                         self.now + timedelta(days=settings.SONARR_RETRY_DELAY), changed,
                         item.tvdb_id), S.PENDING_TVDB)

    def release(self, item: Item, *, reason: str | None = None, tally: str = "") -> None:
        """Back as it was when claimed (a dry run's "would add", a retry not yet due)."""
        self._row(item, (item.show_id, item.rule_id, _prior(item),
                         (item.reason if reason is None else reason)[:500], None,
                         item.attempts, item.next_at, item.changed_at, None), tally)

    def held(self) -> set[int]:
        return set(self._titles)

    def flush(self, *, processed: int, then: Callable[[], T] | None = None) -> T | None:
        """One transaction: the rows this run still holds, then its progress (which checks
        the run is ours), then ``then()`` (the next batch's claim) whose result it returns.
        A row whose rule moved to another server meanwhile is decided afresh for that server
        instead of taking this server's outcome."""
        with transaction.atomic():
            rows, moved = self._still_held()
            upsert(Decision, COLUMNS, rows, conflict=["show_id", "rule_id"], update=UPDATE,
                   constants={"decided_at": self.now, "updated_at": self.now,
                              "claim_run_id": None},
                   keep=("status", SETTLED))
            _redecide(moved, self.now)
            written = {(r[0], r[1]) for r in rows}
            for pair, decision_id in self._ids.items():
                key, title = self._titles[decision_id]
                if key and pair in written:
                    self.tally.add(key, title)
            if moved:
                self.tally.counts["moved"] += sum(len(v) for v in moved.values())
            errors = sum(1 for r in rows if r[2] == S.FAILED)
            changed = sum(1 for r in rows if r[2] in (S.ADDED, S.EXISTS, S.SKIPPED))
            run_progress(self.run, processed=min(processed, self._room()), changed=changed,
                         errors=errors)
            self.rows, self._titles, self._ids = [], {}, {}
            return then() if then is not None else None

    def _still_held(self) -> tuple[list[tuple], dict[int, list[int]]]:
        """Lock this run's claims among the rows (and their rules, so that a move waits for
        this write): the rows still held and still on this server, and, per rule, the shows
        whose rule moved away."""
        if not self.rows:
            return [], {}
        # Rules first, then decisions: the order a claim and a rule move lock them in.
        servers = dict(DiscoveryRule.objects.select_for_update().filter(
            pk__in={r[1] for r in self.rows}).values_list("pk", "server_id"))
        held = set(Decision.objects.select_for_update().filter(
            pk__in=list(self._ids.values()), status=S.SENDING, claim_run_id=self.run.pk
        ).values_list("pk", flat=True))
        rows, moved = [], {}
        for row in self.rows:
            decision_id = self._ids[(row[0], row[1])]
            if decision_id not in held:
                continue
            if servers.get(row[1]) == self.server_id:
                rows.append(row)
            else:
                moved.setdefault(row[1], []).append(row[0])
                rows.append((row[0], row[1], S.FILTERED, MOVED, None, 0, None, self.now, None))
        return rows, moved

    def _room(self) -> int:
        return max(0, (self.run.total or 0) - self.run.processed)


def _prior(item: Item) -> str:
    """The status before the claim; one a dead run left claimed counts as pending."""
    return S.PENDING if item.status == S.SENDING else item.status


def _redecide(moved: dict[int, list[int]], now: datetime) -> None:
    """Decide the shows of moved rules for their new server, in the same transaction."""
    if not moved:
        return
    rules = DiscoveryRule.objects.filter(pk__in=list(moved)).prefetch_related("selections")
    for rule in rules:
        decide_rows(facts_by_ids(moved[rule.pk]), [rule_view(rule)], now=now)
