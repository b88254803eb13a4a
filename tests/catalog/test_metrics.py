"""/metrics: gauges computed from the database and upstream counters summed over processes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.authtoken.models import Token

from catalog.models import SyncRun, UpstreamCounter
from catalog.runs import counters, run_claim
from catalog.runs.counters import upstream_counters_flush
from catalog.runs.execute import job_execute, sync_run_now
from integrations import metrics
from integrations.fakes.tvmaze import TvmazeFake
from tests import factories

SCRAPE_TOKEN = "prometheus-scrape-token-0123456789"


@pytest.fixture(autouse=True)
def _fresh_counters():
    metrics.reset()
    yield
    metrics.reset()


def _samples(response) -> dict[tuple[str, tuple], float]:
    assert response.status_code == 200, response.content
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.content.decode())
            for s in family.samples}


def _scrape(client, viewer) -> dict[tuple[str, tuple], float]:
    client.force_login(viewer)
    return _samples(client.get("/metrics"))


@pytest.mark.django_db
def test_it_counts_the_catalog_per_library_state_and_rule(viewer, client):
    library = factories.PlexLibraryFactory(title="TV")
    factories.MediaItemFactory.create_batch(2, library=library, plex_show__library=library)
    factories.MediaItemFactory(library=library, plex_show__library=library, state="missing")
    rule = factories.DiscoveryRuleFactory(name="English dramas")
    factories.DecisionFactory.create_batch(2, rule=rule, status="added")
    factories.DecisionFactory(rule=rule, status="failed")
    got = _scrape(client, viewer)
    lib = ("library", "TV"), ("library_id", str(library.pk))
    assert got[("mediasync_shows", ())] == 6  # three items' shows and three decisions' shows
    assert got[("mediasync_media_items", (*lib, ("state", "active")))] == 2
    assert got[("mediasync_media_items", (*lib, ("state", "missing")))] == 1
    by_rule = ("rule", "English dramas"), ("rule_id", str(rule.pk))
    assert got[("mediasync_decisions", (*by_rule, ("status", "added")))] == 2
    assert got[("mediasync_decisions", (*by_rule, ("status", "failed")))] == 1


@pytest.mark.django_db
def test_it_reports_runs_and_the_last_success_of_each_scope(viewer, client):
    now = timezone.now().replace(microsecond=0)
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="succeeded", requests=7,
                             started_at=now - timedelta(hours=2, minutes=1),
                             finished_at=now - timedelta(hours=2))
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="succeeded", requests=5,
                             started_at=now - timedelta(seconds=90), finished_at=now)
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="failed", requests=2,
                             started_at=now, finished_at=now + timedelta(minutes=1))
    # Another scope whose last success finished when an older tvmaze run did.
    factories.SyncRunFactory(kind="plex", scope="library:1", status="succeeded", requests=3,
                             started_at=now - timedelta(hours=2, seconds=5),
                             finished_at=now - timedelta(hours=2))
    got = _scrape(client, viewer)
    plex = ("kind", "plex"), ("scope", "library:1")
    assert got[("mediasync_sync_last_success_duration_seconds", plex)] == 5
    assert got[("mediasync_sync_run_requests", (("upstream", "plex"),))] == 3
    scope = ("kind", "tvmaze"), ("scope", "catalog")
    assert got[("mediasync_sync_runs", (("kind", "tvmaze"), ("status", "succeeded")))] == 2
    assert got[("mediasync_sync_runs", (("kind", "tvmaze"), ("status", "failed")))] == 1
    assert got[("mediasync_sync_last_success_timestamp_seconds", scope)] == now.timestamp()
    assert got[("mediasync_sync_last_success_duration_seconds", scope)] == 90
    assert got[("mediasync_sync_run_requests", (("upstream", "tvmaze"),))] == 14


@pytest.mark.django_db
def test_it_sums_the_counters_every_process_saved(viewer, client):
    # What a worker in another container left, plus what this process counted itself.
    UpstreamCounter.objects.create(upstream="plex", event="requests", value=40,
                                   updated_at=timezone.now())
    UpstreamCounter.objects.create(upstream="plex", event="errors:auth", value=1,
                                   updated_at=timezone.now())
    metrics.record("plex", "requests", 2)
    metrics.record("plex", "errors", kind="auth")
    got = _scrape(client, viewer)
    assert got[("mediasync_upstream_requests_total", (("upstream", "plex"),))] == 42
    assert got[("mediasync_upstream_errors_total", (("kind", "auth"), ("upstream", "plex")))] == 2
    # Scraping twice does not count twice.
    assert _scrape(client, viewer)[("mediasync_upstream_requests_total",
                                    (("upstream", "plex"),))] == 42


@pytest.mark.django_db
def test_it_adds_each_flush_to_the_shared_row():
    metrics.record("tmdb", "requests", 3)
    assert upstream_counters_flush() == 1
    metrics.record("tmdb", "requests", 4)
    metrics.record("tmdb", "retries")
    assert upstream_counters_flush() == 2
    assert upstream_counters_flush() == 0
    assert dict(UpstreamCounter.objects.values_list("event", "value")) == {
        "requests": 7, "retries": 1}


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_runs_upstream_requests_before_the_run_shows_finished():
    with TvmazeFake(count=120, seed=4) as fake, override_settings(
            TVMAZE_BASE_URL=fake.url, TVMAZE_RATE_CALLS=0):
        run = sync_run_now(kind=SyncRun.Kind.TVMAZE, options={"full": True},
                           triggered_by="test")
    assert run.status == "succeeded"
    saved = UpstreamCounter.objects.get(upstream="tvmaze", event="requests").value
    assert saved == fake.total_requests() == run.requests > 0
    assert metrics.drain() == {}


@pytest.mark.django_db
def test_it_lets_viewers_tokens_and_the_scrape_token_in_and_nobody_else(users, client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics")["WWW-Authenticate"].startswith("Bearer")
    client.force_login(users["roleless"])
    assert client.get("/metrics").status_code == 403
    client.logout()
    for role in ("viewer", "operator", "admin"):
        token = Token.objects.create(user=users[role]).key
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token not-a-token").status_code == 401
    with override_settings(METRICS_TOKEN=SCRAPE_TOKEN):
        ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
        wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}x")
        api = client.get("/api/shows/", HTTP_AUTHORIZATION=f"Bearer {SCRAPE_TOKEN}")
    assert (ok.status_code, wrong.status_code, api.status_code) == (200, 401, 401)
    unset = client.get("/metrics", HTTP_AUTHORIZATION="Bearer ")
    assert unset.status_code == 401  # no METRICS_TOKEN configured: no empty-token door


@pytest.mark.django_db(transaction=True)
def test_it_saves_a_long_runs_counts_at_its_heartbeats(settings):
    settings.RUN_HEARTBEAT_SECONDS = 0.05
    run = run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
    seen_mid_run: list[int] = []

    def work(_run: SyncRun) -> dict:
        metrics.record("tvmaze", "requests", 5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen_mid_run:
            row = UpstreamCounter.objects.filter(upstream="tvmaze", event="requests").first()
            if row is not None:
                seen_mid_run.append(row.value)
            time.sleep(0.02)
        return {}

    assert job_execute(run, work, upstream="tvmaze").status == "succeeded"
    assert seen_mid_run == [5]
    assert UpstreamCounter.objects.get(upstream="tvmaze", event="requests").value == 5


@pytest.mark.django_db
def test_it_keeps_the_counts_when_the_database_refuses_them(monkeypatch):
    metrics.record("plex", "requests", 4)

    def refuse(*_args, **_kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(counters, "_upsert_sql", refuse)
    with pytest.raises(DatabaseError):
        upstream_counters_flush()
    monkeypatch.undo()
    assert upstream_counters_flush() == 1
    assert UpstreamCounter.objects.get(upstream="plex", event="requests").value == 4


@pytest.mark.django_db
def test_it_sums_run_requests_by_upstream_not_by_run_kind(viewer, client):
    """A loader run counts the TVMaze requests it sent (``load`` is no upstream), and a
    rules refilter sends none: the ``upstream`` label names only real upstreams."""
    factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="succeeded", requests=14)
    factories.SyncRunFactory(kind="load", scope="slot:0", status="succeeded", requests=6)
    factories.SyncRunFactory(kind="rules", scope="rule:1", status="succeeded", requests=0)
    got = {labels: value for (name, labels), value in _scrape(client, viewer).items()
           if name == "mediasync_sync_run_requests"}
    assert got == {(("upstream", "tvmaze"),): 20}


@pytest.mark.django_db
def test_it_reports_refreshes_of_chosen_shows_as_one_scope(viewer, client):
    """Each TMDB refresh of chosen shows runs in a scope named by their ids: one series per
    selection would grow the scrape (and Prometheus) by two series per refresh, for ever."""
    now = timezone.now().replace(microsecond=0)
    for n, scope in enumerate(["shows:0123456789abcdef", "shows:fedcba9876543210"]):
        factories.SyncRunFactory(kind="tmdb", scope=scope, status="succeeded",
                                 started_at=now - timedelta(minutes=10 - n, seconds=n + 1),
                                 finished_at=now - timedelta(minutes=10 - n))
    got = _scrape(client, viewer)
    scopes = {dict(labels)["scope"] for (name, labels) in got
              if name == "mediasync_sync_last_success_timestamp_seconds"}
    assert scopes == {"shows"}
    tmdb = ("kind", "tmdb"), ("scope", "shows")
    assert got[("mediasync_sync_last_success_timestamp_seconds", tmdb)] == (
        now - timedelta(minutes=9)).timestamp()
    assert got[("mediasync_sync_last_success_duration_seconds", tmdb)] == 2
