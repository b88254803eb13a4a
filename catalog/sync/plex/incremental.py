"""The incremental scan of a TV library: ask Plex only about what changed.

One paged listing of the episodes updated (or added: Plex stamps updatedAt on add) since the
watermark (the newest ``updatedAt`` Plex itself reported when the last complete scan began,
minus a margin where it can matter: Plex's clock only, never ours; see ``watermark``) names
the shows to look at; then the show
listing, page by page. A show is expanded (``allLeaves``: one request for all its episodes
with their media) when its digest changed, it was never hydrated, that listing named one of
its episodes, or Plex counts a different number of episodes than we hold present (which
heals an item wrongly called missing). Every other show costs nothing: its present items are
counted as seen with one bulk touch per page. A failed expansion is counted and skipped, and
makes the scan incomplete (nothing is marked missing, and the next scan looks at the show
again); an expansion that disagrees with the show's leafCount, or an unreadable show row,
makes it incomplete for that show only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.db import transaction
from django.db.models import F

from catalog.db.commits import commit_without_waiting
from catalog.models import MediaItem
from catalog.runs import run_progress
from catalog.sync.plex.digests import show_digest
from catalog.sync.plex.items import items_changed, items_touch_rejected, items_write_page
from catalog.sync.plex.scan import LIVE, Scan, knowable, prefetched
from catalog.sync.plex.shows import (
    StoredShow,
    items_touch_unchanged_shows,
    newest_children,
    plex_shows_write_page,
    stored_shows,
)
from catalog.sync.plex.verify import verify_tv
from catalog.sync.plex.watermark import note_read, watermark_since
from integrations.errors import AuthError, UpstreamError
from integrations.values import Page, Reject
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowValue

EXPAND_WORKERS = 4  # allLeaves requests in flight at once when a page has several to expand
Expansion = Page[PlexItem] | UpstreamError


def named_shows(scan: Scan, since: datetime) -> set[str]:
    """ratingKeys of the shows with an episode updated or added after ``since`` that we do
    not hold as Plex lists it (the margin re-lists the last scan's newest rows each time)."""
    names: set[str] = set()
    listed = 0
    for page in scan.client.iter_items(scan.key, kind="episode", updated_since=since):
        listed += len(page.items)
        note_read(scan, page.items)
        names.update(i.show_rating_key for i in items_changed(scan, page.items)
                     if i.show_rating_key)
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
    named = named_shows(scan, watermark_since(scan))
    pages = prefetched(lambda start: scan.client.shows(scan.key, start=start), "plex-shows")
    with ThreadPoolExecutor(max_workers=EXPAND_WORKERS, thread_name_prefix="plex-expand") as pool:
        for page in pages:
            scan.check_total("shows", page.total)
            scan.listed.update((s.rating_key, s.leaf_count) for s in page.items)
            scan.listed.update((r.ref, None) for r in page.rejects if knowable(r))
            stored = stored_shows(scan.library.pk, (s.rating_key for s in page.items))
            present = newest_children([old.id for old in stored.values()])
            todo = [s for s in page.items
                    if _needs_expansion(s, stored.get(s.rating_key), present, named)]
            expansions = dict(zip((s.rating_key for s in todo),
                                  pool.map(lambda s: _expand(scan, s), todo), strict=True))
            _commit(scan, page, stored, expansions)
    verify_tv(scan)  # after the walk: it knows which shows it must leave alone


def _needs_expansion(show: PlexShowValue, old: StoredShow | None,
                     present: Mapping[int, tuple[datetime | None, int]], named: set[str]) -> bool:
    if old is None or not old.hydrated or show.rating_key in named:
        return True
    newest, count = present.get(old.id, (None, 0))
    if show.leaf_count is not None and count != show.leaf_count:
        return True  # Plex counts episodes we do not hold present (or the reverse)
    return show_digest(show, newest) != old.digest


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
    return page


def _disagrees(show: PlexShowValue, page: Page[PlexItem]) -> str:
    """Why an expansion cannot account for its show ("" when it can): fewer rows than the
    show listing's leafCount, or a row that names nothing."""
    rows = len(page.items) + len(page.rejects)
    if show.leaf_count is not None and rows < show.leaf_count:
        return f"allLeaves listed {rows} of its {show.leaf_count} episodes"
    if not all(knowable(r) for r in page.rejects):
        return "allLeaves had a row that names nothing"
    return ""


def _newest(items: Sequence[PlexItem]) -> datetime | None:
    return max((i.updated_at for i in items if i.updated_at is not None), default=None)


def _commit(scan: Scan, page: Page[PlexShowValue], stored: Mapping[str, StoredShow],
            expansions: Mapping[str, Expansion]) -> None:
    """One transaction for the page: unchanged shows touched, shows written, leaves written,
    progress reported. An unreadable show row's items are left as they are (Plex still has
    the show; we cannot tell what it holds), and so are those of a disagreeing expansion."""
    shows = {s.rating_key: s for s in page.items}
    done = {rk: e for rk, e in expansions.items() if isinstance(e, Page)}
    failed = {rk: e for rk, e in expansions.items() if not isinstance(e, Page)}
    scan.failed.update(failed)
    for rk, expansion in list(done.items()):
        problem = _disagrees(shows[rk], expansion)
        if problem:
            scan.partial_show(rk, problem)
            del done[rk]
    for reject in page.rejects:
        if knowable(reject):
            scan.partial_show(reject.ref, f"unreadable show row: {reject.reason}")
    accounted = {rk: show_digest(shows[rk], _newest(p.items)) for rk, p in done.items()}
    unchanged = [rk for rk in shows if rk in stored and rk not in expansions]
    accounted.update((rk, stored[rk].digest) for rk in unchanged)
    leaves = [item for p in done.values() for item in p.items]
    rejects = tuple(r for p in done.values() for r in p.rejects)
    with transaction.atomic():
        commit_without_waiting()
        touched = items_touch_unchanged_shows(scan, [stored[rk].id for rk in unchanged])
        written_shows = plex_shows_write_page(scan, page.items, stored, accounted)
        written = items_write_page(scan, leaves, written_shows.ids)
        items_touch_rejected(scan, rejects)
        _flag_failed(scan, [stored[rk].id for rk in failed if rk in stored])
        scan.report(listing="shows", processed=len(leaves) + touched + len(rejects),
                    changed=written.changed, skipped=written.unchanged + touched,
                    errors=len(failed) + len(rejects) + len(page.rejects))
    _account(scan, page, failed, written_shows.placeholders, rejects)
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.unchanged += written.unchanged
    outcome.seen_unchanged_shows += touched
    outcome.expanded_shows += len(expansions) - len(failed)


def _account(scan: Scan, page: Page[PlexShowValue], failed: Mapping[str, UpstreamError],
             placeholders: int, rejects: tuple[Reject, ...]) -> None:
    """Errors and completeness of a committed page."""
    outcome = scan.outcome
    outcome.shows += len(page.items)
    outcome.placeholders += placeholders
    outcome.errors.extend(f"show {rk}: expansion failed: {error}" for rk, error in failed.items())
    scan.reject(page.rejects, "show")
    scan.reject(rejects, "episode")
    unknown_show = not all(knowable(r) for r in page.rejects)
    outcome.complete = outcome.complete and not failed and not unknown_show


def _flag_failed(scan: Scan, show_ids: list[int]) -> None:
    """Note the failure on the show's items, leaving their state and seen time alone."""
    if show_ids:
        MediaItem.objects.filter(plex_show_id__in=show_ids, state__in=LIVE).update(
            error_count=F("error_count") + 1,
            last_error=f"Plex expansion failed in scan run {scan.run.pk}")
