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
from django.db.models import Q
from django.utils import timezone

from catalog import rules
from catalog.models import Decision, DiscoveryRule, SonarrServer, SyncRun
from catalog.notify import notify_push
from catalog.runs import run_progress
from catalog.sync.sonarr import send as sending
from catalog.sync.sonarr.outcomes import SENDING, Item, Outcomes, Tally
from catalog.sync.sonarr.validate import (
    Resolution,
    rule_record,
    rule_record_unchecked,
    rule_resolve,
    server_facts,
)
from catalog.upstreams import sonarr_client
from integrations.errors import AuthError, UnsupportedError, UpstreamError
from integrations.sonarr import SonarrClient
from integrations.sonarr.imports import import_body
from integrations.values.sonarr import AddOptions

log = logging.getLogger(__name__)
S = Decision.Status


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
    items = _candidates(list(valid), now)
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
              ) -> dict[int, tuple[DiscoveryRule, Resolution]]:
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
    valid: dict[int, tuple[DiscoveryRule, Resolution]] = {}
    for rule in rules:  # a handful of rules per server: one small UPDATE each
        resolution = rule_resolve(rule, facts)
        rule_record(rule, resolution)
        if resolution.ok:
            valid[rule.pk] = (rule, resolution)
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


def _candidates(rule_ids: list[int], now: datetime) -> list[Item]:
    """Pending decisions (whatever their clock: the library check is free) and pending_tvdb
    ones whose show has a TVDB id now and whose retry time has come."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    rows = Decision.objects.filter(rule_id__in=rule_ids).filter(
        Q(status=S.PENDING) | (Q(status=S.PENDING_TVDB, show__tvdb_id__isnull=False) & due)
    ).order_by("show_id", "rule_id").values_list(
        "show_id", "rule_id", "status", "attempts", "status_changed_at", "show__tvdb_id",
        "show__title", "next_attempt_at", "reason")
    return [Item(show_id, rule_id, status, attempts, changed, tvdb, title,
                 next_at is None or next_at <= now, reason == SENDING)
            for show_id, rule_id, status, attempts, changed, tvdb, title, next_at, reason
            in rows]


def _push_items(run: SyncRun, client: SonarrClient, server: SonarrServer,
                valid: dict[int, tuple[DiscoveryRule, Resolution]], items: list[Item],
                tally: Tally, now: datetime) -> None:
    is_v4 = bool(next(iter(valid.values()))[1].resolved.get("is_v4"))
    library = {s.tvdb_id: s.id for s in client.series()}
    excluded = client.exclusions(paged=is_v4)
    out = Outcomes(run, tally, now)
    rest: list[Item] = []
    senders = _senders(items, valid)
    for item in items:
        if not item.tvdb_id:
            out.set(item, S.PENDING_TVDB, tally=S.PENDING_TVDB)
        elif item.tvdb_id in library and item.sending:  # our own add, its outcome unwritten
            sender = (item.show_id, item.rule_id) in senders
            out.set(item, S.ADDED if sender else S.EXISTS, reason="added",
                    series_id=library[item.tvdb_id])
        elif item.tvdb_id in library:
            out.set(item, S.EXISTS, reason="already in Sonarr", series_id=library[item.tvdb_id])
        elif item.tvdb_id in excluded:
            out.set(item, S.SKIPPED, reason=rules.EXCLUDED)
        elif item.due:
            rest.append(item)
    out.flush(processed=len(items) - len(rest))
    sends = _sends(client, server, valid, rest, out, is_v4=is_v4)
    out.flush(processed=len(rest) - sum(1 + len(s.followers) for s in sends))
    if not sends:
        return
    flush = lambda o, n: o.flush(processed=n)  # noqa: E731
    try:
        try:
            sending.import_all(client, sends, flush, out)
        except UnsupportedError:
            log.info("%s has no series/import; adding one at a time", server.name)
            done = {(r[0], r[1]) for r in out.rows}
            left = [s for s in sends if (s.item.show_id, s.item.rule_id) not in done]
            sending.add_one_by_one(client, left, is_v4=is_v4, flush=flush, out=out)
    except sending.Stop as exc:
        tally.counts["stopped"] += 1
        log.warning("%s: stopped sending after a transient error: %s", server.name, exc)


def _senders(items: list[Item], valid: dict[int, tuple[DiscoveryRule, Resolution]]
             ) -> set[tuple[int, int]]:
    """(show, rule) of the marked decisions whose rule sent the series: the first by rule
    name, as ``_sends`` picks it; the others followed it and end ``exists``, as
    ``send._settle`` has it."""
    first: dict[int, Item] = {}
    for item in (i for i in items if i.sending and i.tvdb_id):
        held = first.get(item.tvdb_id)
        if held is None or valid[item.rule_id][0].name < valid[held.rule_id][0].name:
            first[item.tvdb_id] = item
    return {(i.show_id, i.rule_id) for i in first.values()}


def _sends(client: SonarrClient, server: SonarrServer,
           valid: dict[int, tuple[DiscoveryRule, Resolution]], items: list[Item],
           out: Outcomes, *, is_v4: bool) -> list[sending.Send]:
    """One Send per TVDB id (the first rule by name adds it; the others follow); dry-run
    rules get their "would add" note instead."""
    by_tvdb: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_tvdb[item.tvdb_id or 0].append(item)
    tag_ids = _ensure_tags(client, valid, items)
    sends: list[sending.Send] = []
    for tvdb_id, group in by_tvdb.items():
        live = sorted((i for i in group if not valid[i.rule_id][0].dry_run),
                      key=lambda i: valid[i.rule_id][0].name)
        for item in group:
            if valid[item.rule_id][0].dry_run:
                out.note(item, "dry_run: would add", "would_add")
        if not live:
            continue
        rule, resolution = valid[live[0].rule_id]
        options = _options(rule, resolution, tag_ids.get(rule.pk, []))
        body = import_body(tvdb_id, live[0].title, options, is_v4=is_v4,
                           monitor_new_items=rule.monitor_new_items)
        sends.append(sending.Send(live[0], live[1:], body, options))
    return sends


def _ensure_tags(client: SonarrClient, valid: dict[int, tuple[DiscoveryRule, Resolution]],
                 items: list[Item]) -> dict[int, list[int]]:
    """Tag ids per live rule, creating the labels Sonarr does not have yet (only when there
    is something to send with them)."""
    wanted = {i.rule_id for i in items if not valid[i.rule_id][0].dry_run}
    created: dict[str, int] = {}
    out: dict[int, list[int]] = {}
    for rule_id in wanted:
        resolution = valid[rule_id][1]
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
             valid: dict[int, tuple[DiscoveryRule, Resolution]], tally: Tally) -> dict[str, Any]:
    failed_total = Decision.objects.filter(rule__in=rules, status=S.FAILED).count()
    return {
        "server": server.name, "rules": len(rules),
        "invalid_rules": sorted(r.name for r in rules if r.pk not in valid),
        "counts": dict(tally.counts), "titles": tally.titles, "failed_total": failed_total,
    }
