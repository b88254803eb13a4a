"""Reconcile a TV scan with Plex's own counts before anything may be marked missing.

Offset paging over a library that changes while it is read can skip a row (a row deleted
before the cursor shifts the rest back by one), and a show can drop out of the show listing
the same way. So after the walk, and before finalize:

- every show we hold with present items that the show listing did not name is asked for
  directly: Plex answering 404 means it is gone (finalize may then call its items missing);
- after a flat read, every listed show whose items seen by this scan differ from its
  ``leafCount`` is suspect too.

A suspect show is read again on its own (its row, for a fresh ``leafCount``, then
``allLeaves``); when the two agree its items are written and it is accounted for, and when
they still do not, the scan is incomplete for that show alone: its items stay untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count

from catalog.db.iterables import batched
from catalog.models import MediaItem, PlexShow
from catalog.sync.plex.digests import show_digest
from catalog.sync.plex.items import items_touch_rejected, items_write_page
from catalog.sync.plex.scan import CHUNK, LIVE, Scan, knowable
from catalog.sync.plex.shows import Facts, facts_of, plex_shows_write_page, stored_shows
from integrations.errors import AuthError, NotFoundError, UpstreamError
from integrations.values import Page
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowValue

WORKERS = 4
BATCH = 20  # reconciled shows written per transaction


@dataclass(frozen=True, slots=True)
class Recheck:
    rating_key: str
    show: PlexShowValue | None = None
    leaves: Page[PlexItem] | None = None
    problem: str = ""  # why it could not be reconciled; empty when gone or agreed

    @property
    def gone(self) -> bool:
        return self.show is None and not self.problem


def _stored_ids(scan: Scan) -> dict[str, int]:
    return dict(PlexShow.objects.filter(library_id=scan.library.pk).order_by()
                .values_list("rating_key", "id"))


def _unlisted_held(scan: Scan, stored: dict[str, int]) -> set[str]:
    """Shows we hold with present items that this scan's show listing did not name."""
    unlisted = {pk: rk for rk, pk in stored.items() if rk not in scan.listed}
    held: set[str] = set()
    for chunk in batched(list(unlisted), CHUNK):
        held.update(unlisted[pk] for pk in MediaItem.objects.filter(
            plex_show_id__in=chunk, state__in=LIVE).order_by()
            .values_list("plex_show_id", flat=True).distinct())
    return held


def _miscounted(scan: Scan, stored: dict[str, int]) -> set[str]:
    """Listed shows whose items seen by this scan differ from their leafCount."""
    seen = dict(MediaItem.objects.filter(
        library_id=scan.library.pk, state__in=LIVE, last_seen_at__gte=scan.now,
        plex_show__isnull=False,
    ).order_by().values("plex_show_id").annotate(n=Count("id")).values_list("plex_show_id", "n"))
    return {rk for rk, leaves in scan.listed.items()
            if leaves is not None and rk in stored and seen.get(stored[rk], 0) != leaves}


def _recheck(scan: Scan, rating_key: str) -> Recheck:
    try:
        show = scan.client.show(rating_key)
        leaves = scan.client.show_leaves_page(rating_key)
    except AuthError:
        raise
    except NotFoundError:
        return Recheck(rating_key)
    except UpstreamError as error:
        return Recheck(rating_key, problem=f"re-read failed: {error}")
    rows = len(leaves.items) + len(leaves.rejects)
    if show.leaf_count is not None and rows != show.leaf_count:
        return Recheck(rating_key, problem=f"allLeaves listed {rows} of its "
                                           f"{show.leaf_count} episodes")
    if not all(knowable(r) for r in leaves.rejects):
        return Recheck(rating_key, problem="allLeaves had a row that names nothing")
    return Recheck(rating_key, show, leaves)


def reconcile_tv(scan: Scan, *, flat: bool) -> dict[str, Facts]:
    """Re-read every suspect show; returns the fresh digest facts of the reconciled ones."""
    stored = _stored_ids(scan)
    suspects = _unlisted_held(scan, stored)
    if flat:
        suspects |= _miscounted(scan, stored)
    suspects -= scan.outcome.partial.keys()
    if not suspects:
        return {}
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="plex-reconcile") as pool:
        checks = list(pool.map(lambda rk: _recheck(scan, rk), sorted(suspects)))
    facts: dict[str, Facts] = {}
    for batch in batched(checks, BATCH):
        facts.update(_commit(scan, batch, count=not flat))
    return facts


def _commit(scan: Scan, checks: Sequence[Recheck], *, count: bool) -> dict[str, Facts]:
    """One transaction: the agreeing shows and their items; the others noted."""
    agreed = [c for c in checks if c.show is not None and c.leaves is not None]
    shows = [c.show for c in agreed if c.show is not None]
    leaves = [item for c in agreed if c.leaves is not None for item in c.leaves.items]
    rejects = tuple(r for c in agreed if c.leaves is not None for r in c.leaves.rejects)
    accounted = {c.rating_key: show_digest(c.show, _newest(c.leaves.items))
                 for c in agreed if c.show is not None and c.leaves is not None}
    with transaction.atomic():
        stored = stored_shows(scan.library.pk, accounted)
        written_shows = plex_shows_write_page(scan, shows, stored, accounted)
        written = items_write_page(scan, leaves, written_shows.ids)
        items_touch_rejected(scan, rejects)
        scan.report(listing="reconcile", processed=len(leaves) + len(rejects) if count else 0,
                    changed=written.changed, skipped=written.unchanged,
                    detail={"shows": [c.rating_key for c in checks]})
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.reconciled_shows += len(agreed)
    outcome.gone_shows += sum(c.gone for c in checks)
    scan.gone.update(c.rating_key for c in checks if c.gone)
    for check in checks:
        if check.problem:
            scan.partial_show(check.rating_key, check.problem)
    scan.reject(rejects, "episode")
    return {s.rating_key: facts_of(s) for s in shows}


def _newest(items: Iterable[PlexItem]) -> datetime | None:
    return max((i.updated_at for i in items if i.updated_at is not None), default=None)
