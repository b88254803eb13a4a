"""What Sonarr's webhook tells us, applied to the decisions of the server that sent it.

- ``SeriesAdd``: someone added the series in Sonarr. Our decisions for it that are still
  waiting (pending, awaiting approval, waiting for a TVDB id, failed) or that a delete had
  marked ``removed_in_sonarr`` become ``exists`` with Sonarr's series id; except a delete's
  own series arriving late (its id is the one the delete named: Sonarr never reuses an id),
  which is the echo of an add that the delete already undid.
- ``SeriesDelete``: our ``added``/``exists`` decisions for it become ``removed_in_sonarr``,
  which nothing re-adds (no re-evaluation, rule move or push) until an operator approves it;
  so does one a push holds (``sending``): the delete wins (see below).
- ``Download``, ``ImportComplete``, ``Rename``, ``EpisodeFileDelete``: the series' files
  changed; once Plex has had time to notice, the show is refreshed in each Plex library
  holding it, as the Plex listener refreshes one (``catalog.sync.sonarr.files``).
- ``Test`` and every other event Sonarr sends: acknowledged, nothing changes.

Both series events lock the server's rules, then the decisions, in the order a push's claim
and outcome take them (rule 11), so they never interleave with a claim. A decision a push
holds (``sending``) is left to that push by ``SeriesAdd``: its own POST's answer is Sonarr's
latest word on the series (its add -> ``added``, someone else's -> ``exists``). ``SeriesDelete``
takes it from the push instead: it becomes ``removed_in_sonarr`` with its claim cleared, so
the push's outcome (written only where its claim still holds) passes it by, and a push that
has not POSTed it yet leaves it out (``claim.still_claimed``). Whatever the order in which
the delete and the push's answer land, the series ends removed. Either answer counts such
decisions as ``being_sent``. Every event is idempotent: applied twice, the second changes
nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Decision, DiscoveryRule, SonarrDeletion, SonarrServer
from catalog.runs.delayed import task_later

log = logging.getLogger(__name__)
S = Decision.Status

SERIES_EVENTS = ("SeriesAdd", "SeriesDelete")
FILE_EVENTS = ("Download", "ImportComplete", "Rename", "EpisodeFileDelete")
IGNORED_EVENTS = ("Test", "Grab", "Health", "HealthRestored", "ApplicationUpdate",
                  "ManualInteractionRequired")
EVENTS = (*SERIES_EVENTS, *FILE_EVENTS, *IGNORED_EVENTS)
# What a hand-made add settles: everything that waits to be sent, or was deleted there before.
SETTLED_BY_ADD = (S.PENDING, S.AWAITING_APPROVAL, S.PENDING_TVDB, S.FAILED, S.REMOVED)
IN_SONARR = (S.ADDED, S.EXISTS)
FILES_TASK = "catalog.tasks.sonarr_files_changed_task"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One webhook call, validated: its type and the series it names (when it needs one)."""

    type: str
    tvdb_id: int | None = None
    series_id: int | None = None
    deleted_files: bool = False


def sonarr_webhook_handle(*, server_id: int, event: WebhookEvent) -> dict[str, Any]:
    """Apply one event from this server; returns what it did (the webhook's answer)."""
    SonarrServer.objects.filter(pk=server_id).update(webhook_event=event.type,
                                                     webhook_event_at=timezone.now())
    if event.type == "SeriesAdd" and event.tvdb_id and event.series_id:
        result = sonarr_series_added(server_id=server_id, tvdb_id=event.tvdb_id,
                                     series_id=event.series_id)
    elif event.type == "SeriesDelete" and event.tvdb_id:
        result = sonarr_series_deleted(server_id=server_id, tvdb_id=event.tvdb_id,
                                       series_id=event.series_id,
                                       deleted_files=event.deleted_files)
    elif event.type in FILE_EVENTS and event.tvdb_id:
        result = sonarr_files_changed(tvdb_id=event.tvdb_id)
    else:
        result = {"ignored": True}
    log.info("sonarr webhook from server %s: %s tvdb:%s %s", server_id, event.type,
             event.tvdb_id, result)
    return {"event": event.type, **result}


def _locked(server_id: int, tvdb_id: int) -> list[tuple[int, str, int | None]]:
    """Lock the server's rules, then its decisions about this series: (id, status, series id).
    Rules first, as the push's claim and outcome do, so the two take turns."""
    rules = list(DiscoveryRule.objects.select_for_update(of=("self",)).filter(
        server_id=server_id).order_by("pk").values_list("pk", flat=True))
    if not rules:
        return []
    return list(Decision.objects.select_for_update(of=("self",)).filter(
        rule_id__in=rules, show__tvdb_id=tvdb_id).order_by("pk")
        .values_list("pk", "status", "sonarr_series_id"))


@transaction.atomic
def sonarr_series_added(*, server_id: int, tvdb_id: int, series_id: int) -> dict[str, int]:
    """Someone added the series in Sonarr: what waited for it is now ``exists``, and the
    server's deletion of that TVDB id (if any) no longer stands. An add of the very series a
    delete named (Sonarr never reuses an id) is the echo or replay of an add that delete
    undid: it changes nothing."""
    rows = _locked(server_id, tvdb_id)
    deletion = _deletion(server_id, tvdb_id)
    if deletion is not None and deletion.series_id == series_id:
        return {"settled": 0, "being_sent": _held(rows)}
    now = timezone.now()
    if deletion is not None and deletion.cleared_at is None:
        SonarrDeletion.objects.filter(pk=deletion.pk).update(cleared_at=now)
    settle = [pk for pk, status, known in rows if status in SETTLED_BY_ADD
              and not (status == S.REMOVED and known == series_id)]
    renumber = [pk for pk, status, known in rows if status in IN_SONARR and known != series_id]
    settled = Decision.objects.filter(pk__in=settle, status__in=SETTLED_BY_ADD).update(
        status=S.EXISTS, reason="added in Sonarr (webhook)", sonarr_series_id=series_id,
        attempts=0, next_attempt_at=None, refused_tvdb_id=None, claim_run=None,
        status_changed_at=now, updated_at=now)
    # Deleted and added again while we missed the delete: the series id is the new one.
    Decision.objects.filter(pk__in=renumber, status__in=IN_SONARR).update(
        sonarr_series_id=series_id, updated_at=now)
    return {"settled": settled, "being_sent": _held(rows)}


@transaction.atomic
def sonarr_series_deleted(*, server_id: int, tvdb_id: int, series_id: int | None = None,
                          deleted_files: bool = False) -> dict[str, int]:
    """Someone deleted the series in Sonarr: the deletion of that TVDB id on this server is
    recorded (no decision of the server for it is sent again, see ``SonarrDeletion``), and
    ours become ``removed_in_sonarr``, those a push is sending included (their claim is
    cleared, so the push's outcome never lands).

    Sonarr never reuses a series id and numbers new ones upwards, so a delete applies to a
    decision whose recorded id is that series' or an older one (or none is recorded); one
    holding a newer id was added back since, and such a delete is a late copy that changes
    nothing, as is a delete of the series whose recorded deletion was lifted since."""
    rows = _locked(server_id, tvdb_id)
    deletion = _deletion(server_id, tvdb_id)
    replayed = series_id and deletion is not None and deletion.series_id == series_id and (
        deletion.cleared_at is not None)
    newer = series_id and any(status in IN_SONARR and known and known > series_id
                              for _, status, known in rows)
    if replayed or newer:
        return {"removed": 0, "being_sent": _held(rows)}
    now = timezone.now()
    SonarrDeletion.objects.update_or_create(
        server_id=server_id, tvdb_id=tvdb_id,
        defaults={"series_id": series_id, "deleted_at": now, "cleared_at": None})
    reason = "deleted in Sonarr with its files" if deleted_files else "deleted in Sonarr"
    gone = (*IN_SONARR, S.SENDING)
    fields: dict[str, Any] = {"sonarr_series_id": series_id} if series_id else {}
    removed = Decision.objects.filter(
        pk__in=[pk for pk, status, known in rows if status in gone
                and (status == S.SENDING or not series_id or not known or known <= series_id)],
        status__in=gone
    ).update(status=S.REMOVED, reason=f"{reason} (webhook)", attempts=0,
             next_attempt_at=None, claim_run=None, status_changed_at=now, updated_at=now,
             **fields)
    return {"removed": removed, "being_sent": _held(rows)}


def _deletion(server_id: int, tvdb_id: int) -> SonarrDeletion | None:
    """The server's deletion record for the id, locked (the series events take turns)."""
    return (SonarrDeletion.objects.select_for_update()
            .filter(server_id=server_id, tvdb_id=tvdb_id).first())


def _held(rows: list[tuple[int, str, int | None]]) -> int:
    return sum(1 for _, status, _ in rows if status == S.SENDING)


def sonarr_files_changed(*, tvdb_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The series' files changed in Sonarr: refresh it in Plex once Plex has had
    ``SONARR_WEBHOOK_REFRESH_DELAY`` seconds to see the file. A burst of imports of one series
    waits for one refresh: each new one pushes it to that delay after itself (Plex must see
    that file too), but never past ``SONARR_WEBHOOK_REFRESH_MAX_DELAY`` after the first."""
    delay = settings.SONARR_WEBHOOK_REFRESH_DELAY
    queued = task_later(FILES_TASK, name=f"sonarr files tvdb:{tvdb_id}", delay=delay,
                        kwargs={"tvdb_id": tvdb_id},
                        max_delay=settings.SONARR_WEBHOOK_REFRESH_MAX_DELAY, now=now)
    return {"refresh_in": delay, "coalesced": not queued}
