"""The incremental scan of a TV library: ask Plex only about what changed.

One paged listing of the episodes updated (or added: Plex stamps updatedAt on add) since the
last complete scan names the shows to look at; then the show listing, page by page. A show is
expanded (``allLeaves``: one request for all its episodes with their media) only when its
digest changed, it was never hydrated, or that listing named one of its episodes. Every other
show costs nothing: its present items are counted as seen with one bulk touch per page.
A failed expansion is counted and skipped, and makes the scan incomplete (nothing is marked
missing, and the next scan looks at the show again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from catalog.digests import show_digest
from catalog.iterables import batched
from catalog.models import MediaItem, PlexShow
from catalog.runs import run_progress
from catalog.sync.plex.items import items_touch_rejected, items_write_page
from catalog.sync.plex.scan import CHUNK, LIVE, Scan, knowable, prefetched
from catalog.sync.plex.shows import (
    StoredShow,
    items_touch_unchanged_shows,
    newest_children,
    plex_shows_write_page,
    stored_shows,
)
from integrations.errors import AuthError, TransientError, UpstreamError
from integrations.values import Page, Reject
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowValue

# Plex's `updatedAt>>=` is strictly later; ask from a little before the last complete scan's
# start so that an edit in the same second (or a small clock skew) is not lost.
SINCE_MARGIN = timedelta(seconds=30)
EXPAND_WORKERS = 4  # allLeaves requests in flight at once when a page has several to expand
Expansion = Page[PlexItem] | UpstreamError


def named_shows(scan: Scan, since: datetime) -> set[str]:
    """ratingKeys of the shows with an episode updated or added after ``since``."""
    names: set[str] = set()
    listed = 0
    for page in scan.client.iter_items(scan.key, kind="episode", updated_since=since):
        listed += len(page.items)
        names.update(i.show_rating_key for i in page.items if i.show_rating_key)
        # unreadable rows name no show; show digests still catch most
        scan.reject(page.rejects, "updated episode")
        # a heartbeat per page: a long listing must not make the run look abandoned
        scan.report(listing="updated_since", errors=len(page.rejects),
                    detail={"listed": listed, "of": page.total})
    run_progress(scan.run, event={
        "event": "updated_since", "library": scan.library.pk, "since": since.isoformat(),
        "episodes": listed, "shows": len(names)})
    return names


def incremental_tv(scan: Scan) -> None:
    last = scan.library.last_complete_scan_at
    assert last is not None, "an incremental scan needs a previous complete one"
    named = named_shows(scan, last - SINCE_MARGIN)
    pages = prefetched(lambda start: scan.client.shows(scan.key, start=start), "plex-shows")
    with ThreadPoolExecutor(max_workers=EXPAND_WORKERS, thread_name_prefix="plex-expand") as pool:
        for page in pages:
            scan.check_total("shows", page.total)
            stored = stored_shows(scan.library.pk, (s.rating_key for s in page.items))
            newest = newest_children([old.id for old in stored.values()])
            todo = [s for s in page.items
                    if _needs_expansion(s, stored.get(s.rating_key), newest, named)]
            expansions = dict(zip((s.rating_key for s in todo),
                                  pool.map(lambda s: _expand(scan, s), todo), strict=True))
            _commit(scan, page, stored, expansions)


def _needs_expansion(show: PlexShowValue, old: StoredShow | None,
                     newest: Mapping[int, datetime], named: set[str]) -> bool:
    if old is None or not old.hydrated or show.rating_key in named:
        return True
    return show_digest(show, newest.get(old.id)) != old.digest


def _expand(scan: Scan, show: PlexShowValue) -> Expansion:
    """All episodes of one show; an upstream failure is returned, not raised (a bad token
    fails the whole run instead: every other expansion would fail the same way). Fewer rows
    than the show listing's leafCount is a failure too: the rows left out were not seen."""
    try:
        page = scan.client.show_leaves_page(show.rating_key)
    except AuthError:
        raise
    except UpstreamError as error:
        return error
    rows = len(page.items) + len(page.rejects)
    if show.leaf_count is not None and rows < show.leaf_count:
        return TransientError(f"allLeaves listed {rows} of its {show.leaf_count} episodes",
                              upstream="plex")
    return page


def _newest(items: Sequence[PlexItem]) -> datetime | None:
    return max((i.updated_at for i in items if i.updated_at is not None), default=None)


def _rejected_show_ids(scan: Scan, rejects: Sequence[Reject]) -> list[int]:
    """Stored shows behind unreadable show rows: Plex still has them, so their items stay seen."""
    keys = [r.ref for r in rejects if knowable(r)]
    ids: list[int] = []
    for chunk in batched(keys, CHUNK):
        ids.extend(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                   .order_by().values_list("id", flat=True))
    return ids


def _commit(scan: Scan, page: Page[PlexShowValue], stored: Mapping[str, StoredShow],
            expansions: Mapping[str, Expansion]) -> None:
    """One transaction for the page: unchanged shows touched, shows written, leaves written."""
    shows = {s.rating_key: s for s in page.items}
    done = {rk: e for rk, e in expansions.items() if isinstance(e, Page)}
    failed = {rk: e for rk, e in expansions.items() if not isinstance(e, Page)}
    # a show whose expansion had a row that names nothing keeps its digest and seen time
    # (as a failed one does): that row's item was not seen, so the show is not accounted for
    accounted = {rk: show_digest(shows[rk], _newest(p.items)) for rk, p in done.items()
                 if all(knowable(r) for r in p.rejects)}
    unchanged = [rk for rk in shows if rk in stored and rk not in expansions]
    accounted.update((rk, stored[rk].digest) for rk in unchanged)
    leaves = [item for p in done.values() for item in p.items]
    rejects = tuple(r for p in done.values() for r in p.rejects)
    with transaction.atomic():
        rejected = _rejected_show_ids(scan, page.rejects)
        touched = items_touch_unchanged_shows(scan, [stored[rk].id for rk in unchanged]
                                              + rejected)
        PlexShow.objects.filter(id__in=rejected).update(last_seen_at=scan.now)
        written_shows = plex_shows_write_page(scan, page.items, stored, accounted)
        written = items_write_page(scan, leaves, written_shows.ids)
        all_known = items_touch_rejected(scan, rejects)
        _flag_failed(scan, [stored[rk].id for rk in failed if rk in stored])
    _account(scan, page, failed, written_shows.placeholders, all_known, rejects)
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.unchanged += written.unchanged
    outcome.seen_unchanged_shows += touched
    outcome.expanded_shows += len(done)
    scan.report(listing="shows", processed=len(leaves) + touched + len(rejects),
                changed=written.changed, skipped=written.unchanged + touched,
                errors=len(failed) + len(rejects) + len(page.rejects))


def _account(scan: Scan, page: Page[PlexShowValue], failed: Mapping[str, UpstreamError],
             placeholders: int, all_known: bool, rejects: tuple[Reject, ...]) -> None:
    """Errors and completeness of a committed page."""
    outcome = scan.outcome
    outcome.shows += len(page.items)
    outcome.placeholders += placeholders
    outcome.errors.extend(f"show {rk}: expansion failed: {error}" for rk, error in failed.items())
    scan.reject(page.rejects, "show")
    scan.reject(rejects, "episode")
    unknown_show = not all(knowable(r) for r in page.rejects)
    outcome.complete = outcome.complete and not failed and all_known and not unknown_show


def _flag_failed(scan: Scan, show_ids: list[int]) -> None:
    """Note the failure on the show's items, leaving their state and seen time alone."""
    if show_ids:
        MediaItem.objects.filter(plex_show_id__in=show_ids, state__in=LIVE).update(
            error_count=F("error_count") + 1,
            last_error=f"Plex expansion failed in scan run {scan.run.pk}")
