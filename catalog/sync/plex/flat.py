"""The flat read of a library: the show listing, then every episode (or movie) in pages of 200.

Used for the first ingest, ``deep`` scans and movie libraries: about 510 requests for 2,000
shows and 100,000 episodes, never one request per show, season or episode. Offset paging
over a library that changes while it is read can skip a row; TV shows are therefore
reconciled against Plex's own counts afterwards (``reconcile``), and movie pages overlap
their predecessor so that a shift is seen and absorbed.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing

from django.db import transaction

from catalog.db.commits import commit_without_waiting
from catalog.db.iterables import batched
from catalog.models import PlexShow
from catalog.sync.pages import pages_grouped, pages_per_group
from catalog.sync.plex.items import ItemsWrite, items_touch_rejected, items_write_page
from catalog.sync.plex.reconcile import reconcile_tv
from catalog.sync.plex.scan import CHUNK, Scan, knowable, prefetched
from catalog.sync.plex.shows import (
    Facts,
    facts_of,
    plex_shows_hydrate,
    plex_shows_write_page,
    stored_shows,
)
from integrations.plex.client import PAGE_SIZE
from integrations.values import Page
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowValue

OVERLAP = 8  # rows each movie page re-reads of the one before it
NOT_LISTED = "its show was not in the show listing"


def flat_shows(scan: Scan) -> dict[str, Facts]:
    """Write every show page (new and changed rows, catalog links); digests come later,
    once their episodes are in. Returns each listed show's digest facts (small: per show)."""
    facts: dict[str, Facts] = {}
    pages = prefetched(lambda start: scan.client.shows(scan.key, start=start), "plex-shows")
    for page in pages:
        _show_page(scan, page)
        facts.update((s.rating_key, facts_of(s)) for s in page.items)
    return facts


def _show_page(scan: Scan, page: Page[PlexShowValue]) -> None:
    outcome = scan.outcome
    scan.listed.update((s.rating_key, s.leaf_count) for s in page.items)
    for reject in page.rejects:  # its episodes are left alone: we cannot tell their show
        if knowable(reject):
            scan.listed[reject.ref] = None
            scan.partial_show(reject.ref, f"unreadable show row: {reject.reason}")
        else:
            outcome.complete = False
    with transaction.atomic():
        commit_without_waiting()
        stored = stored_shows(scan.library.pk, (s.rating_key for s in page.items))
        written = plex_shows_write_page(scan, page.items, stored, accounted={})
        scan.report(listing="shows", errors=len(page.rejects))
    scan.show_ids.update(written.ids)  # the episode pages need no lookup of their shows
    outcome.shows += len(page.items)
    outcome.placeholders += written.placeholders
    scan.reject(page.rejects, "show")


def flat_episodes(scan: Scan) -> None:
    """Write every episode page, a few pages (``pages_grouped``) in one transaction with their
    progress, while a thread reads up to a group's worth of pages ahead."""
    def fetch(start: int) -> Page[PlexItem]:
        return scan.client.items(scan.key, kind="episode", start=start)

    ahead = pages_per_group(PAGE_SIZE)
    with closing(prefetched(fetch, "plex-episodes", ahead=ahead)) as listing:
        for group in pages_grouped(listing):
            items_pages(scan, group, listing="episodes", shows=True)


def flat_movies(scan: Scan) -> None:
    """Every movie page, each starting ``OVERLAP`` rows before the previous one ended: a
    row deleted (or added) before the cursor shifts the listing, and the overlap shows where
    the previous page's last rows went. A shift larger than the overlap makes the scan
    incomplete; at the end, the rows read must cover the section's total."""
    start, anchors, read = 0, [], set()
    while True:
        asked = max(0, start - OVERLAP) if anchors else 0
        page = scan.client.items(scan.key, kind="movie", start=asked, size=PAGE_SIZE)
        items = page.items
        if anchors:
            after = _aligned(items, anchors)
            if after is None:
                _incomplete(scan, "the movie listing moved by more than "
                            f"{OVERLAP} rows between two pages")
                after = 0
            items = items[after:]
        read.update(i.rating_key for i in items)
        read.update(r.ref for r in page.rejects)
        items_pages(scan, [Page(items, page.cursor, total=page.total, rejects=page.rejects)],
                    listing="movies", shows=False)
        anchors = [i.rating_key for i in page.items[-OVERLAP:]]
        if page.cursor is None:
            break
        start = int(page.cursor)
    if page.total is not None and len(read) < page.total:
        _incomplete(scan, f"read {len(read)} movies of the section's {page.total}")


def _aligned(items: Sequence[PlexItem], anchors: list[str]) -> int | None:
    """Index just after the latest of ``anchors`` found in ``items`` (None: none found)."""
    where = {item.rating_key: n for n, item in enumerate(items[:2 * OVERLAP + PAGE_SIZE])}
    for key in reversed(anchors):
        if key in where:
            return where[key] + 1
    return None


def _incomplete(scan: Scan, why: str) -> None:
    scan.outcome.complete = False
    scan.outcome.errors.append(why)


def _show_ids(scan: Scan, items: Sequence[PlexItem]) -> dict[str, int]:
    """PlexShow ids of the page's shows, remembered for the run (a few per page are new)."""
    known = scan.show_ids
    keys = {i.show_rating_key for i in items if i.show_rating_key} - known.keys()
    for chunk in batched(keys, CHUNK):
        known.update(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                     .order_by().values_list("rating_key", "id"))
    return known


def placed(scan: Scan, items: Sequence[PlexItem]) -> tuple[list[PlexItem], dict[str, int]]:
    """The items whose show we hold and can account for, and the show ids: an item of a
    show whose row was unreadable (or not listed) is left alone, never written showless."""
    show_ids = _show_ids(scan, items)
    partial = scan.outcome.partial
    keep: list[PlexItem] = []
    for item in items:
        show = item.show_rating_key
        if show is not None and (show in partial or show in scan.failed):
            continue
        if show is not None and show not in show_ids:  # added after the listing was read
            scan.partial_show(show, NOT_LISTED)
            continue
        keep.append(item)
    return keep, show_ids


def items_pages(scan: Scan, pages: list[Page[PlexItem]], *, listing: str, shows: bool) -> None:
    """One transaction: each page's items and rejects, written page by page and in order (the
    rows of a commit per page), and their progress (with the last page's total)."""
    placed_pages = [placed(scan, page.items) if shows else (list(page.items), {})
                    for page in pages]
    written, all_known = ItemsWrite(), True
    with transaction.atomic():
        commit_without_waiting()
        for page, (items, show_ids) in zip(pages, placed_pages, strict=True):
            done = items_write_page(scan, items, show_ids)
            written.created += done.created
            written.updated += done.updated
            written.unchanged += done.unchanged
            all_known = items_touch_rejected(scan, page.rejects) and all_known
        rejects = [r for page in pages for r in page.rejects]
        scan.report(listing=listing, processed=sum(len(p.items) for p in pages) + len(rejects),
                    changed=written.changed, skipped=written.unchanged,
                    errors=len(rejects), total=pages[-1].total, pages=len(pages))
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.unchanged += written.unchanged
    if rejects:
        scan.reject(tuple(rejects), "item")
        outcome.complete = outcome.complete and all_known


def flat_tv(scan: Scan) -> None:
    """Shows, then episodes, then the reconcile, then every listed show's digest: only
    after a complete read.

    An incomplete read (an unnameable row) may have missed some of a show's items; moving
    that show's digest and seen time forward would leave them behind it, and the next
    incremental scan would take the show as unchanged and call them missing. Left as they
    were, the shows' present items stay exactly those at or after their seen time, and a
    changed show is expanded next time.
    """
    facts = flat_shows(scan)
    flat_episodes(scan)
    if not scan.outcome.complete:
        return
    facts.update(reconcile_tv(scan, flat=True))
    for rating_key in scan.outcome.partial:
        facts.pop(rating_key, None)
    with transaction.atomic():
        plex_shows_hydrate(scan, facts)
        scan.report(listing="hydrate", event="hydrate")
    scan.outcome.verified = scan.outcome.created + scan.outcome.updated + scan.outcome.unchanged
