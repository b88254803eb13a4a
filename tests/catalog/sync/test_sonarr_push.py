"""The push against the Sonarr fake (v3 and v4): reads once, exists without a POST,
exclusions, bulk import in batches with a failing series isolated, fallback, outcomes."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SonarrServer, SyncRun
from integrations.fakes.base import Fault
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import (
    client_for,
    fake_per_version,
    push,
    rule_for,
    server_for,
    shows_known_to,
    statuses,
)
from tests.crash.procs import wait_for

S = Decision.Status
pytestmark = pytest.mark.django_db


fake = fake_per_version(catalog_size=400)


def test_it_adds_pending_shows_in_bulk_with_every_add_option(fake):
    server = server_for(fake)
    rule = rule_for(server, monitor="future", series_type="anime", season_folder=False,
                    search_missing=True, search_cutoff_unmet=True, tags=["mediasync"],
                    monitor_new_items="none")
    shows = shows_known_to(fake, 5)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert statuses(rule) == {S.ADDED: 5}
    library = {s["tvdbId"]: s["id"] for s in fake.library}
    for decision in Decision.objects.filter(rule=rule).select_related("show"):
        assert decision.sonarr_series_id == library[decision.show.tvdb_id]
    assert fake.import_batches == [5]
    body = fake.added[0]
    assert body["addOptions"]["monitor"] == "future"
    assert body["addOptions"]["searchForMissingEpisodes"] is True
    assert body["addOptions"]["searchForCutoffUnmetEpisodes"] is True
    assert body["seriesType"] == "anime" and body["seasonFolder"] is False
    assert body["qualityProfileId"] == 4 and body["rootFolderPath"] == "/tv"
    tags = {t.label: t.id for t in client_for(fake).tags()}
    assert body["tags"] == [tags["mediasync"]]  # created, since the fake did not have it
    if fake.is_v4:
        assert "languageProfileId" not in body and body["monitorNewItems"] == "none"
    else:
        assert body["languageProfileId"] == 1 and "monitorNewItems" not in body
    assert {s.tvdb_id for s in shows} == set(library)


def test_it_reads_the_library_and_exclusions_once_and_settles_them_without_a_post(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 6)
    present = fake.seed_library(shows[0].tvdb_id)
    fake.add_exclusion(shows[1].tvdb_id, "excluded")
    fake.reset_counts()
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    by_show = {d.show_id: d for d in Decision.objects.filter(rule=rule)}
    assert by_show[shows[0].pk].status == S.EXISTS
    assert by_show[shows[0].pk].sonarr_series_id == present
    assert by_show[shows[1].pk].status == S.SKIPPED
    assert by_show[shows[1].pk].reason == "sonarr_exclusion"
    assert [d.status for d in by_show.values()].count(S.ADDED) == 4
    sent = {b["tvdbId"] for b in fake.added}
    assert shows[0].tvdb_id not in sent and shows[1].tvdb_id not in sent
    assert fake.counts["GET /api/v3/series"] == 1
    exclusions = ("GET /api/v3/importlistexclusion/paged" if fake.is_v4
                  else "GET /api/v3/importlistexclusion")
    assert fake.counts[exclusions] == 1
    assert fake.counts["POST /api/v3/series"] == 0


def test_it_pushes_a_thousand_decisions_in_batches_of_a_hundred(fake):
    with SonarrFake(version=fake.version, catalog_size=1_100) as big:
        server = server_for(big)
        rule = rule_for(server)
        shows_known_to(big, 1_000)
        big.reset_counts()
        run = push(big, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert statuses(rule) == {S.ADDED: 1_000}
        assert big.import_batches == [100] * 10
        reads = 6 if not big.is_v4 else 5  # never checked: its status is read as well
        assert big.total_requests() == reads + 10
        assert run.processed == run.total == 1_000


def test_it_isolates_the_series_that_fails_a_batch_and_adds_the_others(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 8)
    # A different series whose title slug is already used in the library: the whole batch
    # answers 400 until it is taken out.
    clash_tvdb = 999_001
    fake.add_catalog(clash_tvdb, "Clashing Title", 2001)
    fake.add_catalog(999_002, "Clashing Title", 2001)
    fake.seed_library(999_002)
    clash = shows_known_to_ids([clash_tvdb])[0]
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    by_show = {d.show_id: d for d in Decision.objects.filter(rule=rule)}
    assert by_show[clash.pk].status == S.FAILED
    assert "slug" in by_show[clash.pk].reason.lower()
    assert all(by_show[s.pk].status == S.ADDED for s in shows)
    assert fake.import_batches[0] == 9 and len(fake.import_batches) <= 9
    assert run.errors == 1


def shows_known_to_ids(tvdb_ids):
    from catalog.rules.decide import decide_shows
    from tests import factories

    shows = [factories.ShowFactory(tvdb_id=t, title=f"Series {t}") for t in tvdb_ids]
    decide_shows([s.pk for s in shows])
    return shows


def test_it_waits_for_a_tvdb_id_sonarr_does_not_know_and_adds_the_rest(fake, settings):
    settings.SONARR_RETRY_DELAY = 7
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 3)
    unknown = shows_known_to_ids([5_555_555])[0]
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    decision = Decision.objects.get(rule=rule, show=unknown)
    assert decision.status == S.PENDING_TVDB
    assert (decision.next_attempt_at - run.started_at).days in (6, 7)
    assert statuses(rule)[S.ADDED] == len(shows)
    # Not retried before its time: the next push sends nothing.
    fake.reset_counts()
    push(fake, server)
    assert fake.counts["POST /api/v3/series/import"] == 0


def test_it_falls_back_to_lookup_and_post_one_at_a_time_without_the_import_endpoint(fake):
    with SonarrFake(version=fake.version, catalog_size=50, supports_import=False) as old:
        server = server_for(old)
        rule = rule_for(server)
        shows = shows_known_to(old, 4)
        unknown = shows_known_to_ids([5_555_556])[0]
        run = push(old, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        by_show = {d.show_id: d for d in Decision.objects.filter(rule=rule)}
        assert all(by_show[s.pk].status == S.ADDED for s in shows)
        assert by_show[unknown.pk].status == S.PENDING_TVDB
        assert old.counts["POST /api/v3/series"] == 4
        assert old.counts["GET /api/v3/series/lookup"] == 5


def test_it_stops_and_marks_the_server_unauthorised_on_401(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)
    run = push(fake, server, client=client_for(fake, api_key="wrong-key-0000"))
    assert run.status == SyncRun.Status.FAILED
    server.refresh_from_db()
    assert server.state == SonarrServer.State.UNAUTHORIZED
    assert statuses(rule) == {S.PENDING: 3}
    assert fake.added == []
    assert "wrong-key-0000" not in run.error + server.state_message


def test_it_records_a_dry_run_as_would_add_and_sends_nothing(fake):
    server = server_for(fake)
    rule = rule_for(server, dry_run=True)
    shows_known_to(fake, 4)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert statuses(rule) == {S.PENDING: 4}
    assert set(Decision.objects.filter(rule=rule).values_list("reason", flat=True)) == {
        "dry_run: would add"}
    assert run.summary["counts"]["would_add"] == 4
    assert fake.added == [] and fake.counts["POST /api/v3/tag"] == 0


def test_it_ends_with_exists_not_a_duplicate_after_a_timeout_that_added(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)
    fake.inject(Fault("slow", delay=1.0), path_prefix="/api/v3/series/import")
    run = push(fake, server, client=client_for(fake, read_timeout=0.3))
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    first = statuses(rule)
    assert first == {S.PENDING: 3}
    decision = Decision.objects.filter(rule=rule).first()
    assert decision.attempts == 1 and decision.next_attempt_at is not None
    # The fake goes on adding the batch the client gave up on, however slow the machine.
    assert wait_for(lambda: len(fake.library) == 3, 60), fake.library
    run = push(fake, server)
    assert statuses(rule) == {S.EXISTS: 3}
    assert len(fake.library) == 3 and len(fake.import_batches) == 1


def test_it_keeps_transient_failures_pending_with_a_growing_retry_clock(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 2)
    fake.inject(Fault("status", status=503), times=10, path_prefix="/api/v3/series/import")
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED
    decisions = list(Decision.objects.filter(rule=rule))
    assert {d.status for d in decisions} == {S.PENDING}
    assert all(d.attempts == 1 and d.next_attempt_at > run.started_at for d in decisions)
    assert run.summary["counts"]["retry"] == 2


def test_it_sends_one_series_wanted_by_two_rules_once(fake):
    server = server_for(fake)
    first, second = rule_for(server, name="a first"), rule_for(server, name="b second")
    shows_known_to(fake, 3)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert statuses(first) == {S.ADDED: 3}
    assert statuses(second) == {S.EXISTS: 3}
    assert len(fake.added) == 3


def test_it_pushes_an_approved_decision_but_never_one_awaiting_approval(fake):
    from catalog.rules.services import decisions_approve

    server = server_for(fake)
    rule = rule_for(server, requires_approval=True)
    shows = shows_known_to(fake, 3)
    assert statuses(rule) == {S.AWAITING_APPROVAL: 3}
    push(fake, server)
    assert fake.added == []
    decisions_approve(Decision.objects.filter(rule=rule, show=shows[0]), by="otto")
    push(fake, server)
    assert statuses(rule) == {S.ADDED: 1, S.AWAITING_APPROVAL: 2}


def test_it_leaves_alone_what_an_operator_settles_or_deletes_before_the_claim(
        fake, monkeypatch):
    from catalog.models import DiscoveryRule
    from catalog.rules.services import decisions_skip
    from catalog.sync.sonarr import push as pushing

    server = server_for(fake)
    kept, doomed = rule_for(server, name="a kept"), rule_for(server, name="b doomed")
    shows = shows_known_to(fake, 3)
    original, calls = pushing.claim, []

    def meanwhile(*args, **kwargs):
        if not calls:
            decisions_skip(Decision.objects.filter(rule=kept, show=shows[0]), by="otto")
            DiscoveryRule.objects.filter(pk=doomed.pk).delete()
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(pushing, "claim", meanwhile)
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    by_show = {d.show_id: d.status for d in Decision.objects.filter(rule=kept)}
    assert by_show == {shows[0].pk: S.SKIPPED, shows[1].pk: S.ADDED, shows[2].pk: S.ADDED}
    assert not Decision.objects.filter(rule_id=doomed.pk).exists()
    assert sorted(s["tvdbId"] for s in fake.library) == sorted(
        [shows[1].tvdb_id, shows[2].tvdb_id])  # the skipped show never left the house


def test_it_records_exists_for_a_series_added_elsewhere_after_the_library_was_read(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows = shows_known_to(fake, 4)
    taken: list[int] = []
    fake.on_request(lambda _: taken.append(fake.seed_library(shows[2].tvdb_id)),
                    method="POST", path_prefix="/api/v3/series/import")
    fake.reset_counts()
    run = push(fake, server)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    by_show = {d.show_id: d for d in Decision.objects.filter(rule=rule)}
    assert by_show[shows[2].pk].status == S.EXISTS
    assert by_show[shows[2].pk].sonarr_series_id == taken[0]
    assert [by_show[s.pk].status for s in shows].count(S.ADDED) == 3
    assert len(fake.library) == 4
    assert fake.counts["GET /api/v3/series"] == 2  # the first read, and one for the batch


def test_it_stops_on_403_mid_push_and_keeps_what_was_settled(fake):
    server = server_for(fake)
    rule = rule_for(server)
    shows_known_to(fake, 3)
    fake.inject(Fault("status", status=403), path_prefix="/api/v3/series/import")
    run = push(fake, server)
    assert run.status == SyncRun.Status.FAILED
    server.refresh_from_db()
    assert server.state == SonarrServer.State.UNAUTHORIZED
    assert statuses(rule) == {S.PENDING: 3}


def test_it_ends_quietly_when_the_server_was_deleted_after_queueing(fake):
    server = server_for(fake)
    server_id = server.pk
    server.delete()
    from catalog.runs import run_claim
    from catalog.runs.execute import job_execute
    from catalog.sync.sonarr import sonarr_push

    run = run_claim(kind=SyncRun.Kind.SONARR, scope=f"server:{server_id}")
    done = job_execute(run, lambda r: sonarr_push(r, server_id=server_id), upstream="sonarr")
    assert done.status == SyncRun.Status.SUCCEEDED and done.summary["missing"] is True
