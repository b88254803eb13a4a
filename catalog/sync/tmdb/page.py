"""Fetching one page of due shows from TMDB: ``/find`` the missing ids, then ``/tv/{id}``.

Nothing is written here; the batch stores the result in the page's transaction. A show TMDB
does not have (no match, or a 404) is "absent"; one ``/find`` cannot decide between several
TMDB shows is "ambiguous" (see ``find``); a found id another show already holds is a conflict
("failed"). An auth error, or several transient errors in a row, stop the batch
after the page's work so far is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from catalog.models import Show
from catalog.sync.tmdb.find import tmdb_id_find
from catalog.sync.tmdb.policy import show_due
from integrations.errors import (
    AuthError,
    NotFoundError,
    RateLimitedError,
    TransientError,
    UpstreamError,
)
from integrations.tmdb import TmdbClient
from integrations.values.tmdb import TmdbShow

MAX_FAILURES_IN_A_ROW = 3
ALWAYS = ("forced", "changed")  # due whatever the row's clock says


@dataclass(slots=True)
class PageFetch:
    refreshed: list[tuple[Show, TmdbShow]] = field(default_factory=list)
    absent: list[Show] = field(default_factory=list)
    failed: list[Show] = field(default_factory=list)
    ambiguous: list[Show] = field(default_factory=list)
    skipped: int = 0
    found: int = 0
    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    abort: UpstreamError | None = None
    in_a_row: int = 0  # transient failures since the last answer

    @property
    def handled(self) -> int:
        return (len(self.refreshed) + len(self.absent) + len(self.failed)
                + len(self.ambiguous) + self.skipped + len(self.errors))

    def error(self, show: Show, exc: UpstreamError) -> None:
        """Count a failed show; stop on bad credentials or an upstream that keeps failing."""
        self.errors.append(f"show {show.pk} ({show.title[:80]}): {exc}")
        if isinstance(exc, AuthError):
            self.abort = exc
        elif isinstance(exc, TransientError | RateLimitedError):
            self.in_a_row += 1
            if self.in_a_row >= MAX_FAILURES_IN_A_ROW:
                self.abort = exc


def _resolve(client: TmdbClient, shows: Sequence[Show], out: PageFetch) -> list[Show]:
    """Give id-less shows their TMDB id (in memory); returns the shows ready to fetch."""
    found: dict[int, Show] = {}
    ready = [s for s in shows if s.tmdb_id is not None]
    for show in (s for s in shows if s.tmdb_id is None):
        if out.abort is not None:
            break
        try:
            result = tmdb_id_find(client, show)
        except UpstreamError as exc:
            out.error(show, exc)
            continue
        out.in_a_row = 0
        if result.note:
            out.notes.append(f"show {show.pk}: {result.note}")
        if result.ambiguous:
            out.ambiguous.append(show)
        elif result.tmdb_id is None:
            out.absent.append(show)
        elif result.tmdb_id in found:
            out.failed.append(show)
            out.conflicts.append(f"show {show.pk}: TMDB {result.tmdb_id} also matches show "
                                 f"{found[result.tmdb_id].pk}")
        else:
            found[result.tmdb_id] = show
    holders = dict(Show.objects.filter(tmdb_id__in=list(found)).values_list("tmdb_id", "pk"))
    for tmdb_id, show in found.items():
        if tmdb_id in holders:
            out.failed.append(show)
            out.conflicts.append(f"show {show.pk}: TMDB {tmdb_id} belongs to show "
                                 f"{holders[tmdb_id]}")
        else:
            show.tmdb_id = tmdb_id
            out.found += 1
            ready.append(show)
    return ready


def page_fetch(client: TmdbClient, shows: Sequence[Show], due: dict[int, str], *,
               now: datetime, ttl: int) -> PageFetch:
    """Fetch the page's shows that are still due (one may have been refreshed meanwhile)."""
    out = PageFetch()
    todo = [s for s in shows if due.get(s.pk) in ALWAYS or show_due(s, now=now, ttl=ttl)]
    out.skipped = len(shows) - len(todo)
    for show in _resolve(client, todo, out):
        if out.abort is not None:
            break
        try:
            tv = client.tv(show.tmdb_id)
        except NotFoundError:
            out.absent.append(show)
            continue
        except UpstreamError as exc:
            out.error(show, exc)
            continue
        out.in_a_row = 0
        out.refreshed.append((show, tv))
    return out
