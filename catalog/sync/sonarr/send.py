"""Sending adds: ``series/import`` in batches (a rejected batch is split to isolate the
series at fault), or lookup + ``POST /series`` one at a time when the server lacks it."""

from __future__ import annotations

from collections.abc import Callable
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


def import_all(client: SonarrClient, sends: list[Send],
               flush: Callable[[Outcomes, int], None], out: Outcomes) -> None:
    """Batches of ``BATCH``, each written with its progress. Raises UnsupportedError (the
    caller falls back), AuthError, or Stop after recording a transient batch."""
    for start in range(0, len(sends), BATCH):
        batch = sends[start:start + BATCH]
        out.mark_sending([i for s in batch for i in (s.item, *s.followers)])
        try:
            _import(client, batch, out)
        except (TransientError, RateLimitedError) as exc:
            done = {(r[0], r[1]) for r in out.rows}
            _retry(out, [s for s in batch if (s.item.show_id, s.item.rule_id) not in done],
                   str(exc))
            flush(out, _items(batch))
            raise Stop(str(exc)) from None
        flush(out, _items(batch))


def _items(sends: list[Send]) -> int:
    return sum(1 + len(s.followers) for s in sends)


def _import(client: SonarrClient, sends: list[Send], out: Outcomes) -> None:
    answer = client.import_batch([s.body for s in sends])
    if not answer.rejected:
        for send in sends:
            series_id = answer.added.get(send.item.tvdb_id or 0)
            if series_id:
                _settle(out, send, S.ADDED, reason="added", series_id=series_id)
            else:  # skipped silently: the next run's library read tells what happened
                _retry(out, [send], "not in Sonarr's import answer; checked again next run")
        return
    if len(sends) == 1:
        series_id = (client.series_id_for(sends[0].item.tvdb_id or 0)
                     if answer.in_use else None)
        if series_id:  # added by someone else since the library was read
            _settle(out, sends[0], S.EXISTS, reason="already in Sonarr", series_id=series_id)
        else:
            _rejected(out, sends[0], answer.outcome, answer.message)
        return
    blamed = [s for s in sends if s.item.tvdb_id in answer.failed_tvdb]
    if blamed and len(blamed) < len(sends):
        for send in blamed:
            _rejected(out, send, answer.outcome, answer.message)
        _import(client, [s for s in sends if s not in blamed], out)
        return
    middle = len(sends) // 2
    _import(client, sends[:middle], out)
    _import(client, sends[middle:], out)


def add_one_by_one(client: SonarrClient, sends: list[Send], *, is_v4: bool,
                   flush: Callable[[Outcomes, int], None], out: Outcomes) -> None:
    """The fallback: lookup then POST /series for each; a transient failure stops."""
    waiting: list[Send] = []
    for send in sends:
        waiting.append(send)
        out.mark_sending([send.item, *send.followers])
        try:
            _add_one(client, send, is_v4=is_v4, out=out)
        except (TransientError, RateLimitedError) as exc:
            _retry(out, [send], str(exc))
            flush(out, _items(waiting))
            raise Stop(str(exc)) from None
        if len(waiting) == 20:
            flush(out, _items(waiting))
            waiting = []
    if waiting:
        flush(out, _items(waiting))


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
