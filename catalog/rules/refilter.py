"""Refilter: re-decide every show against one rule from the stored facts (zero requests).

Chunk by chunk, each in one transaction with the run's progress; the rule's ``applied_hash``
is written with the last chunk, so a refilter cut short is noticed and done again. When the
rule is saved again while this runs (its filters, its server, its approval), the pass is
repeated with the rule as it is then.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import DiscoveryRule, Show, SyncRun
from catalog.rules.decide import (
    RuleView,
    decide_rows,
    last_show_id,
    rule_view,
    show_range,
    statistics_refresh,
)
from catalog.runs import run_progress

CHUNK = 5_000
MAX_PASSES = 3
GROWTH = 8  # how much wider than the last a chunk's id range may be
CHUNK_ATTEMPTS = 3  # a chunk whose shows were deleted under it is read again


def next_width(width: int, found: int, chunk: int) -> int:
    """The next chunk's id range, sized to hold about ``chunk`` shows at the density the last
    one found: ids thin out (PostgreSQL's upserts use up an id each, deletions leave holes),
    and a range of ``chunk`` ids would then hold a handful of shows, each chunk a transaction
    of its own. Never narrower than ``chunk`` ids (which never hold more than ``chunk``)."""
    wider = width * GROWTH
    return max(chunk, min(wider, width * chunk // found) if found else wider)


def _chunk(run: SyncRun, view: RuleView, first: int, last: int, chunk: int
           ) -> tuple[list[tuple], int, int, int]:
    """Read, decide, write and report the shows of one id range as one transaction; (rows,
    the range's real end, evaluated, changed). A show deleted by another transaction
    between the read and the write (PostgreSQL; SQLite's writers hold the database from
    BEGIN) fails the write on its key: the chunk is done again without it."""
    attempt = 1
    while True:
        try:
            with transaction.atomic():
                rows = show_range(first, last, limit=chunk)
                # cut by the limit, the chunk ends at its last show
                end = rows[-1][0] if len(rows) == chunk else last
                evaluated, changed = decide_rows(rows, [view], now=timezone.now(),
                                                 span=(first, end))
                if evaluated or not rows:  # none evaluated of some: the rule is gone
                    run_progress(run, processed=min(len(rows), run.total - run.processed),
                                 changed=changed)
                return rows, end, evaluated, changed
        except IntegrityError:
            if attempt == CHUNK_ATTEMPTS:
                raise
            attempt += 1


def rule_refilter(run: SyncRun, *, rule_id: int, chunk: int = CHUNK) -> dict[str, Any]:
    """Re-decide every show for the rule; returns the summary the run keeps."""
    passes = 0
    while passes < MAX_PASSES:
        rule = DiscoveryRule.objects.filter(pk=rule_id).first()
        if rule is None:
            return {"rule": rule_id, "missing": True}
        view, saved_at = rule_view(rule), rule.updated_at
        passes += 1
        with transaction.atomic():
            run_progress(run, total=(run.total or 0)
                         + Show.objects.filter(tvmaze_id__isnull=False).count())
        # Chunks are id ranges, not "the next n after": without statistics, or with stale
        # ones, a database may read every later show to find the next n (or the next id).
        after, last, width, refreshed = 0, last_show_id(), chunk, False
        while after < last:
            rows, end, evaluated, changed = _chunk(run, view, after + 1, after + width, chunk)
            if rows and not evaluated:  # decide_rows found the rule deleted meanwhile
                return {"rule": rule_id, "missing": True}
            if changed and not refreshed:  # the rule's decisions as the planner sees them
                statistics_refresh()
                refreshed = True
            width = next_width(end - after, len(rows), chunk)
            after = end
            if after >= last:  # shows added meanwhile are decided too
                last = last_show_id()
        with transaction.atomic():
            # Only a rule not saved since this pass read it is decided: any save meanwhile
            # (filters, a move, approval switched) leaves it stale for another pass.
            current = DiscoveryRule.objects.filter(pk=rule_id, updated_at=saved_at).update(
                applied_hash=view.hash)
            run_progress(run, processed=run.total - run.processed)
        latest = DiscoveryRule.objects.filter(pk=rule_id).first()
        if latest is None or (current and rule_view(latest).hash == view.hash):
            break
    return {"rule": rule_id, "hash": view.hash, "passes": passes}
