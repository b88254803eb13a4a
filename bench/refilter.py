"""Refilter at scale: one rule over N shows from stored facts (no requests): first decisions,
after a filter change, and again unchanged. Each must stay linear in shows: the decisions of a
chunk are found through the (rule, show) index, whatever the planner knows."""

from __future__ import annotations

import time

from bench.harness import Row, measure
from bench.sonarr import _catalog, _run
from catalog.models import DiscoveryRule, RuleSelection, SonarrServer, SyncRun
from catalog.rules.refilter import rule_refilter


def run(shows: int) -> list[Row]:
    started = time.perf_counter()
    _catalog(shows)
    catalog_s = time.perf_counter() - started
    server = SonarrServer.objects.create(name="bench", url="http://127.0.0.1:1", api_key="k")
    rule = DiscoveryRule.objects.create(name="english dramas", server=server,
                                        root_folder="/tv", quality_profile="Any")
    RuleSelection.objects.create(rule=rule, languages=["English"], genres_any=["Drama"])
    cpu: list[float] = []

    def step() -> SyncRun:
        began = time.process_time()  # the machine is shared: CPU time says more than wall
        done = _run(SyncRun.Kind.RULES, f"rule:{rule.pk}",
                    lambda r: rule_refilter(r, rule_id=rule.pk), "rules")
        cpu.append(time.process_time() - began)
        return done

    no_requests = lambda: 0  # noqa: E731 - refilter reads stored facts only
    rows = []
    first, run_ = measure(f"refilter, first decisions ({shows:,} shows)", "<= 10 s", step,
                          no_requests)
    first.note = f"cpu {cpu[-1]:.2f} s, {run_.changed:,} decided (catalog {catalog_s:.0f} s)"
    rows.append(first)
    RuleSelection.objects.filter(rule=rule).update(languages=["English", "Japanese"],
                                                  runtime_min=30)
    rule.exclude_statuses = ["Ended"]
    rule.save()
    again, run_ = measure(f"refilter after a filter change ({shows:,})", "<= 10 s", step,
                          no_requests)
    again.note = f"cpu {cpu[-1]:.2f} s, {run_.changed:,} decisions changed"
    rows.append(again)
    same, run_ = measure(f"refilter unchanged ({shows:,})", "<= 10 s", step, no_requests)
    same.note = f"cpu {cpu[-1]:.2f} s, {run_.changed:,} decisions changed"
    rows.append(same)
    return rows
