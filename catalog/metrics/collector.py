"""Catalog and job gauges read from the database at each scrape, plus the shared counters."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Case, CharField, Count, F, Max, Sum, Value, When
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from catalog.metrics.listener import listener_metrics
from catalog.models import Decision, MediaItem, Show, SyncRun, UpstreamCounter
from catalog.runs.work import upstream_of

UPSTREAMS = ("tvmaze", "plex", "tmdb", "sonarr")
_UPSTREAM_EVENTS = {
    "requests": ("mediasync_upstream_requests", "HTTP attempts sent to an upstream"),
    "retries": ("mediasync_upstream_retries", "HTTP attempts that were retries"),
    "rate_limited": ("mediasync_upstream_rate_limited", "429 answers received"),
}


def _catalog() -> Iterator[Metric]:
    shows = GaugeMetricFamily("mediasync_shows", "Shows in the catalog")
    shows.add_metric([], Show.objects.count())
    yield shows
    items = GaugeMetricFamily("mediasync_media_items", "Plex items by library and state",
                              labels=["library_id", "library", "state"])
    for row in (MediaItem.objects.order_by().values("library_id", "library__title", "state")
                .annotate(n=Count("id"))):
        items.add_metric([str(row["library_id"]), row["library__title"], row["state"]],
                         row["n"])
    yield items
    decisions = GaugeMetricFamily("mediasync_decisions", "Discovery decisions by rule and status",
                                  labels=["rule_id", "rule", "status"])
    for row in (Decision.objects.order_by().values("rule_id", "rule__name", "status")
                .annotate(n=Count("id"))):
        decisions.add_metric([str(row["rule_id"]), row["rule__name"], row["status"]], row["n"])
    yield decisions


CHOSEN_SHOWS = "shows:"  # a TMDB refresh of chosen shows: its scope is named by their ids


def _scope_series() -> Case:
    """The scope as a series label: every chosen-shows refresh is one ``shows`` series, or
    each selection ever refreshed would add two series to every scrape, for ever."""
    return Case(When(scope__startswith=CHOSEN_SHOWS, then=Value(CHOSEN_SHOWS[:-1])),
                default=F("scope"), output_field=CharField())


def _last_successes() -> list[dict]:
    """The latest succeeded run of each (kind, scope): one aggregate, then one lookup."""
    succeeded = SyncRun.objects.order_by().filter(
        status=SyncRun.Status.SUCCEEDED, finished_at__isnull=False).annotate(series=_scope_series())
    latest = {(row["kind"], row["series"]): row["at"] for row in
              succeeded.values("kind", "series").annotate(at=Max("finished_at"))}
    seen: dict[tuple[str, str], dict] = {}
    for row in succeeded.filter(finished_at__in=set(latest.values())).order_by("-id").values(
            "kind", "series", "started_at", "finished_at"):
        row["scope"] = row.pop("series")
        key = (row["kind"], row["scope"])
        if latest.get(key) == row["finished_at"]:
            seen.setdefault(key, row)  # two at the same instant: the later id
    return list(seen.values())


def _runs() -> Iterator[Metric]:
    runs = GaugeMetricFamily("mediasync_sync_runs", "Sync runs by kind and status",
                             labels=["kind", "status"])
    for row in SyncRun.objects.order_by().values("kind", "status").annotate(n=Count("id")):
        runs.add_metric([row["kind"], row["status"]], row["n"])
    yield runs
    last = _last_successes()
    when = GaugeMetricFamily("mediasync_sync_last_success_timestamp_seconds",
                             "When the last successful run of a kind and scope finished",
                             labels=["kind", "scope"])
    took = GaugeMetricFamily("mediasync_sync_last_success_duration_seconds",
                             "How long the last successful run of a kind and scope took",
                             labels=["kind", "scope"])
    for row in last:
        when.add_metric([row["kind"], row["scope"]], row["finished_at"].timestamp())
        if row["started_at"]:
            took.add_metric([row["kind"], row["scope"]],
                            (row["finished_at"] - row["started_at"]).total_seconds())
    yield when
    yield took
    sent = GaugeMetricFamily("mediasync_sync_run_requests",
                             "Upstream requests summed over the recorded runs of each kind",
                             labels=["upstream"])
    for upstream, n in _run_requests().items():
        sent.add_metric([upstream], n)
    yield sent


def _run_requests() -> dict[str, int]:
    """Run requests per upstream: a run counts what it sent to its kind's upstream, so loader
    runs add to TVMaze's, and kinds that call none (rules) add nothing."""
    sent: dict[str, int] = {}
    for row in SyncRun.objects.order_by().values("kind").annotate(n=Sum("requests")):
        upstream = upstream_of(row["kind"])
        if upstream in UPSTREAMS:
            sent[upstream] = sent.get(upstream, 0) + (row["n"] or 0)
    return sent


def _upstream_counters() -> Iterator[Metric]:
    families = {event: CounterMetricFamily(name, help_, labels=["upstream"])
                for event, (name, help_) in _UPSTREAM_EVENTS.items()}
    errors = CounterMetricFamily("mediasync_upstream_errors",
                                 "Upstream errors raised to callers, by kind",
                                 labels=["upstream", "kind"])
    for upstream, event, value in UpstreamCounter.objects.values_list(
            "upstream", "event", "value"):
        if event.startswith("errors:"):
            errors.add_metric([upstream, event.removeprefix("errors:")], value)
        elif event in families:
            families[event].add_metric([upstream], value)
    yield from families.values()
    yield errors


class DatabaseCollector:
    """A prometheus-client collector whose every sample comes from the database."""

    def collect(self) -> Iterator[Metric]:
        yield from _catalog()
        yield from _runs()
        yield from _upstream_counters()
        yield from listener_metrics()
