"""Validation before work, the pending_tvdb retry queue, paged exclusions, notifications."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from catalog.models import Decision, DiscoveryRule, SyncRun
from integrations.fakes.sonarr import SonarrFake
from tests import factories
from tests.catalog.sync.sonarr_fixtures import (
    client_for,
    fake_per_version,
    push,
    rule_for,
    server_for,
    shows_known_to,
    statuses,
)

S = Decision.Status
V = DiscoveryRule.Validation
pytestmark = pytest.mark.django_db


fake = fake_per_version(catalog_size=100)


@pytest.fixture
def v3():
    with SonarrFake(version=SonarrFake.V3, catalog_size=100) as server:
        yield server


@pytest.fixture
def v4():
    with SonarrFake(version=SonarrFake.V4, catalog_size=100) as server:
        yield server


@pytest.mark.parametrize(("options", "message"), [
    ({"root_folder": "/nowhere"}, "root folder '/nowhere' not found"),
    ({"quality_profile": "4K HDR"}, "quality profile '4K HDR' not found"),
    ({"min_free_space_gb": 10_000}, "GiB free, the rule needs 10000 GiB"),
])
def test_it_marks_an_invalid_rule_and_sends_nothing_for_it(fake, options, message):
    server = server_for(fake)
    bad = rule_for(server, name="bad", **options)
    good = rule_for(server, name="good")
    shows_known_to(fake, 2)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    bad.refresh_from_db()
    assert bad.validation == V.INVALID and message in bad.validation_message
    assert statuses(bad) == {S.PENDING: 2}  # waits
    assert statuses(good) == {S.ADDED: 2}
    assert run.summary["invalid_rules"] == ["bad"]


def test_it_refuses_an_inaccessible_root_folder(fake):
    fake.set_root_folder("/tv", accessible=False, free_space=0)
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 1)
    push(fake, server)
    rule.refresh_from_db()
    assert rule.validation == V.INVALID and "not accessible" in rule.validation_message
    assert fake.added == []


def test_it_needs_a_language_profile_on_v3_only(v3, v4):
    for fake, expected in ((v3, V.INVALID), (v4, V.OK)):
        server = server_for(fake)
        rule = rule_for(server, language_profile="Klingon")
        push(fake, server)
        rule.refresh_from_db()
        assert rule.validation == expected, rule.validation_message


def test_it_refuses_a_v4_monitor_value_on_v3(v3, v4):
    for fake, expected in ((v3, V.INVALID), (v4, V.OK)):
        server = server_for(fake)
        rule = rule_for(server, monitor="recent")
        push(fake, server)
        rule.refresh_from_db()
        assert rule.validation == expected
        assert rule.resolved["version"] == fake.version


def test_it_matches_a_profile_by_name_case_insensitively_or_by_a_legacy_id(fake):
    server = server_for(fake)
    by_name = rule_for(server, name="n", quality_profile="hd-1080P")
    by_id = rule_for(server, name="i", quality_profile="4")
    push(fake, server)
    for rule in (by_name, by_id):
        rule.refresh_from_db()
        assert rule.validation == V.OK and rule.resolved["quality_profile_id"] == 4


def test_it_retries_pending_tvdb_after_the_delay_and_gives_up_after_the_abandon_time(
        fake, settings):
    settings.SONARR_RETRY_DELAY = 7
    settings.SONARR_ABANDON_AFTER = 365
    server = server_for(fake)
    rule = rule_for(server)
    show = factories.ShowFactory(tvdb_id=6_666_666, title="Unknown to SkyHook")
    from catalog.rules.decide import decide_shows

    decide_shows([show.pk])
    push(fake, server)
    decision = Decision.objects.get(rule=rule)
    assert decision.status == S.PENDING_TVDB
    # SkyHook learns the id; after the delay the next push adds it.
    fake.add_catalog(6_666_666, "Unknown to SkyHook", 2024)
    Decision.objects.filter(pk=decision.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1))
    push(fake, server)
    assert Decision.objects.get(pk=decision.pk).status == S.ADDED
    # Another one never found: abandoned after a year, as failed (no_tvdb).
    lost = factories.ShowFactory(tvdb_id=None, title="No TVDB id")
    decide_shows([lost.pk])
    old = timezone.now() - timedelta(days=366)
    Decision.objects.filter(show=lost).update(status_changed_at=old)
    push(fake, server)
    given_up = Decision.objects.get(show=lost, rule=rule)
    assert (given_up.status, given_up.reason) == (S.FAILED, "no_tvdb")


def test_it_re_evaluates_a_show_when_its_tvdb_id_arrives_from_tvmaze(fake):
    from catalog.rules.decide import decide_shows

    server = server_for(fake)
    rule = rule_for(server)
    show = factories.ShowFactory(tvdb_id=None)
    decide_shows([show.pk])
    assert statuses(rule) == {S.PENDING_TVDB: 1}
    show.tvdb_id = fake.catalog_ids[3]
    show.save()
    decide_shows([show.pk])
    assert statuses(rule) == {S.PENDING: 1}


def test_it_reads_every_page_of_v4_exclusions(v4, monkeypatch):
    from integrations.sonarr import imports

    monkeypatch.setattr(imports, "EXCLUSION_PAGE", 2)
    for tvdb in v4.catalog_ids[:5]:
        v4.add_exclusion(tvdb, "x")
    assert client_for(v4).exclusions(paged=True) == frozenset(v4.catalog_ids[:5])
    # Several pages are read twice: offset paging is only trusted when two reads agree.
    assert v4.counts["GET /api/v3/importlistexclusion/paged"] == 6


class _Sink(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        _Sink.received.append(json.loads(self.rfile.read(length) or b"{}"))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sink():
    _Sink.received = []
    httpd = HTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_it_sends_one_notification_per_run_with_counts_and_first_titles(v4, sink, settings):
    settings.NOTIFY_URLS = f"json://127.0.0.1:{sink.server_address[1]}/hook"
    server = server_for(v4)
    rule_for(server)
    shows = shows_known_to(v4, 25)
    push(v4, server)
    assert len(_Sink.received) == 1
    message = _Sink.received[0]
    assert "25 added" in message["title"]
    assert shows[0].title in message["message"]
    push(v4, server)  # nothing added, nothing failed: no message
    assert len(_Sink.received) == 1


def test_it_never_fails_a_run_because_a_notifier_is_unreachable(v4, settings):
    settings.NOTIFY_URLS = "json://127.0.0.1:9/nothing-listens"
    server = server_for(v4)
    rule = rule_for(server)
    shows_known_to(v4, 2)
    run = push(v4, server)
    assert run.status == SyncRun.Status.SUCCEEDED
    assert statuses(rule) == {S.ADDED: 2}


def test_it_keeps_notification_tokens_out_of_the_logs(v4, settings, caplog):
    token = "webhook-token-SECRET-4242"
    settings.NOTIFY_URLS = f"json://127.0.0.1:9/{token}?key={token}x"
    server = server_for(v4)
    rule_for(server)
    shows_known_to(v4, 1)
    with caplog.at_level("DEBUG"):
        push(v4, server)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "apprise" in {r.name.split(".")[0] for r in caplog.records}
    assert token not in logged
