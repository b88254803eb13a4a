"""Which work a run of each kind does: a registry that ``catalog.sync.dispatch`` fills.

Runs sit below the syncs: they claim, lease, execute and enqueue, but never name an
orchestrator. ``catalog.sync.dispatch`` registers one row per kind when it is imported, and
the app's ``ready()`` imports it, so every process (web, worker, command) has the rows
before it runs anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalog.models import SyncRun

Work = Callable[[SyncRun], dict[str, Any]]
Scope = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class WorkRow:
    """What a run of one kind executes, the upstream it counts requests against, and how
    its options name the scope (one active run per kind and scope)."""

    work: Work
    upstream: str
    scope: Scope


_ROWS: dict[str, WorkRow] = {}


def register_work(kind: str, work: Work, *, upstream: str, scope: Scope) -> None:
    """Register (or replace) the work of one kind."""
    _ROWS[kind] = WorkRow(work=work, upstream=upstream, scope=scope)


def work_for(kind: str) -> WorkRow:
    """The registered row of a kind; LookupError names the kind when nothing registered it."""
    try:
        return _ROWS[kind]
    except KeyError:
        raise LookupError(f"no work is registered for runs of kind {kind!r} "
                          "(catalog.sync.dispatch registers it when the app is ready)") from None


def upstream_of(kind: str) -> str | None:
    """The upstream a kind's runs call, None for a kind nothing registered."""
    row = _ROWS.get(kind)
    return row.upstream if row else None
