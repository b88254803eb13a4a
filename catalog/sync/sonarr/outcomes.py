"""What a push decided for each decision, written back in bulk with the run's progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from catalog.bulk import upsert
from catalog.models import Decision, SyncRun
from catalog.runs import run_progress

S = Decision.Status
COLUMNS = ["show_id", "rule_id", "status", "reason", "sonarr_series_id", "attempts",
           "next_attempt_at", "status_changed_at"]
UPDATE = ["status", "reason", "sonarr_series_id", "attempts", "next_attempt_at",
          "status_changed_at", "updated_at"]
# Rows an operator (or an earlier writer) settled while the push ran are left alone.
SETTLED = sorted({S.ADDED, S.EXISTS, S.SKIPPED, S.DECLINED})
RETRY_BASE = timedelta(minutes=5)
RETRY_CAP = timedelta(hours=24)
FIRST_TITLES = 10
# Written on decisions just before their series is sent: a run killed after Sonarr took the
# series but before it recorded the outcome tells the next run these were its own adds.
SENDING = "sending"


@dataclass(slots=True)
class Item:
    """One decision the push acts on."""

    show_id: int
    rule_id: int
    status: str
    attempts: int
    changed_at: datetime | None
    tvdb_id: int | None
    title: str
    due: bool = True
    sending: bool = False


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
    """Collects (item -> new state) for one page and writes them in one statement."""

    def __init__(self, run: SyncRun, tally: Tally, now: datetime) -> None:
        self.run, self.tally, self.now = run, tally, now
        self.rows: list[tuple] = []

    def set(self, item: Item, status: str, *, reason: str = "", series_id: int | None = None,
            tally: str | None = None) -> None:
        """A settled outcome: added, exists, skipped, failed, filtered..."""
        changed = self.now if status != item.status else item.changed_at
        self.rows.append((item.show_id, item.rule_id, status, reason[:500], series_id, 0, None,
                          changed))
        self.tally.add(tally or status, item.title)

    def retry(self, item: Item, reason: str) -> None:
        """Transient: still pending, tried again after an exponential wait."""
        wait = min(RETRY_BASE * (2 ** min(item.attempts, 20)), RETRY_CAP)
        self.rows.append((item.show_id, item.rule_id, S.PENDING, reason[:500], None,
                          item.attempts + 1, self.now + wait, item.changed_at))
        self.tally.add("retry", item.title)

    def no_tvdb(self, item: Item, reason: str) -> None:
        """Sonarr does not know the id yet: wait SONARR_RETRY_DELAY days, keep the clock that
        counts towards SONARR_ABANDON_AFTER."""
        changed = item.changed_at if item.status == S.PENDING_TVDB else self.now
        self.rows.append((item.show_id, item.rule_id, S.PENDING_TVDB, reason[:500], None,
                          item.attempts + 1,
                          self.now + timedelta(days=settings.SONARR_RETRY_DELAY), changed))
        self.tally.add(S.PENDING_TVDB, item.title)

    def note(self, item: Item, reason: str, tally: str) -> None:
        """Status unchanged, a note for the operator (a dry run's "would add")."""
        self.rows.append((item.show_id, item.rule_id, item.status, reason[:500], None,
                          item.attempts, None, item.changed_at))
        self.tally.add(tally, item.title)

    def mark_sending(self, items: list[Item]) -> None:
        """Before a POST: note on its still-pending decisions that they are being sent
        (committed with the run's ownership check, so a stale worker marks nothing)."""
        by_rule: dict[int, list[int]] = {}
        for item in items:
            by_rule.setdefault(item.rule_id, []).append(item.show_id)
        with transaction.atomic():
            run_progress(self.run)
            for rule_id, show_ids in by_rule.items():
                Decision.objects.filter(rule_id=rule_id, show_id__in=show_ids,
                                        status__in=[S.PENDING, S.PENDING_TVDB]).update(
                    reason=SENDING)

    def flush(self, *, processed: int) -> None:
        """One transaction: the rows, then the run's progress (which checks it is ours)."""
        with transaction.atomic():
            self.rows = self._still_there(self.rows)
            upsert(Decision, COLUMNS, self.rows, conflict=["show_id", "rule_id"], update=UPDATE,
                   constants={"decided_at": self.now, "updated_at": self.now},
                   keep=("status", SETTLED))
            errors = sum(1 for r in self.rows if r[2] == S.FAILED)
            changed = sum(1 for r in self.rows if r[2] in (S.ADDED, S.EXISTS, S.SKIPPED))
            run_progress(self.run, processed=min(processed, self._room()), changed=changed,
                         errors=errors)
        self.rows = []

    @staticmethod
    def _still_there(rows: list[tuple]) -> list[tuple]:
        """Drop rows whose decision vanished mid-run (its rule or show deleted): the push
        only ever updates decisions, it never brings one back."""
        if not rows:
            return rows
        existing = set(Decision.objects.filter(
            rule_id__in={r[1] for r in rows}, show_id__in={r[0] for r in rows}
        ).values_list("show_id", "rule_id"))
        return [r for r in rows if (r[0], r[1]) in existing]

    def _room(self) -> int:
        return max(0, (self.run.total or 0) - self.run.processed)
