"""The last check before finalize: ask Plex by ratingKey for every item about to go missing.

Listings and expansions are read at different instants; an episode moved from a show not yet
expanded to one already touched, or a row that slid past an offset, is not seen by either,
although Plex still lists it. So the few items a complete scan did not see are asked for
directly (``/library/metadata/{rk,rk,…}``, 100 per request): the ones Plex still has are
written (or, when their show is not one we can account for, kept seen); only the ones it no
longer has are left for finalize to call missing. Items of shows Plex answered 404 for are
known gone and are not asked for again.
"""

from __future__ import annotations

from django.db import transaction

from catalog.db.iterables import batched
from catalog.models import MediaItem, PlexShow
from catalog.sync.plex.flat import placed
from catalog.sync.plex.items import items_touch_rejected, items_write_page
from catalog.sync.plex.scan import CHUNK, LIVE, Scan

PER_REQUEST = 100


def _show_ids(scan: Scan, keys: set[str]) -> list[int]:
    ids: list[int] = []
    for chunk in batched(sorted(keys), CHUNK):
        ids.extend(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=chunk)
                   .order_by().values_list("id", flat=True))
    return ids


def unseen_keys(scan: Scan) -> list[str]:
    """ratingKeys finalize would call missing, but for the shows known gone or left alone."""
    skip = _show_ids(scan, set(scan.outcome.partial) | scan.gone)
    return list(MediaItem.objects.filter(
        library_id=scan.library.pk, state__in=LIVE, last_seen_at__lt=scan.now,
    ).exclude(plex_show_id__in=skip).order_by().values_list("rating_key", flat=True))


def confirm_unseen(scan: Scan) -> None:
    """Write the unseen items Plex still has; the rest stay unseen for finalize."""
    for keys in batched(unseen_keys(scan), PER_REQUEST):
        page = scan.client.items_by_key(keys)
        items, show_ids = placed(scan, page.items)
        kept = {i.rating_key for i in page.items} - {i.rating_key for i in items}
        with transaction.atomic():
            written = items_write_page(scan, items, show_ids)
            items_touch_rejected(scan, page.rejects)
            MediaItem.objects.filter(library_id=scan.library.pk, rating_key__in=kept,
                                     last_seen_at__lt=scan.now).update(last_seen_at=scan.now)
            scan.report(listing="confirm", changed=written.changed,
                        detail={"asked": len(keys), "still_listed": len(page.items)})
        outcome = scan.outcome
        outcome.confirmed += len(page.items) + len(page.rejects)
        outcome.created += written.created
        outcome.updated += written.updated
