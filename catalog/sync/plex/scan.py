"""What one library scan carries around: the run, the client, the clock, and its outcome."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from queue import SimpleQueue
from typing import Any, TypeVar

from catalog.models import MediaItem, PlexLibrary, SyncRun
from catalog.paths.resolve import PathResolver
from catalog.runs import run_progress
from integrations.plex import PlexClient
from integrations.values import Page, Reject

T = TypeVar("T")

# States of an item Plex still lists; MISSING and DELETED are only ever set by finalize.
LIVE = (MediaItem.State.ACTIVE, MediaItem.State.REMOTE_ONLY, MediaItem.State.UNAVAILABLE)
MAX_REPORTED = 50
CHUNK = 900  # ids per IN (...) list: under every SQLite build's bound-parameter limit


@dataclass(slots=True)
class Outcome:
    """What a scan did, for the run summary and the ``library_done`` event."""

    mode: str
    deep: bool = False
    reason: str = ""
    pages: int = 0
    shows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seen_unchanged_shows: int = 0
    expanded_shows: int = 0
    placeholders: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what an operator should know; no error
    rejects: list[str] = field(default_factory=list)
    complete: bool = True
    # Shows this scan could not account for, by ratingKey: their items are left untouched
    # (never marked missing) and they are expanded again by the next scan.
    partial: dict[str, str] = field(default_factory=dict)
    reconciled_shows: int = 0
    gone_shows: int = 0
    verified: int = 0
    verify_changed: int = 0
    confirmed: int = 0  # unseen items Plex still had when asked by ratingKey
    missing_promoted: int = 0
    deleted_promoted: int = 0
    last_synced_at: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "mode": self.mode, "deep": self.deep, "reason": self.reason, "pages": self.pages,
            "shows": self.shows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "seen_unchanged_shows": self.seen_unchanged_shows,
            "expanded_shows": self.expanded_shows, "placeholders": self.placeholders,
            "errors": self.errors[:MAX_REPORTED], "notes": self.notes[:MAX_REPORTED],
            "rejects": self.rejects[:MAX_REPORTED],
            "complete": self.complete,
            "incomplete_shows": [{"rating_key": rk, "reason": why} for rk, why
                                 in sorted(self.partial.items())][:MAX_REPORTED],
            "reconciled_shows": self.reconciled_shows, "gone_shows": self.gone_shows,
            "verified": self.verified, "verify_changed": self.verify_changed,
            "confirmed": self.confirmed,
            "missing_promoted": self.missing_promoted,
            "deleted_promoted": self.deleted_promoted, "last_synced_at": self.last_synced_at,
        }


@dataclass(slots=True)
class Scan:
    """One scan of one library; ``now`` is the run's start, and an item counts as seen by
    this run exactly when its ``last_seen_at >= now``."""

    run: SyncRun
    client: PlexClient
    library: PlexLibrary
    now: datetime
    resolver: PathResolver
    outcome: Outcome
    fresh: bool = False  # the library held no item when the scan started
    show_ids: dict[str, int] = field(default_factory=dict)  # PlexShow ids by ratingKey
    totals: dict[str, int | None] = field(default_factory=dict)  # first totalSize per listing
    cursor: dict[str, Any] = field(default_factory=dict)  # the last complete scan's checkpoint
    total: int | None = None  # items Plex lists; the run's total follows it
    plex_newest: datetime | None = None  # newest updatedAt when the scan began (Plex's clock)
    plex_clock: datetime | None = None  # Plex's clock when the scan began (its Date header)
    read_newest: datetime | None = None  # newest stamp read that was older than plex_clock
    listed: dict[str, int | None] = field(default_factory=dict)  # leafCount by show ratingKey
    gone: set[str] = field(default_factory=set)  # shows Plex answered 404 for
    failed: set[str] = field(default_factory=set)  # shows whose expansion failed

    @property
    def key(self) -> str:
        return self.library.key

    def report(self, *, listing: str, processed: int = 0, changed: int = 0, skipped: int = 0,
               errors: int = 0, total: int | None = None,
               detail: dict[str, Any] | None = None, event: str = "page_progress",
               pages: int = 1) -> None:
        """A page's progress: call it inside the page's transaction (it checks that the run
        is still ours, and raises RunLost or RunCancelled so that the page rolls back);
        for a read-only listing, after the read. ``processed`` never passes the total: a
        listing that grew while it was read raises it. ``detail`` adds fields to the event;
        ``pages`` is how many listing pages the transaction joined."""
        if event == "page_progress":
            self.outcome.pages += pages
        if total is not None:
            self.total = total
        done = self.run.processed + processed
        if self.total is not None and done > self.total:
            self.total = done
        sent = self.total if self.total != self.run.total else None
        run_progress(self.run, processed=processed, changed=changed, skipped=skipped,
                     errors=errors, total=sent,
                     event={"event": event, "library": self.library.pk,
                            "listing": listing, "page": self.outcome.pages,
                            "changed": changed, **(detail or {})})

    def check_total(self, listing: str, total: int | None) -> None:
        """Offset paging over a library that changes mid-walk can skip a row; when the
        listing's size moved between its pages, this scan may not call anything missing."""
        first = self.totals.setdefault(listing, total)
        if first != total and self.outcome.complete:
            self.outcome.complete = False
            self.outcome.errors.append(
                f"the {listing} listing changed while it was read ({first} -> {total} rows)")

    def partial_show(self, rating_key: str, reason: str) -> None:
        """Leave this show's items untouched and expand it again next time."""
        self.outcome.partial.setdefault(rating_key, reason)

    def reject(self, rejects: tuple[Reject, ...], what: str) -> None:
        self.outcome.rejects.extend(f"{what} {r.ref}: {r.reason}" for r in rejects)


def knowable(reject: Reject) -> bool:
    """Does the unreadable row name its ratingKey? (``map_rows`` falls back to the row's
    ``key`` path or its position when it does not, and then we cannot tell what it was.)"""
    return not reject.ref.startswith("#") and "/" not in reject.ref


def prefetched(fetch: Callable[[int], Page[T]], name: str, *, ahead: int = 1,
               ) -> Iterator[Page[T]]:
    """Every page of a listing, fetched (and parsed) in a thread at most ``ahead`` pages
    before the caller, who writes meanwhile (a few pages at a time: ``pages_grouped``): the
    thread asks for a page only while fewer than ``ahead`` read pages wait for the caller. An
    upstream error surfaces where its page would have been; closing stops the thread."""
    ready: SimpleQueue[tuple[Page[T] | None, BaseException | None]] = SimpleQueue()
    slots = threading.Semaphore(ahead)
    stop = threading.Event()

    def produce() -> None:
        start: int | None = 0
        try:
            while start is not None:
                while not slots.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                page = fetch(start)
                ready.put((page, None))
                start = None if page.cursor is None else int(page.cursor)
        except BaseException as exc:  # re-raised in the caller's thread
            ready.put((None, exc))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as pool:
        pool.submit(produce)
        try:
            while True:
                page, error = ready.get()
                slots.release()
                if error is not None:
                    raise error
                assert page is not None
                yield page
                if page.cursor is None:
                    return
        finally:
            stop.set()
