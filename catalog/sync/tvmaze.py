"""Mirror the TVMaze catalog: a resumable full walk of the index, then cheap increments.

Every page (a few index pages taken together, or a batch of individually fetched changed
shows) is written in one transaction together with the checkpoint, then reported on the
SyncRun. A crash resumes at the first uncommitted index page. Nothing here builds a URL or
parses a payload.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.db.commits import commit_without_waiting
from catalog.db.cursors import cursor_get, cursor_set
from catalog.db.iterables import batched
from catalog.models import Show, SyncRun
from catalog.runs import run_progress
from catalog.sync import pages as page_groups
from catalog.sync.pages import pages_grouped
from catalog.sync.shows_write import PageWrite, shows_announce, shows_write_page
from integrations.errors import InvalidError, NotFoundError
from integrations.tvmaze import TvmazeClient
from integrations.values import Page, Reject
from integrations.values.tvmaze import TvmazeShow

CURSOR_KEY = "tvmaze"
IDS_PER_INDEX_PAGE = 250
FETCH_BATCH = 250
MAX_REPORTED_REJECTS = 50
# The smallest updates window that covers the gap since the last success (with an hour spare).
WINDOWS: tuple[tuple[str, timedelta], ...] = (
    ("day", timedelta(days=1)), ("week", timedelta(days=7)), ("month", timedelta(days=30)),
)
SAFETY = timedelta(hours=1)
# The show index may be served this stale (API_NOTES): what a page shows was true this long
# before we read it, so shows read from the index are only known up to then.
INDEX_MAX_AGE = timedelta(hours=24)


@dataclass(slots=True)
class Outcome:
    """What a run did, for its summary."""

    mode: str
    pages: int = 0
    created: int = 0
    updated: int = 0
    rejects: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    complete: bool = True
    since: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"mode": self.mode, "pages": self.pages, "created": self.created,
                "updated": self.updated, "complete": self.complete, "since": self.since,
                "rejects": self.rejects[:MAX_REPORTED_REJECTS],
                "conflicts": self.conflicts[:MAX_REPORTED_REJECTS]}


def choose_window(last_success: datetime | None, now: datetime) -> str | None:
    """The smallest ``since`` window covering the gap, or None when only a walk will do (no
    success yet, or one our clock dates in the future: it was set back, the gap is unknown)."""
    if last_success is None or last_success > now:
        return None
    gap = now - last_success + SAFETY
    return next((name for name, span in WINDOWS if gap <= span), None)


def tvmaze_sync(run: SyncRun, client: TvmazeClient, *, full: bool = False,
                max_pages: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Walk or increment as the checkpoint says; returns the run summary."""
    started = now or timezone.now()
    cursor = cursor_get(CURSOR_KEY)
    last = cursor.get("last_success_at")
    since = None if full else choose_window(datetime.fromisoformat(last) if last else None,
                                            started)
    walking = cursor.get("next_page") is not None
    if full or walking or not cursor.get("initial_complete") or since is None:
        outcome = _walk(run, client, cursor, started, restart=full and not walking,
                        max_pages=max_pages)
    else:
        outcome = _increment(run, client, cursor, since, started, max_pages=max_pages)
    return outcome.summary()


def _commit(run: SyncRun, client: TvmazeClient, outcome: Outcome, cursor: dict[str, Any],
            pages: list[Page[TvmazeShow]], *, label: str, skipped: int = 0,
            counted: int | None = None) -> None:
    """Write pages, their checkpoint and the run's progress in one transaction: each page on
    its own and in order, so the rows (and who holds a disputed id) are those of a commit
    per page wherever a group ends; then settle each page's contested ids.

    ``counted`` is how many of the pages' shows count towards the run's total (the tail of
    an incremental run re-reads known ids that the total does not include).
    """
    shows = sum(len(p.items) for p in pages)
    rejects = sum(len(p.rejects) for p in pages)
    processed = shows + rejects if counted is None else counted
    with transaction.atomic():
        commit_without_waiting()
        writes: list[PageWrite] = [shows_write_page(page.items, announce=False)
                                   for page in pages]
        shows_announce([sid for written in writes for sid in written.written])
        if shows:
            cursor["highest_id"] = max(cursor.get("highest_id", 0),
                                       *(s.id for p in pages for s in p.items))
        cursor_set(CURSOR_KEY, cursor)
        changed = sum(w.changed for w in writes)
        run_progress(run, processed=processed, changed=changed,
                     skipped=sum(w.unchanged for w in writes) + skipped, errors=rejects,
                     total=_total_covering(run, processed),
                     event={"event": "page_progress", "page": label, "changed": changed})
    outcome.pages += len(pages)
    for page, written in zip(pages, writes, strict=True):
        outcome.created += written.created
        outcome.updated += written.updated
        outcome.conflicts.extend(_settle(run, client, page, written))
        outcome.rejects.extend(f"{r.ref}: {r.reason}" for r in page.rejects)


def _settle(run: SyncRun, client: TvmazeClient, page: Page[TvmazeShow],
            written: PageWrite) -> list[str]:
    """The page's conflicts once contested ids are settled; returns those still standing.

    An id a show outside the page holds may be one TVMaze has since taken from it (it kept it
    only because TVMaze gave it none): re-read those holders and write them with their
    claimants, where the page writer moves an id its holder no longer claims.
    """
    if not written.contested:
        return written.conflicts
    claimants = {s.id: s for s in page.items}
    shows: dict[int, TvmazeShow] = {}
    for claimant, holder in written.contested:
        try:
            shows.setdefault(holder, client.show(holder))
        except (NotFoundError, InvalidError):
            continue
        shows[claimant] = claimants[claimant]
    if not shows:
        return written.conflicts
    settled = {c for c in written.conflicts
               if any(c.startswith(f"tvmaze {sid}:") for sid in shows)}
    with transaction.atomic():  # holders first: one still claiming its id keeps it
        again = shows_write_page(list(shows.values()), force=True)
        run_progress(run)
    return [c for c in written.conflicts if c not in settled] + again.conflicts


def _total_covering(run: SyncRun, processed: int) -> int | None:
    """Keep processed <= total: the feed that sized the run may lag the index by a day."""
    if run.total is None or run.processed + processed <= run.total:
        return None
    return run.processed + processed


def _walk_pages(run: SyncRun, client: TvmazeClient, cursor: dict[str, Any], outcome: Outcome,
                start: int, max_pages: int | None, *, above: int = -1) -> bool:
    """Commit index pages from ``start`` until the 404 end; False if stopped by max_pages.

    Only shows with an id above ``above`` count towards the run's total.
    """
    left = None if max_pages is None else max(1, max_pages - outcome.pages)
    for numbers, group in _index_batches(client, start, max_pages=left):
        cursor["next_page"] = numbers[-1] + 1
        counted = None if above < 0 else sum(1 for p in group for s in p.items if s.id > above)
        label = str(numbers[0]) if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
        _commit(run, client, outcome, cursor, group, label=label, counted=counted)
        if max_pages is not None and outcome.pages >= max_pages:
            return False
    return True


def _index_batches(client: TvmazeClient, start: int, *, max_pages: int | None = None,
                   ) -> Iterator[tuple[range, list[Page[TvmazeShow]]]]:
    """Index pages from ``start`` to TVMaze's 404, grouped for one transaction each (at most
    ``max_pages`` pages in all): ``(the group's page numbers, its pages)``."""
    listing = (page for _, page in takewhile(lambda read: read[1] is not None,
                                            client.iter_index_pages(start)))
    first = start
    for group in pages_grouped(islice(listing, max_pages)):
        yield range(first, first + len(group)), group
        first += len(group)


def _walk(run: SyncRun, client: TvmazeClient, cursor: dict[str, Any], started: datetime, *,
          restart: bool, max_pages: int | None) -> Outcome:
    """The full walk, resumed from the checkpoint unless a fresh one is asked for."""
    outcome = Outcome(mode="full")
    if restart or cursor.get("next_page") is None:
        cursor.update(next_page=0, walk_started_at=(started - INDEX_MAX_AGE).isoformat())
    start = cursor["next_page"]
    # The updates feed without ``since`` lists every show id: one request sizes the walk.
    remaining = sum(1 for show_id in client.updates() if show_id >= start * IDS_PER_INDEX_PAGE)
    with transaction.atomic():  # a run taken over from a dead worker counts on from its pages
        run_progress(run, total=run.processed + remaining,
                     event={"event": "walk", "from_page": start})
    outcome.complete = _walk_pages(run, client, cursor, outcome, start, max_pages)
    if outcome.complete:
        covered = (started - INDEX_MAX_AGE).isoformat()
        cursor.update(next_page=None, initial_complete=True,
                      last_success_at=cursor.pop("walk_started_at", covered))
        _checkpoint(run, cursor)
    return outcome


def _checkpoint(run: SyncRun, cursor: dict[str, Any]) -> None:
    """Write the end-of-run checkpoint only while the run is still ours, like every page."""
    with transaction.atomic():
        cursor_set(CURSOR_KEY, cursor)
        run_progress(run)


def _changed_ids(updates: dict[int, int], highest: int) -> list[int]:
    """Known-range ids whose upstream stamp differs from ours (new ranges come by walking)."""
    candidates = sorted(i for i in updates if i <= highest)
    changed: list[int] = []
    for chunk in batched(candidates, 900):
        stored = dict(Show.objects.filter(tvmaze_id__in=chunk)
                      .values_list("tvmaze_id", "tvmaze_updated_at"))
        for show_id in chunk:
            stamp = stored.get(show_id)
            if stamp is None or int(stamp.timestamp()) != updates[show_id]:
                changed.append(show_id)
    return changed


def _fetch_groups(client: TvmazeClient, ids: Sequence[int], *, size: int = FETCH_BATCH,
                  seconds: float | None = None) -> Iterator[tuple[Page[TvmazeShow], int]]:
    """Fetch shows one by one, yielding a page (and how many were gone) every ``size`` ids or
    every ``seconds``: fetching is paced by the rate limit (20 calls per 10 s upstream), and a
    fixed batch would leave the progress bar still for minutes. Malformed shows are rejected.
    """
    shows: list[TvmazeShow] = []
    rejects: list[Reject] = []
    gone = 0
    seconds = page_groups.SECONDS_PER_COMMIT if seconds is None else seconds
    opened = time.monotonic()
    for n, show_id in enumerate(ids, 1):
        try:
            shows.append(client.show(show_id))
        except NotFoundError:
            gone += 1
        except InvalidError as exc:
            rejects.append(Reject(ref=str(show_id), reason=exc.message))
        if (len(shows) + len(rejects) + gone >= size or n == len(ids)
                or time.monotonic() - opened >= seconds):
            yield Page(items=tuple(shows), cursor=None, rejects=tuple(rejects)), gone
            shows, rejects, gone, opened = [], [], 0, time.monotonic()


def _increment(run: SyncRun, client: TvmazeClient, cursor: dict[str, Any], since: str,
               started: datetime, *, max_pages: int | None) -> Outcome:
    """Fetch exactly the changed shows, then walk past the highest known id for new ones."""
    outcome = Outcome(mode="incremental", since=since)
    updates = client.updates(since)
    highest = cursor.get("highest_id", 0)
    changed = _changed_ids(updates, highest)
    new = sum(1 for show_id in updates if show_id > highest)
    with transaction.atomic():
        run_progress(run, total=run.processed + len(changed) + new,
                     event={"event": "updates", "since": since, "changed": len(changed)})
    for page, gone in _fetch_groups(client, changed):
        label = f"ids {page.items[0].id if page.items else '-'}"
        _commit(run, client, outcome, cursor, [page], label=label, skipped=gone,
                counted=len(page.items) + len(page.rejects) + gone)
    # Should the walk past the highest id be interrupted, its resumption must not claim more
    # than this run covered: it completes with the previous success time.
    cursor["walk_started_at"] = cursor.get("last_success_at")
    start = (highest + 1) // IDS_PER_INDEX_PAGE
    outcome.complete = _walk_pages(run, client, cursor, outcome, start, max_pages,
                                   above=highest)
    if outcome.complete:
        cursor.pop("walk_started_at", None)
        # New shows came from index pages, which may be a day old.
        read_index = cursor.get("highest_id", 0) > highest
        covered = started - INDEX_MAX_AGE if read_index else started
        cursor.update(next_page=None, last_success_at=covered.isoformat())
    _checkpoint(run, cursor)
    return outcome


def tvmaze_refresh(run: SyncRun, client: TvmazeClient, tvmaze_ids: list[int]) -> dict[str, Any]:
    """Re-read the given shows now (an operator's "refresh"), even when their upstream stamp
    is unchanged; one page per transaction with the run's progress."""
    outcome = Outcome(mode="refresh")
    gone = 0
    with transaction.atomic():
        run_progress(run, total=run.processed + len(tvmaze_ids))
    for page, missing in _fetch_groups(client, tvmaze_ids):
        with transaction.atomic():
            written = shows_write_page(page.items, force=True)
            run_progress(run, processed=len(page.items) + len(page.rejects) + missing,
                         changed=written.changed, skipped=missing, errors=len(page.rejects))
        gone += missing
        outcome.pages += 1
        outcome.updated += written.updated
        outcome.created += written.created
        outcome.conflicts.extend(written.conflicts)
        outcome.rejects.extend(f"{r.ref}: {r.reason}" for r in page.rejects)
    return {**outcome.summary(), "gone": gone}
