"""Push a Sonarr server's pending decisions: one SyncRun per server.

validate each rule (reads once) -> read the library and the exclusions once -> settle
what is already there or excluded without a POST -> send the rest in bulk -> notify once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Decision, DiscoveryRule, SonarrServer, SyncRun
from catalog.rules import engine
from catalog.runs import run_progress
from catalog.runs.notify import notify_push
from catalog.sync.sonarr import send as sending
from catalog.sync.sonarr.claim import (
    candidates,
    claim,
    claim_owned,
    deleted_in_sonarr,
    still_claimed,
)
from catalog.sync.sonarr.outcomes import Item, Outcomes, Tally
from catalog.sync.sonarr.validate import (
    Resolution,
    Valid,
    ValidRule,
    rule_record,
    rule_record_unchecked,
    rule_resolve,
    server_facts,
)
from catalog.upstreams.clients import sonarr_client
from integrations.errors import AuthError, UnsupportedError, UpstreamError
from integrations.sonarr import SonarrClient
from integrations.sonarr.imports import import_body
from integrations.values.sonarr import AddOptions

log = logging.getLogger(__name__)
S = Decision.Status
SETTLE_CHUNK = 500  # decisions settled without a POST per claim and transaction


def sonarr_push(run: SyncRun, *, server_id: int, rule_id: int | None = None,
                client: SonarrClient | None = None, now: datetime | None = None
                ) -> dict[str, Any]:
    """Push one server's decisions (optionally one rule's); returns the run's summary."""
    server = SonarrServer.objects.filter(pk=server_id).first()
    if server is None:  # deleted since the run was queued
        return {"server": server_id, "missing": True}
    now = now or timezone.now()
    rules = list(server.rules.filter(enabled=True, **({"pk": rule_id} if rule_id else {})))
    tally = Tally()
    if not rules or not server.enabled:
        return {"server": server.name, "rules": 0}
    client = client or sonarr_client(server)
    valid = _validate(server, client, rules)
    _abandon(list(valid), now)
    items = candidates(list(valid), now, run)
    with transaction.atomic():
        run_progress(run, total=len(items))
    if items:
        try:
            _push_items(run, client, server, valid, items, tally, now)
        except AuthError as exc:  # the key was revoked after validation: library, tags, adds
            _server_state(server, SonarrServer.State.UNAUTHORIZED, str(exc))
            raise
    summary = _summary(server, rules, valid, tally)
    notify_push(summary)
    return summary


def _validate(server: SonarrServer, client: SonarrClient, rules: list[DiscoveryRule]
              ) -> Valid:
    try:
        facts = server_facts(client, want_tags=any(r.tags for r in rules),
                             known_version=server.version)
    except AuthError as exc:
        _server_state(server, SonarrServer.State.UNAUTHORIZED, str(exc))
        rule_record_unchecked(rules, "the Sonarr server refused the API key")
        raise
    except UpstreamError as exc:
        _server_state(server, SonarrServer.State.UNREACHABLE, str(exc))
        rule_record_unchecked(rules, f"Sonarr could not be read: {exc}")
        raise
    _server_state(server, SonarrServer.State.OK, "", version=facts.status.version)
    valid: Valid = {}
    for rule in rules:  # a handful of rules per server: one small UPDATE each
        resolution = rule_resolve(rule, facts)
        rule_record(rule, resolution)
        if resolution.ok:
            valid[rule.pk] = ValidRule(rule, resolution)
        else:
            log.warning("rule %s is invalid: %s", rule.name, resolution.message)
    return valid


def _server_state(server: SonarrServer, state: str, message: str, *, version: str = "") -> None:
    fields: dict[str, Any] = {"state": state, "state_message": message[:500],
                              "checked_at": timezone.now()}
    if version:
        fields["version"] = version
    SonarrServer.objects.filter(pk=server.pk).update(**fields)


def _abandon(rule_ids: list[int], now: datetime) -> int:
    """pending_tvdb past SONARR_ABANDON_AFTER days is given up as failed (no_tvdb)."""
    cutoff = now - timedelta(days=settings.SONARR_ABANDON_AFTER)
    return Decision.objects.filter(rule_id__in=rule_ids, status=S.PENDING_TVDB,
                                   status_changed_at__lt=cutoff).update(
        status=S.FAILED, reason="no_tvdb", status_changed_at=now, next_attempt_at=None,
        updated_at=now)


def _push_items(run: SyncRun, client: SonarrClient, server: SonarrServer,
                valid: Valid, items: list[Item],
                tally: Tally, now: datetime) -> None:
    """Read Sonarr's library and exclusions once; settle what needs no POST (each claimed
    and written in one transaction); then claim and send the rest batch by batch."""
    is_v4 = bool(next(iter(valid.values())).resolution.resolved.get("is_v4"))
    library = {s.tvdb_id: s.id for s in client.series()}
    excluded = client.exclusions(paged=is_v4)
    deleted = deleted_in_sonarr(server.pk)
    out = Outcomes(run, tally, now, server.pk)
    senders = _senders(items, valid)
    now_items, send_items = [], []
    for item in items:
        if _verdict_without_post(item, library, excluded, valid, deleted) is not None:
            now_items.append(item)
        elif item.due:
            send_items.append(item)
    idle = len(items) - len(now_items) - len(send_items)  # retries not due, not in Sonarr
    for start in range(0, len(now_items), SETTLE_CHUNK):
        chunk = now_items[start:start + SETTLE_CHUNK]
        with transaction.atomic():  # claim, outcome and progress (which checks the run is
            # ours before anything commits) in one transaction: nothing leaves the house here
            for item in claim_owned(run, server.pk, chunk, now, _rules_seen(valid),
                                    to_send=False):
                _settle_without_post(out, item, library, excluded, valid, senders, deleted)
            out.flush(processed=len(chunk))
    out.flush(processed=idle)
    _send_all(run, client, server, valid, send_items, out, is_v4=is_v4)


def _verdict_without_post(item: Item, library: dict[int, int], excluded: frozenset[int],
                          valid: Valid, deleted: frozenset[int]) -> str | None:
    """Which outcome needs no POST: no TVDB id, already in Sonarr, deleted there (whichever
    rule or show of ours carries the id: see ``SonarrDeletion``), excluded, a dry run."""
    if not item.tvdb_id:
        return S.PENDING_TVDB
    if item.tvdb_id in library:
        return S.EXISTS
    if item.tvdb_id in deleted:
        return S.REMOVED
    if item.tvdb_id in excluded:
        return S.SKIPPED
    if valid[item.rule_id].rule.dry_run and item.due:
        return "dry_run"
    return None


def _settle_without_post(out: Outcomes, item: Item, library: dict[int, int],
                         excluded: frozenset[int],
                         valid: Valid,
                         senders: set[tuple[int, int]], deleted: frozenset[int]) -> None:
    """The claimed item's outcome, judged again from what it was at the claim."""
    verdict = _verdict_without_post(item, library, excluded, valid, deleted)
    if verdict == S.PENDING_TVDB:
        out.set(item, S.PENDING_TVDB, tally=S.PENDING_TVDB)
    elif verdict == S.EXISTS and item.sending:  # our own add, its outcome unwritten
        sender = (item.show_id, item.rule_id) in senders
        out.set(item, S.ADDED if sender else S.EXISTS, reason="added",
                series_id=library[item.tvdb_id or 0])
    elif verdict == S.EXISTS:
        out.set(item, S.EXISTS, reason="already in Sonarr", series_id=library[item.tvdb_id or 0])
    elif verdict == S.REMOVED:
        out.set(item, S.REMOVED, reason="deleted in Sonarr (not sent again)")
    elif verdict == S.SKIPPED:
        out.set(item, S.SKIPPED, reason=engine.EXCLUDED)
    elif verdict == "dry_run":
        out.release(item, reason="dry_run: would add", tally="would_add")
    else:  # not due after all (its clock moved since it was read)
        out.release(item)


def _send_all(run: SyncRun, client: SonarrClient, server: SonarrServer,
              valid: Valid, items: list[Item],
              out: Outcomes, *, is_v4: bool) -> None:
    """Claim a batch (by series: a series' decisions go together), send exactly what was
    claimed, write its outcomes and claim the next batch in that same transaction. A server
    without ``series/import`` gets one claim and one add per series. Sonarr refusing (or
    not answering) before anything was added hands the unsettled claims back."""
    groups = _by_tvdb(items)
    tags = _Tags(client, valid, items)
    seen = _rules_seen(valid)
    one_by_one, at = False, 0
    claimed: list[Item] | None = None
    while at < len(groups):
        size = 1 if one_by_one else sending.BATCH
        planned = [i for group in groups[at:at + size] for i in group]
        if claimed is None:
            claimed = claim(run, server.pk, planned, out.now, seen)
        claimed = still_claimed(run, claimed)  # a webhook's delete may have taken some back
        try:
            sends = _ready_sends(claimed, valid, out, tags, is_v4=is_v4)
            if one_by_one:
                sending.add_each(client, sends, is_v4=is_v4, out=out)
            else:
                sending.import_sends(client, sends, out)
        except UnsupportedError:
            log.info("%s has no series/import; adding one at a time", server.name)
            _hand_back(out, claimed)  # claimed again one series at a time
            one_by_one, claimed = True, None
            continue
        except sending.Stop as exc:
            out.flush(processed=len(planned))
            out.tally.counts["stopped"] += 1
            log.warning("%s: stopped sending after a transient error: %s", server.name, exc)
            return
        except UpstreamError:  # refused or unanswered: what is not settled was not added
            _hand_back(out, claimed)
            raise
        at += len(groups[at:at + size])
        following = [i for group in groups[at:at + size] for i in group]
        claimed = out.flush(processed=len(planned), then=lambda f=following: claim_owned(
            run, server.pk, f, out.now, seen))


def _rules_seen(valid: Valid) -> dict[int, datetime]:
    """Each rule as validated (its last save): a claim takes only rules still so."""
    return {rule_id: held.rule.updated_at for rule_id, held in valid.items()}


def _hand_back(out: Outcomes, claimed: list[Item]) -> None:
    """Release what was claimed and not settled (nothing of it reached Sonarr)."""
    held = out.held()
    for item in claimed:
        if item.id not in held:
            out.release(item)
    out.flush(processed=0)


def _ready_sends(claimed: list[Item], valid: Valid,
                 out: Outcomes, tags: _Tags, *, is_v4: bool) -> list[sending.Send]:
    """What was claimed but can no longer be sent (its TVDB id removed, its retry clock
    moved) gets its outcome now; the rest becomes the sends."""
    ready = []
    for item in claimed:
        if not item.tvdb_id:
            out.set(item, S.PENDING_TVDB, tally=S.PENDING_TVDB)
        elif not item.due:
            out.release(item)
        else:
            ready.append(item)
    return _sends(valid, ready, tags.ids() if ready else {}, is_v4=is_v4)


def _by_tvdb(items: list[Item]) -> list[list[Item]]:
    """Items grouped by series, in the order they came."""
    groups: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        groups[item.tvdb_id or 0].append(item)
    return list(groups.values())


def _senders(items: list[Item], valid: Valid
             ) -> set[tuple[int, int]]:
    """(show, rule) of the marked decisions whose rule sent the series: the first by rule
    name, as ``_sends`` picks it; the others followed it and end ``exists``, as
    ``send._settle`` has it."""
    first: dict[int, Item] = {}
    for item in (i for i in items if i.sending and i.tvdb_id):
        held = first.get(item.tvdb_id)
        if held is None or valid[item.rule_id].rule.name < valid[held.rule_id].rule.name:
            first[item.tvdb_id] = item
    return {(i.show_id, i.rule_id) for i in first.values()}


def _sends(valid: Valid, items: list[Item],
           tag_ids: dict[int, list[int]], *, is_v4: bool) -> list[sending.Send]:
    """One Send per TVDB id: the first rule by name adds it, the others follow."""
    by_tvdb: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_tvdb[item.tvdb_id or 0].append(item)
    sends: list[sending.Send] = []
    for tvdb_id, group in by_tvdb.items():
        live = sorted(group, key=lambda i: valid[i.rule_id].rule.name)
        first = valid[live[0].rule_id]
        options = _options(first.rule, first.resolution, tag_ids.get(first.rule.pk, []))
        body = import_body(tvdb_id, live[0].title, options, is_v4=is_v4,
                           monitor_new_items=first.rule.monitor_new_items)
        sends.append(sending.Send(live[0], live[1:], body, options))
    return sends


class _Tags:
    """Tag ids per live rule, created in Sonarr the first time something is sent."""

    def __init__(self, client: SonarrClient,
                 valid: Valid, items: list[Item]) -> None:
        self._args = (client, valid, items)
        self._ids: dict[int, list[int]] | None = None

    def ids(self) -> dict[int, list[int]]:
        if self._ids is None:
            self._ids = _ensure_tags(*self._args)
        return self._ids


def _ensure_tags(client: SonarrClient, valid: Valid,
                 items: list[Item]) -> dict[int, list[int]]:
    """Tag ids per live rule, creating the labels Sonarr does not have yet (only when there
    is something to send with them)."""
    wanted = {i.rule_id for i in items if not valid[i.rule_id].rule.dry_run}
    created: dict[str, int] = {}
    out: dict[int, list[int]] = {}
    for rule_id in wanted:
        resolution = valid[rule_id].resolution
        ids = list(resolution.resolved.get("tag_ids") or [])
        for label in resolution.missing_tags:
            if label not in created:
                created[label] = client.create_tag(label).id
            ids.append(created[label])
        out[rule_id] = ids
    return out


def _options(rule: DiscoveryRule, resolution: Resolution, tag_ids: list[int]) -> AddOptions:
    return AddOptions(
        quality_profile_id=int(resolution.resolved["quality_profile_id"]),
        root_folder_path=rule.root_folder,
        language_profile_id=resolution.resolved.get("language_profile_id"),
        monitored=rule.monitor != DiscoveryRule.Monitor.NONE, monitor=rule.monitor,
        season_folder=rule.season_folder, search_for_missing=rule.search_missing,
        search_for_cutoff_unmet=rule.search_cutoff_unmet, series_type=rule.series_type,
        tags=tuple(tag_ids))


def _summary(server: SonarrServer, rules: list[DiscoveryRule],
             valid: Valid, tally: Tally) -> dict[str, Any]:
    failed_total = Decision.objects.filter(rule__in=rules, status=S.FAILED).count()
    return {
        "server": server.name, "rules": len(rules),
        "invalid_rules": sorted(r.name for r in rules if r.pk not in valid),
        "counts": dict(tally.counts), "titles": tally.titles, "failed_total": failed_total,
    }
