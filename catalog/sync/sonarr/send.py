"""Sending adds: ``series/import`` in batches (a rejected batch is split to isolate the
series at fault), or lookup + ``POST /series`` one at a time when the server lacks it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.models import Decision
from catalog.sync.sonarr.outcomes import Item, Outcomes
from integrations.errors import AuthError, RateLimitedError, TransientError
from integrations.sonarr import SonarrClient
from integrations.values.sonarr import AddOptions, AddOutcome

S = Decision.Status
BATCH = 100


@dataclass(slots=True)
class Send:
    """One series to add: the decision that sends it, those that follow its outcome (same
    series wanted by several rules of this server), the add body and options."""

    item: Item
    followers: list[Item]
    body: dict[str, Any]
    options: AddOptions


class Stop(Exception):
    """A transient failure: stop sending for this run; the rest waits for the next one."""


def _settle(out: Outcomes, send: Send, status: str, *, reason: str = "",
            series_id: int | None = None) -> None:
    out.set(send.item, status, reason=reason, series_id=series_id)
    for follower in send.followers:
        follower_status = S.EXISTS if status == S.ADDED else status
        out.set(follower, follower_status, reason=reason, series_id=series_id)


def _rejected(out: Outcomes, send: Send, outcome: AddOutcome | None, message: str) -> None:
    if outcome is AddOutcome.EXISTS:
        _settle(out, send, S.EXISTS, reason=message)
    elif outcome is AddOutcome.NOT_FOUND:
        for item in (send.item, *send.followers):
            out.no_tvdb(item, message)
    else:
        _settle(out, send, S.FAILED, reason=message)


def _retry(out: Outcomes, sends: list[Send], message: str) -> None:
    for send in sends:
        for item in (send.item, *send.followers):
            out.retry(item, message)


def import_sends(client: SonarrClient, sends: list[Send], out: Outcomes) -> None:
    """One claimed batch through ``series/import``. Raises UnsupportedError (before anything
    is sent: the caller falls back), AuthError, or Stop after recording a transient batch."""
    if not sends:
        return
    try:
        _import(client, sends, out, _Library(client))
    except (TransientError, RateLimitedError) as exc:
        held = out.held()
        _retry(out, [s for s in sends if s.item.id not in held], str(exc))
        raise Stop(str(exc)) from None


def _import(client: SonarrClient, sends: list[Send], out: Outcomes, library: _Library) -> None:
    """POST the batch; a 400 settles the series it blames (each by its own error, or as
    existing when someone else added it), then sends the rest again, or halves a batch
    whose fault it cannot place."""
    answer = client.import_batch([s.body for s in sends])
    whole = len(sends)
    if not answer.rejected:
        _accepted(sends, answer.added, out, library)
        return
    if answer.in_use or any(o is AddOutcome.EXISTS for o, _ in answer.failures.values()):
        # Someone else added some of them since the library was read: one read tells which.
        found = [s for s in sends if library.id_of(s.item.tvdb_id) is not None]
        for send in found:
            _settle(out, send, S.EXISTS, reason="already in Sonarr",
                    series_id=library.id_of(send.item.tvdb_id))
        sends = [s for s in sends if s not in found]
    named = [s for s in sends if (s.item.tvdb_id or 0) in answer.failures]
    for send in named:  # each series settled by its own error
        outcome, message = answer.failures[send.item.tvdb_id or 0]
        _rejected(out, send, outcome, message)
    rest = [s for s in sends if s not in named]
    if not rest:
        return
    if len(rest) < whole:
        _import(client, rest, out, library)
    elif len(rest) == 1:
        _rejected(out, rest[0], answer.outcome, answer.message)
    else:
        middle = len(rest) // 2
        _import(client, rest[:middle], out, library)
        _import(client, rest[middle:], out, library)


def _accepted(sends: list[Send], added: Mapping[int, int], out: Outcomes,
              library: _Library) -> None:
    """A 2xx: what it names is added; what it skipped silently is looked up in one read."""
    for send in sends:
        series_id = added.get(send.item.tvdb_id or 0)
        if series_id:
            _settle(out, send, S.ADDED, reason="added", series_id=series_id)
            continue
        series_id = library.id_of(send.item.tvdb_id)
        if series_id is not None:  # added by someone else since the library was read
            _settle(out, send, S.EXISTS, reason="already in Sonarr", series_id=series_id)
        else:
            _retry(out, [send], "not in Sonarr's import answer; checked again next run")


class _Library:
    """Sonarr's library read again at most once per batch, when an answer asks for it."""

    def __init__(self, client: SonarrClient) -> None:
        self._client = client
        self._ids: dict[int, int] | None = None

    def id_of(self, tvdb_id: int | None) -> int | None:
        if self._ids is None:
            self._ids = {s.tvdb_id: s.id for s in self._client.series()}
        return self._ids.get(tvdb_id or 0)


def add_each(client: SonarrClient, sends: list[Send], *, is_v4: bool, out: Outcomes) -> None:
    """The fallback: lookup then POST /series for each; a transient failure stops."""
    for send in sends:
        try:
            _add_one(client, send, is_v4=is_v4, out=out)
        except (TransientError, RateLimitedError) as exc:
            _retry(out, [send], str(exc))
            raise Stop(str(exc)) from None


def _add_one(client: SonarrClient, send: Send, *, is_v4: bool, out: Outcomes) -> None:
    series = client.lookup_tvdb(send.item.tvdb_id or 0)
    if series is None:
        for item in (send.item, *send.followers):
            out.no_tvdb(item, "Sonarr's lookup does not know this TVDB id")
        return
    if series.in_library:
        _settle(out, send, S.EXISTS, reason="already in Sonarr", series_id=series.id)
        return
    result = client.add(series, send.options, is_v4=is_v4)
    if result.outcome is AddOutcome.ADDED:
        _settle(out, send, S.ADDED, reason="added", series_id=result.series_id)
    elif result.outcome is AddOutcome.AUTH:
        raise AuthError(result.message, upstream="sonarr")
    elif result.outcome is AddOutcome.TRANSIENT:
        raise TransientError(result.message, upstream="sonarr")
    else:
        _rejected(out, send, result.outcome, result.message)
