"""A loader: claim a due show, run its parts one by one, record each part, repeat.

Each part reads upstream first, then commits its rows, its flag and the run's progress in one
transaction that also checks the show is still ours. Transient failures (after the HTTP
layer's own retries) send the part back to the queue with exponential backoff, up to
``MAX_TRIES`` tries; anything else fails the part at once with its reason. The other parts
go on either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Show, SyncRun
from catalog.runs import RunCancelled, RunLost, run_progress
from catalog.sync.loading import artwork, parts
from catalog.sync.loading.parts import Clients, PartFailed
from catalog.sync.loading.queue import show_claim_next, shows_requeue_orphans
from catalog.sync.loading.state import (
    FLAGS,
    MAX_TRIES,
    PARTS,
    Status,
    error_line,
    loading_status_for,
    outcome,
)
from integrations import metrics
from integrations.errors import UpstreamError

log = logging.getLogger(__name__)
TMDB_FIRST = ("metadata", "facts", "episodes", "artwork")


class ShowLost(Exception):
    """The show is no longer held by this loader (requeued as an orphan, or reset)."""


def clients_build() -> Clients:
    from catalog.upstreams.clients import image_downloader, tmdb_client, tvmaze_client

    try:
        tmdb = tmdb_client()
    except (ValueError, UpstreamError):  # no key configured: the TMDB parts fail saying so
        tmdb = None
    return Clients(tvmaze=tvmaze_client(), tmdb=tmdb, images=image_downloader())


def _ours(show: Show, token: str) -> Any:
    return Show.objects.filter(pk=show.pk, loading_owner=token)


def _run_part(show: Show, part: str, clients: Clients) -> Callable[[], None]:
    """Do a part's upstream reads; return the write to run inside the part's transaction."""
    if part == "facts":
        tv = parts.fetch_facts(show, clients)
        return lambda: parts.write_facts(show, tv)
    if part == "episodes":
        episodes = parts.fetch_episodes(show, clients)
        return lambda: parts.write_episodes(show, episodes)
    if part == "metadata":
        parts.fetch_metadata(show, clients, force=show.tmdb_loaded)
        return lambda: None
    plan = artwork.fetch_artwork(show, clients)
    old = dict(show.artwork)

    def write() -> None:
        Show.objects.filter(pk=show.pk).update(artwork=plan.wanted, logo_path=plan.logo_path)
        transaction.on_commit(lambda: artwork.artwork_cleanup(show.pk, old, plan.wanted))
        show.artwork = plan.wanted
    return write


def _failure(exc: Exception) -> tuple[str, bool]:
    """The reason to record and whether another try may help."""
    if isinstance(exc, UpstreamError):
        return str(exc), not exc.permanent
    if isinstance(exc, PartFailed):
        return str(exc), False
    log.exception("loading part crashed")
    return f"internal error: {type(exc).__name__}", False


def _record(run: SyncRun, show: Show, part: str, write: Callable[[], None] | None,
            error: str | None, retry: bool) -> None:
    """Commit one part's outcome together with its writes and the run's progress."""
    now = timezone.now()
    remaining = [p for p in show.loading_parts if p != part]
    errors, attempts = dict(show.loading_errors), dict(show.loading_attempts)
    fields: dict[str, Any] = {"loading_changed_at": now}
    if error is None:
        errors.pop(part, None)
        attempts.pop(part, None)
        fields[FLAGS[part]] = True
    else:
        errors[part] = error[:500]
        attempts[part] = attempts.get(part, 0) + 1
        if retry and attempts[part] < MAX_TRIES:
            remaining.append(part)  # tried again once the others are done, after a backoff
    fields.update(loading_parts=remaining, loading_errors=errors, loading_attempts=attempts,
                  loading_error=error_line(errors))
    with transaction.atomic():
        if not _ours(show, run.owner_token).update(**fields):
            raise ShowLost(f"show {show.pk} is no longer ours")
        if write is not None:
            write()
        run_progress(run, errors=0 if error is None else 1,
                     event={"event": "part", "show": show.pk, "part": part,
                            "ok": error is None})
    for name, value in fields.items():
        setattr(show, name, value)


def retry_delay(tries: int) -> timedelta:
    """Exponential backoff after ``tries`` failed tries: base, 2 x base, 4 x base ..."""
    return timedelta(seconds=settings.LOADER_RETRY_SECONDS * 2 ** max(0, tries - 1))


def _finish(run: SyncRun, show: Show) -> str:
    """Back to the queue when retries wait (backoff), else the outcome."""
    now = timezone.now()
    retrying = [p for p in show.loading_parts if show.loading_attempts.get(p)]
    if retrying:
        tries = max(show.loading_attempts[p] for p in retrying)
        fields: dict[str, Any] = {"loading_status": Status.PENDING, "loading_owner": "",
                                  "loading_next_at": now + retry_delay(tries)}
    else:
        show.loading_parts = []
        fields = {"loading_status": outcome(show), "loading_owner": "", "loading_parts": [],
                  "loading_completed_at": now}
    fields["loading_changed_at"] = now
    with transaction.atomic():
        if not _ours(show, run.owner_token).update(**fields):
            raise ShowLost(f"show {show.pk} is no longer ours")
        done = fields["loading_status"] != Status.PENDING
        run_progress(run, processed=1 if done else 0, changed=1 if done else 0)
    return fields["loading_status"]


def show_load(run: SyncRun, show_id: int, clients: Clients) -> str:
    """Run a claimed show's parts in order; returns where it ended (an outcome or pending)."""
    show = Show.objects.filter(pk=show_id).first()
    if show is None:
        raise ShowLost(f"show {show_id} was deleted")
    sequence = PARTS
    if not (show.tvmaze_id or show.tvdb_id or show.imdb_id):
        sequence = TMDB_FIRST  # a TMDB-only add: metadata brings the ids facts look up by
    order = [p for p in sequence if p in show.loading_parts]
    for part in order:
        if not _ours(show, run.owner_token).update(
                loading_status=loading_status_for(part), loading_changed_at=timezone.now()):
            raise ShowLost(f"show {show.pk} is no longer ours")
        try:
            write, error, retry = _run_part(show, part, clients), None, False
        except (RunLost, ShowLost):
            raise
        except Exception as exc:
            write, (error, retry) = None, _failure(exc)
        try:
            _record(run, show, part, write, error, retry)
        except (RunLost, RunCancelled, ShowLost):
            raise
        except Exception as exc:  # the write found a clash (rolled back): the part failed
            _record(run, show, part, None, *_failure(exc))
    return _finish(run, show)


def loader_work(run: SyncRun, *, clients: Clients | None = None) -> dict[str, Any]:
    """Drain the queue: one show after another until none is due."""
    shows_requeue_orphans()
    clients = clients or clients_build()
    before = metrics.snapshot()
    counts: dict[str, Any] = {"shows": 0, "completed": 0, "partial": 0, "failed": 0,
                              "retrying": 0}
    while (show_id := show_claim_next(token=run.owner_token)) is not None:
        try:
            ended = show_load(run, show_id, clients)
        except ShowLost as exc:
            log.warning("%s; moving on", exc)
            continue
        counts["shows"] += 1
        counts["retrying" if ended == Status.PENDING else ended] += 1
    after = metrics.snapshot()
    spent = {name: after[name].get("requests", 0) - before.get(name, {}).get("requests", 0)
             for name in after}
    counts["upstream_requests"] = {name: n for name, n in spent.items() if n}
    return counts
