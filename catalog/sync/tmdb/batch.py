"""The TMDB batch: refresh what is due across the library (or the shows asked for).

Due are placeholders, stale rows (TTL minus jitter), rows never fetched, and library shows
the TV changes feed lists since the last batch. Fresh rows cost nothing. Shows without a
TMDB id get one through ``/find`` first (``find``: the one policy); "not on TMDB" and
"ambiguous" are stored and remembered for the TTL.
Pages of ``PAGE_SIZE`` shows: fetch, then one transaction with the page's bulk write and the
run's progress. A crashed batch resumes by itself: what it refreshed is fresh now.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.db.cursors import cursor_get, cursor_set
from catalog.db.iterables import batched
from catalog.models import Show, SyncRun
from catalog.models.library import library_shows
from catalog.runs import run_progress
from catalog.sync.exceptions import ShowNotFoundInLibrary
from catalog.sync.tmdb.changes import Feed, changes_read
from catalog.sync.tmdb.page import PageFetch, page_fetch
from catalog.sync.tmdb.policy import FUTURE_TOLERANCE, due_cutoff, tmdb_due, ttl_days
from catalog.sync.tmdb.show import show_for_tmdb_id
from catalog.sync.tmdb.slots import ABSENT_WARNING, plex_lost, plex_present
from catalog.sync.tmdb.write import shows_write
from integrations.tmdb import TmdbClient

log = logging.getLogger("catalog.sync.tmdb")
CURSOR_KEY = "tmdb"
PAGE_SIZE = 50
MAX_REPORTED = 50


@dataclass(slots=True)
class Outcome:
    """What a batch did, for its summary."""

    mode: str
    force: bool
    candidates: int = 0
    due: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    refreshed: int = 0
    plex_absent: int = 0
    found: int = 0
    not_on_tmdb: int = 0
    ambiguous: int = 0
    feed: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def absorb(self, page: PageFetch, conflicts: list[str]) -> None:
        self.pages += 1
        self.refreshed += len(page.refreshed)
        self.found += page.found
        self.not_on_tmdb += len(page.absent)
        self.ambiguous += len(page.ambiguous)
        self.errors.extend(page.errors)
        self.conflicts.extend([*page.conflicts, *conflicts])
        self.notes.extend(page.notes)

    def summary(self) -> dict[str, Any]:
        return {"mode": self.mode, "force": self.force, "candidates": self.candidates,
                "due": self.due, "pages": self.pages, "refreshed": self.refreshed,
                "plex_absent": self.plex_absent,
                "found": self.found, "not_on_tmdb": self.not_on_tmdb,
                "ambiguous": self.ambiguous, **self.feed,
                "error_list": self.errors[:MAX_REPORTED],
                "conflicts": self.conflicts[:MAX_REPORTED], "notes": self.notes[:MAX_REPORTED]}


def _explicit(tmdb_ids: Iterable[int], show_ids: Iterable[int], outcome: Outcome
              ) -> QuerySet[Show]:
    """The shows asked for; TMDB ids nobody carries are reported, not invented."""
    pks = set(show_ids)
    wanted = set(tmdb_ids)
    known = dict(Show.objects.filter(tmdb_id__in=wanted).values_list("tmdb_id", "pk"))
    pks.update(known.values())
    for tmdb_id in sorted(wanted - known.keys()):
        try:
            pks.add(show_for_tmdb_id(tmdb_id).pk)
        except ShowNotFoundInLibrary as exc:
            outcome.errors.append(str(exc))
    return Show.objects.filter(pk__in=pks)


def _due(candidates: QuerySet[Show], feed: Feed | None, *, force: bool, now: datetime,
         ttl: int) -> dict[int, str]:
    """Show id -> why it is due, in id order."""
    if force:
        return dict.fromkeys(candidates.order_by("pk").values_list("pk", flat=True), "forced")
    maybe = candidates.filter(
        Q(tmdb_status=Show.TmdbStatus.UNKNOWN) | Q(tmdb_fetched_at__isnull=True)
        | Q(tmdb_fetched_at__lte=due_cutoff(now, ttl))
        | Q(tmdb_fetched_at__gt=now + FUTURE_TOLERANCE))
    due: dict[int, str] = {}
    for pk, status, fetched, jitter in maybe.order_by("pk").values_list(
            "pk", "tmdb_status", "tmdb_fetched_at", "tmdb_jitter_days").iterator(2000):
        if tmdb_due(status=status, fetched_at=fetched, jitter=jitter, now=now, ttl=ttl):
            due[pk] = "placeholder" if status == Show.TmdbStatus.UNKNOWN else "stale"
    for chunk in batched(sorted(feed.ids if feed else ()), 900):
        for pk in candidates.filter(tmdb_id__in=chunk, tmdb_fetched_at__lt=now).values_list(
                "pk", flat=True):
            due.setdefault(pk, "changed")
    return dict(sorted(due.items()))


def _count(reasons: dict[int, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reason in reasons.values():
        counts[reason] = counts.get(reason, 0) + 1
    return counts


def _page(run: SyncRun, client: TmdbClient, pks: tuple[int, ...], due: dict[int, str],
          outcome: Outcome, *, now: datetime, ttl: int) -> None:
    rows = Show.objects.in_bulk(pks)
    page = page_fetch(client, [rows[pk] for pk in pks if pk in rows], due, now=now, ttl=ttl)
    with transaction.atomic():
        written = shows_write(refreshed=page.refreshed, absent=page.absent, failed=page.failed,
                              ambiguous=page.ambiguous, now=now, ttl=ttl)
        run_progress(run, processed=page.handled + (len(pks) - len(rows)),
                     changed=len(written.changed),
                     skipped=page.skipped + (len(pks) - len(rows)), errors=len(page.errors),
                     event={"event": "page_progress", "page": outcome.pages + 1,
                            "changed": len(written.changed)})
    outcome.absorb(page, written.conflicts)
    refreshed = [show.pk for show, _ in page.refreshed]
    absent_ids = set(refreshed) - plex_present(refreshed)
    absent = len(absent_ids)
    lost = len(plex_lost(absent_ids)) if absent_ids else 0  # Plex held episodes, none now
    if lost:
        log.warning("TMDB batch: %d refreshed show(s) %s", lost, ABSENT_WARNING)
    if absent - lost:
        log.info("TMDB batch: %d refreshed show(s) %s", absent - lost, ABSENT_WARNING)
    outcome.plex_absent += absent
    if page.abort is not None:
        raise page.abort


def tmdb_batch(run: SyncRun, client: TmdbClient, *, force: bool = False,
               tmdb_ids: Iterable[int] | None = None, show_ids: Iterable[int] | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """Refresh what is due; returns the run summary. With ``tmdb_ids``/``show_ids`` only
    those shows are considered (library or not), else every library show."""
    now = now or timezone.now()
    ttl = ttl_days()
    cursor = cursor_get(CURSOR_KEY)
    explicit = tmdb_ids is not None or show_ids is not None
    outcome = Outcome(mode="shows" if explicit else "library", force=force)
    feed: Feed | None = None
    if explicit:
        candidates = _explicit(tmdb_ids or (), show_ids or (), outcome)
    else:
        candidates = library_shows()
        if not force:
            since = cursor.get("changes_read_at")
            feed = changes_read(client, since=datetime.fromisoformat(since) if since else None,
                                now=now)
            outcome.feed = feed.summary()
    due = _due(candidates, feed, force=force, now=now, ttl=ttl)
    outcome.candidates = max(candidates.count(), len(due))
    outcome.due = _count(due)
    fresh = outcome.candidates - len(due)
    with transaction.atomic():
        run_progress(run, processed=fresh, skipped=fresh, errors=len(outcome.errors),
                     total=outcome.candidates,
                     event={"event": "tmdb_plan", "due": outcome.due, **outcome.feed})
    for pks in batched(due, PAGE_SIZE):
        _page(run, client, pks, due, outcome, now=now, ttl=ttl)
    with transaction.atomic():
        if not explicit and (force or (feed is not None and feed.read)):
            # Every change listed up to ``now`` has been fetched since (or, forced, every show).
            cursor["changes_read_at"] = now.isoformat()
        if not explicit:
            cursor["last_success_at"] = now.isoformat()
            cursor_set(CURSOR_KEY, cursor)
        run_progress(run, event={"event": "tmdb_done", "refreshed": outcome.refreshed})
    return outcome.summary()
