"""What the pages' buttons call: the existing services, and which buttons exist at all.

A button appears only when its work is installed (a kind registered in
``catalog.sync.dispatch.WORK``), so "Force TMDB sync" and "Push to Sonarr" show up by
themselves once those orchestrators are installed. Approve / decline / skip are the rules'
own services in ``catalog.rules.services``.
"""

from __future__ import annotations

from typing import Any

from catalog.models import Decision, Show, SyncRun
from catalog.rules import services as rule_services
from catalog.rules.services import (
    BEING_SENT,
    decisions_approve,
    decisions_being_sent,
    decisions_decline,
    decisions_skip,
    sonarr_servers_select,
)
from catalog.runs import RunInProgress
from catalog.runs.enqueue import EnqueueFailed, sync_enqueue
from catalog.sync.dispatch import WORK

VERDICTS = ("approve", "decline", "skip")
S = Decision.Status
# The decisions each verdict changes (the services' own filters); the page offers a verdict
# only where one of its decisions would change. Skipping a filtered or declined decision
# would change its status but not what happens to the show, so it is not offered.
ACTS_ON = {"approve": frozenset(rule_services.APPROVABLE),
           "decline": frozenset(rule_services.DECLINABLE),
           "skip": frozenset(S) - {*rule_services.SKIP_LEAVES, S.FILTERED, S.DECLINED}}


# A show in these loading states is already queued or loading: "Load missing parts" would not
# queue it again (``show_request`` answers False), so the button is not offered.
LOAD_BUSY = frozenset({Show.LoadingStatus.PENDING, Show.LoadingStatus.LOADING_FACTS,
                       Show.LoadingStatus.LOADING_EPISODES, Show.LoadingStatus.LOADING_METADATA,
                       Show.LoadingStatus.LOADING_ARTWORK})


def verdicts_for(statuses: Any) -> list[str]:
    """The verdicts that would change at least one decision of these statuses."""
    present = set(statuses)
    return [verdict for verdict in VERDICTS if present & ACTS_ON[verdict]]


def reviewable(status: str) -> bool:
    """Whether any verdict would change a decision of this status (it gets a checkbox)."""
    return any(status in acts for acts in ACTS_ON.values())
# What an operator starts from /sync/<kind>/: refilters start from a rule's own page, and a
# load only through the loader slots (so LOADER_CONCURRENCY, and 0 = paused, hold).
TRIGGERS = (SyncRun.Kind.TVMAZE, SyncRun.Kind.PLEX, SyncRun.Kind.TMDB, SyncRun.Kind.SONARR,
            SyncRun.Kind.LOAD)


def available() -> dict[str, bool]:
    """Which actions this installation can perform (buttons shown to operators)."""
    return {
        "tvmaze": SyncRun.Kind.TVMAZE in WORK,
        "plex": SyncRun.Kind.PLEX in WORK,
        "tmdb": SyncRun.Kind.TMDB in WORK,
        "sonarr": SyncRun.Kind.SONARR in WORK,
        "load": SyncRun.Kind.LOAD in WORK,
        "review": True,
    }


def enqueue(*, kind: str, options: dict[str, Any], by: str) -> tuple[bool, str]:
    """Queue a run; (ok, message for the page). Never raises for the expected refusals."""
    if kind not in WORK:
        return False, f"{kind} syncs are not available on this installation."
    try:
        run = sync_enqueue(kind=kind, options=options, triggered_by=by)
    except RunInProgress as exc:
        return False, f"Run #{exc.run.pk} is already doing that; follow it on the Runs page."
    except EnqueueFailed as exc:
        return False, f"Could not queue the run: {exc}."
    return True, f"Queued run #{run.pk} ({run.get_kind_display()} {run.scope})."


def enqueue_many(*, kind: str, options: list[dict[str, Any]], by: str) -> tuple[bool, str]:
    """Queue one run per options (e.g. one Sonarr push per server); one message for all."""
    if kind not in WORK:
        return False, f"{kind} syncs are not available on this installation."
    if not options:
        return False, "Nothing to do: no server or decision is ready for that."
    results = [enqueue(kind=kind, options=o, by=by) for o in options]
    return any(ok for ok, _ in results), " ".join(message for _, message in results)


def sonarr_push_options(*, show_id: int | None = None) -> list[dict[str, Any]]:
    """One push per enabled Sonarr server with an enabled rule, or, for one show, per rule
    holding a pending decision about it (the push reads the server's series once per run)."""
    if show_id is None:
        return [{"server_id": server.pk} for server, _ in sonarr_servers_select()]
    pairs = Decision.objects.filter(show_id=show_id, status="pending",
                                    rule__enabled=True, rule__server__enabled=True).values_list(
        "rule__server_id", "rule_id").distinct().order_by("rule_id")
    return [{"server_id": server, "rule_id": rule} for server, rule in pairs]


REVIEW = {"approve": decisions_approve, "decline": decisions_decline, "skip": decisions_skip}


def decisions_review(*, ids: list[int], verdict: str, by: str) -> tuple[int, int]:
    """Approve, decline or skip with the rules' own services (``catalog.rules.services``):
    conditional updates, so a decision that moved on meanwhile (added by a push, reviewed by
    someone else) is left alone and two operators clicking at once change it once.
    Returns (changed, being sent: held by a push, so unchanged)."""
    if verdict not in REVIEW:
        raise ValueError(f"unknown verdict {verdict!r}")
    chosen = Decision.objects.filter(pk__in=ids)
    return REVIEW[verdict](chosen, by=by), decisions_being_sent(chosen)


def review_message(verdict: str, changed: int, held: int, chosen: int) -> str:
    """What the page says after a review: never a change the push is about to ignore."""
    text = f"{verdict.capitalize()}: {changed} of {chosen} decision(s) changed"
    if held:
        text += f"; {held} {'is' if held == 1 else 'are'} {BEING_SENT}"
    elif changed != chosen:
        text += " (the others had moved on or cannot be changed)"
    return text + "."


def loaders_start() -> tuple[bool, str]:
    """Wake loaders through their slots: never more than LOADER_CONCURRENCY, none when 0."""
    from django.conf import settings

    from catalog.sync.loading.queue import loaders_kick

    if settings.LOADER_CONCURRENCY <= 0:
        return False, "Loading is paused (LOADER_CONCURRENCY is 0)."
    started = loaders_kick()
    if not started:
        return False, "No loader started: nothing is due, or every loader slot is busy."
    return True, f"Started {len(started)} loader(s): runs {', '.join(f'#{i}' for i in started)}."


def missing_load(show: Show) -> tuple[bool, str]:
    """Queue the show's missing and failed parts; the queue wakes a loader on commit."""
    from catalog.sync.loading.queue import show_request

    if not show_request(show):
        return False, "Nothing to load: every part is loaded, or a load is already queued."
    return True, "Queued the missing parts; they load in the background."
