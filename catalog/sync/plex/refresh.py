"""Refreshing a few shows and items of one library, as Plex's notifications name them.

The same writers as the scans (``plex_shows_write_page``, ``items_write_page``), so digests,
states, path mappings and the catalog links come out exactly as a scan would leave them:

- a show: its own row (fresh counts; 404 means Plex deleted it) and its ``allLeaves``, two
  requests; written with its digest when the leaves agree with its ``leafCount``, and the
  items it no longer lists go MISSING; a disagreeing answer is left for the next scan;
- episodes and movies: one ``/library/metadata/{rk,rk,...}`` request per 100; each one Plex
  returns is written (an episode of a show we do not hold yet makes that show's refresh
  instead), each one it no longer has goes MISSING, as ``confirm`` and ``finalize`` would;
  then each show they belong to has its own row read (one request) and its digest set from
  the items we hold, so that the next scan finds it unchanged;
- a season: its episode listing (one request), written like episodes; the season's items it
  no longer lists go MISSING.

Plex is asked by ratingKey, so an answer may be of any section of the server (a notification
naming the wrong section: a confused Plex, a section deleted and its id met again): what the
answer places in another section (its ``librarySectionID``) is never written into this
library, nor marked missing here (a note says where it is): that section's own scan or
notification reads it, and this library's scans settle whether it is still here.

A refresh never moves a library's watermark or its last complete scan: the scheduled scans
stay the net that catches whatever a notification never said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.db.iterables import batched
from catalog.models import MediaItem, PlexLibrary, PlexShow, SyncRun
from catalog.paths.resolve import PathResolver
from catalog.runs import run_progress
from catalog.sync.plex.digests import show_digest
from catalog.sync.plex.items import items_write_page
from catalog.sync.plex.scan import CHUNK, LIVE, Outcome, Scan, knowable
from catalog.sync.plex.shows import newest_children, plex_shows_write_page, stored_shows
from catalog.upstreams.clients import plex_client
from integrations.errors import AuthError, NotFoundError, UpstreamError
from integrations.plex import PlexClient
from integrations.values.plex import PlexItem
from integrations.values.plex import PlexShow as PlexShowRow

PER_REQUEST = 100
State = MediaItem.State


def plex_refresh(run: SyncRun, *, library_id: int, items: Iterable[str] = (),
                 shows: Iterable[str] = (), seasons: Iterable[str] = (),
                 client: PlexClient | None = None, now: datetime | None = None
                 ) -> dict[str, Any]:
    """Refresh these ratingKeys of one library; returns the run's summary."""
    library = PlexLibrary.objects.select_related("server").get(pk=library_id)
    own_client = client is None
    scan = Scan(run, client or plex_client(library.server), library, now or timezone.now(),
                PathResolver(list(library.server.path_mappings.all())),
                Outcome(mode="refresh", reason="Plex notified a change"))
    try:
        todo = set(shows)
        done: set[str] = set()
        for show in sorted(todo):
            done.update(_show(scan, show))
        more, touched = _seasons(scan, sorted(seasons), done)
        found, changed = _items(scan, sorted(set(items) - done))
        more, touched = more | found, touched | changed
        for show in sorted(more - todo):
            _show(scan, show)
        for show in sorted(touched - todo - more):
            _show_row(scan, show)
    finally:
        if own_client:
            scan.client.close()
    summary = scan.outcome.summary()
    run_progress(run, total=run.processed, final=True,
                 event={"event": "refresh_done", "library": library.pk, **summary})
    return summary


def _seasons(scan: Scan, seasons: Sequence[str], done: set[str]) -> tuple[set[str], set[str]]:
    """Refresh seasons by their episode listing (one request each): the episodes are
    written, and the season's items it no longer lists go MISSING. Returns the shows to
    refresh instead (not held yet) and the shows whose items were written; adds the keys it
    read to ``done``."""
    more: set[str] = set()
    touched: set[str] = set()
    for season in seasons:
        try:
            page = scan.client.season_leaves(season)
        except AuthError:
            raise
        except UpstreamError as error:
            scan.outcome.errors.append(f"season {season}: {error}")
            continue
        if page is None:
            continue  # gone: its episodes' own deletions say which
        if len(_here(scan, page.items)) != len(page.items):
            continue  # another section's season: neither written nor emptied here
        done.update(i.rating_key for i in page.items)
        shows = {i.show_rating_key for i in page.items}
        numbers = {i.season_number for i in page.items}
        known = _show_ids(scan, page.items)
        more.update(k for k in shows if k is not None and k not in known)
        if len(shows) != 1 or len(numbers) != 1 or None in shows or not known:
            continue  # empty, mixed or a new show: the show's refresh (or a scan) reads it
        show_key, number = shows.pop(), numbers.pop()
        with transaction.atomic():
            written = items_write_page(scan, page.items, known)
            stale = [] if page.rejects else list(MediaItem.objects.filter(
                plex_show_id=known[show_key], season_number=number, state__in=LIVE,
                last_seen_at__lt=scan.now).order_by().values_list("id", "rating_key"))
            gone = _missing(scan, [pk for pk, _ in stale])
            done.update(rk for _, rk in stale)
            scan.report(listing="refresh_season", processed=len(page.items),
                        changed=written.changed + gone, skipped=written.unchanged,
                        errors=len(page.rejects), detail={"season": season})
        _count(scan, written, gone)
        scan.reject(page.rejects, "item")
        touched.add(show_key)
    return more, touched


def _show(scan: Scan, rating_key: str) -> set[str]:
    """Refresh one show (two requests); returns the ratingKeys of the leaves it listed."""
    try:
        show = scan.client.show(rating_key)
        page = scan.client.show_leaves_page(rating_key)
    except NotFoundError:
        _show_gone(scan, rating_key)
        return set()
    except AuthError:
        raise
    except UpstreamError as error:
        scan.outcome.errors.append(f"show {rating_key}: {error}")
        return set()
    if _elsewhere(scan, show, "show"):
        return set()
    rows = len(page.items) + len(page.rejects)
    if (show.leaf_count is not None and rows < show.leaf_count) or not all(
            knowable(r) for r in page.rejects):
        scan.partial_show(rating_key, f"allLeaves listed {rows} of {show.leaf_count} episodes")
        return set()
    newest = max((i.updated_at for i in page.items if i.updated_at), default=None)
    with transaction.atomic():
        stored = stored_shows(scan.library.pk, [rating_key])
        written_shows = plex_shows_write_page(scan, [show], stored,
                                              {rating_key: show_digest(show, newest)})
        written = items_write_page(scan, page.items, written_shows.ids)
        gone = _leave_behind(scan, written_shows.ids[rating_key], page.items)
        scan.report(listing="refresh_show", processed=len(page.items), changed=written.changed
                    + gone, skipped=written.unchanged, detail={"show": rating_key})
    _count(scan, written, gone)
    scan.outcome.shows += 1
    scan.outcome.expanded_shows += 1
    scan.outcome.placeholders += written_shows.placeholders
    return {i.rating_key for i in page.items} | {r.ref for r in page.rejects}


def _leave_behind(scan: Scan, show_id: int, listed: Sequence[PlexItem]) -> int:
    """The show's live items its allLeaves no longer lists go MISSING (it listed them all)."""
    keys = {i.rating_key for i in listed}
    stale = [pk for pk, rk in MediaItem.objects.filter(
        plex_show_id=show_id, state__in=LIVE, last_seen_at__lt=scan.now,
    ).order_by().values_list("id", "rating_key") if rk not in keys]
    return _missing(scan, stale)


def _show_gone(scan: Scan, rating_key: str) -> None:
    """Plex answered 404 for the show: its live items go MISSING."""
    ids = list(MediaItem.objects.filter(
        library_id=scan.library.pk, plex_show__rating_key=rating_key, state__in=LIVE,
    ).order_by().values_list("id", flat=True))
    with transaction.atomic():
        gone = _missing(scan, ids)
        scan.report(listing="refresh_show", changed=gone, detail={"show": rating_key,
                                                                  "gone": True})
    scan.outcome.gone_shows += 1
    scan.outcome.missing_promoted += gone


def _show_row(scan: Scan, rating_key: str) -> None:
    """After some of its episodes were written: the show's own row (one request) for its
    counts and stamp, and its digest from the items we hold present, when those agree with
    Plex's count; the next scan then finds the show unchanged, as it would after a scan.
    Its seen time stays: the items the refresh did not read were not seen now."""
    try:
        show = scan.client.show(rating_key)
    except NotFoundError:
        _show_gone(scan, rating_key)
        return
    except AuthError:
        raise
    except UpstreamError as error:
        scan.outcome.errors.append(f"show {rating_key}: {error}")
        return
    if _elsewhere(scan, show, "show"):
        return
    with transaction.atomic():
        stored = stored_shows(scan.library.pk, [rating_key])
        written = plex_shows_write_page(scan, [show], stored, {})
        show_id = written.ids[rating_key]
        newest, present = newest_children([show_id]).get(show_id, (None, 0))
        if show.leaf_count is None or present == show.leaf_count:
            PlexShow.objects.filter(pk=show_id, children_hydrated=True).update(
                show_digest=show_digest(show, newest))
        scan.report(listing="refresh_show_row", detail={"show": rating_key})


def _shows_of(scan: Scan, keys: Sequence[str]) -> set[str]:
    """ratingKeys of the shows holding these items (as we hold them)."""
    return set(MediaItem.objects.filter(
        library_id=scan.library.pk, rating_key__in=keys, plex_show__isnull=False,
    ).order_by().values_list("plex_show__rating_key", flat=True).distinct())


def _items(scan: Scan, keys: Sequence[str]) -> tuple[set[str], set[str]]:
    """Refresh episodes and movies by key; returns the shows to refresh instead (an
    episode of a show this library does not hold yet) and the shows whose items changed."""
    shows: set[str] = set()
    touched: set[str] = set()
    for chunk in batched(keys, PER_REQUEST):
        try:
            page = scan.client.items_by_key(chunk)
        except AuthError:
            raise
        except UpstreamError as error:
            scan.outcome.errors.append(f"items {chunk[0]}…: {error}")
            continue
        listed = {i.rating_key for i in page.items} | {r.ref for r in page.rejects}
        page = replace(page, items=_here(scan, page.items))
        known = _show_ids(scan, page.items)
        write = [i for i in page.items if i.show_rating_key is None
                 or i.show_rating_key in known]
        shows.update(i.show_rating_key for i in page.items
                     if i.show_rating_key is not None and i.show_rating_key not in known)
        touched |= _shows_of(scan, chunk) | {i.show_rating_key for i in write
                                             if i.show_rating_key}
        with transaction.atomic():
            written = items_write_page(scan, write, known)
            gone = _missing(scan, _live_ids(scan, [k for k in chunk if k not in listed]))
            scan.report(listing="refresh_items", processed=len(write),
                        changed=written.changed + gone, skipped=written.unchanged,
                        errors=len(page.rejects))
        _count(scan, written, gone)
        scan.reject(page.rejects, "item")
    return shows, touched


def _here(scan: Scan, items: Sequence[PlexItem]) -> tuple[PlexItem, ...]:
    """The items the answer places in this library (or places nowhere)."""
    return tuple(i for i in items if not _elsewhere(scan, i, "item"))


def _elsewhere(scan: Scan, value: PlexItem | PlexShowRow, kind: str) -> bool:
    """True (with a note) when Plex places ``value`` in another section than this library."""
    section = value.section_key
    if section is None or section == scan.library.key:
        return False
    scan.outcome.notes.append(f"{kind} {value.rating_key} is in section {section}, not in "
                              f"this library ({scan.library.key}): not written here")
    return True


def _show_ids(scan: Scan, items: Sequence[PlexItem]) -> dict[str, int]:
    keys = {i.show_rating_key for i in items if i.show_rating_key}
    return dict(PlexShow.objects.filter(library_id=scan.library.pk, rating_key__in=keys)
                .order_by().values_list("rating_key", "id")) if keys else {}


def _live_ids(scan: Scan, keys: Sequence[str]) -> list[int]:
    return list(MediaItem.objects.filter(
        library_id=scan.library.pk, rating_key__in=keys, state__in=LIVE,
    ).order_by().values_list("id", flat=True)) if keys else []


def _missing(scan: Scan, ids: Sequence[int]) -> int:
    """Items Plex no longer has become MISSING now (finalize's word for it); one that a scan
    saw after this refresh began is left to that scan."""
    changed = 0
    for chunk in batched(ids, CHUNK):
        changed += MediaItem.objects.filter(id__in=chunk, state__in=LIVE,
                                            last_seen_at__lt=scan.now).update(
            state=State.MISSING, missing_since=scan.now, last_scan_at=scan.now)
    return changed


def _count(scan: Scan, written: Any, gone: int) -> None:
    outcome = scan.outcome
    outcome.created += written.created
    outcome.updated += written.updated
    outcome.unchanged += written.unchanged
    outcome.missing_promoted += gone
