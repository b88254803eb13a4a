"""The flat read of a library: the show listing, then every episode (or movie) in pages of 200.

Used for the first ingest, ``deep`` scans and movie libraries: about 510 requests for 2,000
shows and 100,000 episodes, never one request per show, season or episode.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from django.db import transaction

from catalog.iterables import batched
from catalog.models import PlexShow
from catalog.sync.plex.items import items_touch_rejected, items_write_page
from catalog.sync.plex.scan import CHUNK, Scan, prefetched
from catalog.sync.plex.shows import (
    Facts,
    facts_of,
    plex_shows_hydrate,
    plex_shows_write_page,
    stored_shows,
)
from integrations.values import Page
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowValue


def flat_shows(scan: Scan) -> dict[str, Facts]:
    """Write every show page (new and changed rows, catalog links); digests come later,
    once their episodes are in. Returns each listed show's digest facts (small: per show)."""
    facts: dict[str, Facts] = {}
    pages = prefetched(lambda start: scan.client.shows(scan.key, start=start), "plex-shows")
    for page in pages:
        scan.check_total("shows", page.total)
        _show_page(scan, page)
        facts.update((s.rating_key, facts_of(s)) for s in page.items)
    return facts


def _show_page(scan: Scan, page: Page[PlexShowValue]) -> None:
    with transaction.atomic():
        stored = stored_shows(scan.library.pk, (s.rating_key for s in page.items))
        written = plex_shows_write_page(scan, page.items, stored, accounted={})
    outcome = scan.outcome
    outcome.shows += len(page.items)
    outcome.placeholders += written.placeholders
    if page.rejects:  # its episodes are still listed below; only the show row is unknown
        scan.reject(page.rejects, "show")
    scan.report(listing="shows", errors=len(page.rejects))


def flat_items(scan: Scan, kind: Literal["episode", "movie"]) -> None:
    """Write every episode or movie page, each in one transaction with its progress."""
    def fetch(start: int) -> Page[PlexItem]:
        return scan.client.items(scan.key, kind=kind, start=start)

    for page in prefetched(fetch, f"plex-{kind}s"):
        scan.check_total(f"{kind}s", page.total)
        items_page(scan, page, listing=f"{kind}s", total=page.total)


def _show_ids(scan: Scan, items: Sequence[PlexItem]) -> dict[str, int]:
    """PlexShow ids of the page's shows, remembered for the run (a few per page are new)."""
    known = scan.show_ids
    keys = {i.show_rating_key for i in items if i.show_rating_key} - known.keys()
    for chunk in batched(keys, CHUNK):
        known.update(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                     .order_by().values_list("rating_key", "id"))
    return known


def items_page(scan: Scan, page: Page[PlexItem], *, listing: str,
               total: int | None = None) -> None:
    """One transaction: the page's items and its rejects; then report it."""
    with transaction.atomic():
        written = items_write_page(scan, page.items, _show_ids(scan, page.items))
        all_known = items_touch_rejected(scan, page.rejects)
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.unchanged += written.unchanged
    if page.rejects:
        scan.reject(page.rejects, "item")
        outcome.complete = outcome.complete and all_known
    scan.report(listing=listing, processed=len(page.items) + len(page.rejects),
                changed=written.changed, skipped=written.unchanged, errors=len(page.rejects),
                total=total)


def flat_tv(scan: Scan) -> None:
    """Shows, then episodes, then every listed show's digest: only after a complete read.

    An incomplete read (a listing that moved under it, an unnameable row) may have missed
    some of a show's items; moving that show's digest and seen time forward would leave them
    behind it, and the next incremental scan would take the show as unchanged and call them
    missing. Left as they were, the shows' present items stay exactly those at or after
    their seen time, and a changed show is expanded next time.
    """
    facts = flat_shows(scan)
    flat_items(scan, "episode")
    if not scan.outcome.complete:
        return
    with transaction.atomic():
        plex_shows_hydrate(scan, facts)
