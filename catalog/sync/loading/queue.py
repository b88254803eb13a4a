"""The load queue: asking for parts, claiming a show, waking loaders, resuming orphans.

A show waits as ``pending`` with the parts still to do and the earliest time it may start
(``loading_next_at``: now, or later after a transient failure). A loader claims it with a
conditional UPDATE whose row count says who won, so no show is ever loaded by two workers.
Loaders are SyncRuns of kind ``load`` with scopes ``slot:0`` .. ``slot:N-1``: the runs'
partial unique constraint caps the cluster at ``LOADER_CONCURRENCY`` loads at once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.db.lists import one_of
from catalog.models import Show, SyncRun
from catalog.models.library import library_q
from catalog.runs import RunInProgress, run_claim, runs_reap
from catalog.runs.enqueue import EnqueueFailed, run_enqueue
from catalog.sync.loading.state import (
    ACTIVE,
    FLAGS,
    LOADING,
    LOADING_PREFIX,
    MAX_TRIES,
    PARTS,
    Status,
    error_line,
    loading_status_for,
    parts_missing,
    parts_valid,
)

log = logging.getLogger(__name__)
SLOT_PREFIX = "slot:"


def _due(now: datetime) -> Q:
    return Q(loading_status=Status.PENDING, loading_next_at__lte=now)


def show_queue(show: Show, parts: Sequence[str], *, now: datetime | None = None) -> bool:
    """Queue ``parts`` of a show not being loaded now; False if it is, or if it changed since
    ``show`` was read (nothing changes then).

    Chosen parts start afresh: their tries and last errors are cleared.
    """
    now = now or timezone.now()
    if not parts:
        return False
    fields = _queue_fields(show, parts, now)
    won = _as_read(show).filter(pk=show.pk).update(**fields)
    if won:
        for name, value in fields.items():
            setattr(show, name, value)
        transaction.on_commit(loaders_kick_safely)
    return bool(won)


def _queue_fields(show: Show, parts: Sequence[str], now: datetime) -> dict[str, Any]:
    """What queuing ``parts`` writes: the chosen parts start afresh, the others keep theirs."""
    return {"loading_status": Status.PENDING, "loading_parts": list(parts),
            "loading_attempts": {p: n for p, n in show.loading_attempts.items()
                                 if p not in parts},
            "loading_errors": {p: e for p, e in show.loading_errors.items() if p not in parts},
            "loading_next_at": now, "loading_owner": "", "loading_changed_at": now,
            "loading_completed_at": None}


def _as_read(show: Show) -> QuerySet[Show]:
    """Rows still as ``show`` was read: a load that ran meanwhile changed status or flags,
    and the parts chosen from the stale copy would load it again."""
    as_read = {FLAGS[p]: getattr(show, FLAGS[p]) for p in PARTS}
    return Show.objects.filter(loading_status=show.loading_status, **as_read).exclude(
        loading_status__in=ACTIVE)


def shows_request_as_read(shows: Sequence[Show]) -> int:
    """:func:`show_request` for many shows just read: one UPDATE per distinct loading state
    (most share one) instead of one per show; returns how many were queued."""
    now = timezone.now()
    groups: dict[str, tuple[Show, list[int]]] = {}
    for show in shows:
        parts = parts_missing(show)
        if parts:
            state = orjson.dumps([show.loading_status, [getattr(show, FLAGS[p]) for p in PARTS],
                                  _queue_fields(show, parts, now)], default=str,
                                 option=orjson.OPT_SORT_KEYS)
            groups.setdefault(state.decode(), (show, []))[1].append(show.pk)
    queued = sum(_as_read(first).filter(pk__in=pks).update(
        **_queue_fields(first, parts_missing(first), now)) for first, pks in groups.values())
    if queued:
        transaction.on_commit(loaders_kick_safely)
    return queued


def shows_queue_new(show_ids: Collection[int]) -> int:
    """Queue every part of the given shows that were never loaded (hook for shows entering
    the library: Plex links, Sonarr decisions); one statement, safe to call on every scan."""
    if not show_ids:
        return 0
    now = timezone.now()
    queued = Show.objects.filter(pk__in=list(show_ids), loading_status=Status.IDLE).update(
        loading_status=Status.PENDING, loading_parts=list(PARTS), loading_next_at=now,
        loading_changed_at=now)
    if queued:
        transaction.on_commit(loaders_kick_safely)
    return queued


def shows_queue_library() -> int:
    """Library shows never loaded (``catalog.models.library``: linked to Plex, ``added``/``exists``
    in Sonarr, or added by an operator) join the queue: the sweep behind the hooks, so a
    writer that forgot to call them is caught within a minute."""
    now = timezone.now()
    queued = Show.objects.filter(loading_status=Status.IDLE).filter(library_q()).update(
        loading_status=Status.PENDING, loading_parts=list(PARTS), loading_next_at=now,
        loading_changed_at=now)
    if queued:
        transaction.on_commit(loaders_kick_safely)
    return queued


def shows_refresh_episodes(show_ids: Collection[int]) -> int:
    """Hook for TVMaze changes: a loaded show TVMaze reports changed (an episode change bumps
    the show) gets its episode list again; one statement per page of the catalog sync."""
    if not show_ids or not _any_loaded(show_ids):
        return 0
    now = timezone.now()
    queued = Show.objects.filter(pk__in=one_of(show_ids), episodes_loaded=True).exclude(
        loading_status__in=ACTIVE).update(
        loading_status=Status.PENDING, loading_parts=["episodes"], loading_next_at=now,
        loading_changed_at=now, loading_attempts={}, loading_completed_at=None)
    if queued:
        transaction.on_commit(loaders_kick_safely)
    return queued


def _any_loaded(show_ids: Collection[int]) -> bool:
    """Whether any of the shows has its episodes loaded: one raw statement, as the catalog
    writer asks on every page and a mirror's pages mostly hold none."""
    listed = one_of(show_ids)
    table = connection.ops.quote_name(Show._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE episodes_loaded = %s "  # noqa: S608
                       f"AND id IN ({listed.sql}) LIMIT 1", [True, *listed.params])
        return cursor.fetchone() is not None


def show_claim_next(*, token: str, now: datetime | None = None) -> int | None:
    """Take the next due show for the loader holding ``token``; None when none is due."""
    for _ in range(5):
        now = now or timezone.now()
        candidates = list(Show.objects.filter(_due(now)).order_by("loading_next_at", "id")
                          .values_list("id", "loading_parts")[:10])
        if not candidates:
            return None
        for pk, parts in candidates:
            first = parts[0] if parts else PARTS[0]
            if Show.objects.filter(_due(now), pk=pk).update(
                    loading_status=loading_status_for(first), loading_owner=token,
                    loading_started_at=now, loading_changed_at=now):
                return pk
        now = None
    return None


def shows_requeue_orphans() -> int:
    """Loads whose loader is gone (killed worker, deploy) go back to the queue, keeping the
    parts still to do; a loader run whose owner died is failed first."""
    runs_reap(kind=SyncRun.Kind.LOAD)
    # One statement with the live owners as a subquery: a list read first could miss a loader
    # that started, and claimed a show, between the read and the update.
    live = SyncRun.objects.filter(kind=SyncRun.Kind.LOAD, status=SyncRun.Status.RUNNING
                                  ).values("owner_token")
    orphans = Show.objects.filter(loading_status__in=LOADING).exclude(loading_owner__in=live)
    requeued = 0
    for pk, status, owner, parts, attempts, errors in orphans.values_list(
            "pk", "loading_status", "loading_owner", "loading_parts", "loading_attempts",
            "loading_errors"):
        # Conditional on the row as read, and on its owner still being gone.
        requeued += orphans.filter(pk=pk, loading_status=status, loading_owner=owner).update(
            **_interrupted(status.removeprefix(LOADING_PREFIX), parts, attempts, errors))
    return requeued


def _interrupted(part: str, parts: list[str], attempts: dict[str, int],
                 errors: dict[str, str]) -> dict[str, Any]:
    """Back to the queue; the part the loader died in counts a try, so a part that kills
    its worker every time (memory, the queue's hard timeout) fails after ``MAX_TRIES``
    instead of taking a loader down forever."""
    now = timezone.now()
    if part in parts:  # else it had committed, and the loader died on its way to the next
        attempts = {**attempts, part: attempts.get(part, 0) + 1}
        if attempts[part] >= MAX_TRIES:
            parts = [p for p in parts if p != part]
            errors = {**errors, part: f"interrupted {attempts[part]} times (its worker was "
                                      "killed or timed out)"}
    return {"loading_status": Status.PENDING, "loading_owner": "", "loading_next_at": now,
            "loading_changed_at": now, "loading_parts": parts, "loading_attempts": attempts,
            "loading_errors": errors, "loading_error": error_line(errors)}


def _enqueue(run: SyncRun) -> bool:
    try:
        run_enqueue(run, "catalog.tasks.load_shows_task", "load")
    except EnqueueFailed:
        return False
    return True


def loaders_kick(*, now: datetime | None = None) -> list[int]:
    """Start loaders for due shows, up to ``LOADER_CONCURRENCY`` active in the cluster;
    returns the ids of the runs started."""
    now = now or timezone.now()
    limit = settings.LOADER_CONCURRENCY
    active = set(SyncRun.objects.filter(kind=SyncRun.Kind.LOAD, status__in=SyncRun.ACTIVE)
                 .values_list("scope", flat=True))
    if len(active) >= limit:
        return []
    due = len(Show.objects.filter(_due(now)).values_list("id", flat=True)[:limit])
    wanted = min(limit, due) - len(active)
    started: list[int] = []
    for slot in range(limit):
        scope = f"{SLOT_PREFIX}{slot}"
        if len(started) >= wanted:
            break
        if scope in active:
            continue
        try:
            run = run_claim(kind=SyncRun.Kind.LOAD, scope=scope, triggered_by="loader")
        except RunInProgress:
            continue
        if not _enqueue(run):
            break  # the queue is down: the minute resume tries again
        started.append(run.pk)
    return started


def loaders_kick_safely() -> None:
    """For ``on_commit``: a failure to wake loaders must not fail the request that queued;
    the every-minute resume picks the shows up anyway."""
    try:
        loaders_kick()
    except Exception:
        log.exception("could not start loaders; the minute schedule will")


def show_request(show: Show, parts: Sequence[str] | None = None) -> bool:
    """Queue the chosen parts, or else the missing and failed ones; False if nothing queued
    (everything loaded, or the show is already queued or loading)."""
    return show_queue(show, parts_valid(parts) if parts else parts_missing(show))


def shows_request(show_ids: Collection[int], parts: Sequence[str] | None = None) -> int:
    """Bulk :func:`show_request`: the chosen parts, else each show's missing and failed ones;
    shows being loaded are left alone. One UPDATE per combination of flags (at most 16)."""
    now = timezone.now()
    idle = Show.objects.filter(pk__in=list(show_ids)).exclude(loading_status__in=ACTIVE)
    fields = {"loading_status": Status.PENDING, "loading_attempts": {}, "loading_errors": {},
              "loading_error": "", "loading_next_at": now, "loading_owner": "",
              "loading_changed_at": now, "loading_completed_at": None}
    if parts:
        queued = idle.update(loading_parts=parts_valid(parts), **fields)
    else:
        queued = 0
        flags = [FLAGS[p] for p in PARTS]
        for combo in idle.order_by().values_list(*flags).distinct():
            missing = [p for p, loaded in zip(PARTS, combo, strict=True) if not loaded]
            if missing:
                queued += idle.filter(**dict(zip(flags, combo, strict=True))).update(
                    loading_parts=missing, **fields)
    if queued:
        transaction.on_commit(loaders_kick_safely)
    return queued
