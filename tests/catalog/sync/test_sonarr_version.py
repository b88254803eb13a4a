"""The server's version, known without re-reading ``system/status`` on every push: the stored
version is used only when this run's quality profiles confirm its family (v3 or v4), so an
upgraded or swapped server still gets the right add bodies and the right ``monitor`` check."""

from __future__ import annotations

import pytest

from catalog.models import Decision, DiscoveryRule, SonarrServer, SyncRun
from catalog.sync.sonarr.validate import profiles_family, server_facts
from catalog.upstreams.checks import sonarr_server_check
from integrations.fakes.sonarr import SonarrFake
from integrations.values.sonarr import SonarrQualityProfile
from tests.catalog.sync.sonarr_fixtures import (
    client_for,
    push,
    rule_for,
    server_for,
    shows_known_to,
    statuses,
)

S = Decision.Status
V = DiscoveryRule.Validation
STATUS = "GET /api/v3/system/status"
pytestmark = pytest.mark.django_db


def saved_server(fake: SonarrFake) -> SonarrServer:
    """A server saved as the admin and the API save one: checked, its version stored."""
    facts = sonarr_server_check(url=fake.url, api_key=fake.api_key)
    server = server_for(fake, **facts)
    fake.reset_counts()
    return server


@pytest.mark.parametrize("version", [SonarrFake.V3, SonarrFake.V4])
def test_it_pushes_a_thousand_decisions_in_at_most_fifteen_requests(version):
    with SonarrFake(version=version, catalog_size=1_050) as fake:
        server = saved_server(fake)
        rule = rule_for(server)
        shows_known_to(fake, 1_000)
        run = push(fake, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert statuses(rule) == {S.ADDED: 1_000}
        expected = {
            "GET /api/v3/rootfolder": 1,
            "GET /api/v3/qualityprofile": 1,
            "GET /api/v3/series": 1,
            "POST /api/v3/series/import": 10,
        }
        if fake.is_v4:
            expected["GET /api/v3/importlistexclusion/paged"] = 1
        else:
            expected |= {"GET /api/v3/languageprofile": 1, "GET /api/v3/importlistexclusion": 1}
        assert dict(fake.counts) == expected
        assert fake.total_requests() == (14 if fake.is_v4 else 15)
        bodies = fake.added
        assert len(bodies) == 1_000
        if fake.is_v4:
            assert all("languageProfileId" not in b for b in bodies)
        else:
            assert all(b["languageProfileId"] == 1 for b in bodies)


def test_it_reads_the_status_on_a_first_push_and_trusts_it_on_the_next():
    with SonarrFake(version=SonarrFake.V3, catalog_size=50) as fake:
        server = server_for(fake)  # saved without a check: no version yet
        assert server.version == ""
        rule = rule_for(server)
        shows_known_to(fake, 3)
        assert push(fake, server).status == SyncRun.Status.SUCCEEDED
        assert fake.counts[STATUS] == 1
        server.refresh_from_db()
        assert server.version == SonarrFake.V3
        shows_known_to(fake, 3, start=3)
        fake.reset_counts()
        assert push(fake, server).status == SyncRun.Status.SUCCEEDED
        assert fake.counts[STATUS] == 0
        assert statuses(rule) == {S.ADDED: 6}


def test_it_sends_v4_bodies_to_a_server_upgraded_from_v3_since_the_last_run():
    with SonarrFake(version=SonarrFake.V3, catalog_size=50) as old, \
            SonarrFake(version=SonarrFake.V4, catalog_size=50) as new:
        server = saved_server(old)
        rule = rule_for(server, monitor="future", monitor_new_items="none")
        shows_known_to(old, 3)
        assert push(old, server).status == SyncRun.Status.SUCCEEDED
        assert all(b["languageProfileId"] == 1 and "monitorNewItems" not in b
                   for b in old.added)
        # Upgraded in place: same row, same stored "3.x" version, now answering as v4.
        SonarrServer.objects.filter(pk=server.pk).update(url=new.url)
        server.refresh_from_db()
        assert server.version == SonarrFake.V3
        shows_known_to(new, 3, start=3)
        new.reset_counts()
        run = push(new, server, client=client_for(new))
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert statuses(rule) == {S.ADDED: 6}
        assert new.counts[STATUS] == 1  # the stale family was noticed and the status read
        assert new.counts["GET /api/v3/languageprofile"] == 0
        assert new.counts["GET /api/v3/importlistexclusion/paged"] == 1
        assert len(new.added) == 3
        for body in new.added:
            assert "languageProfileId" not in body
            assert body["monitorNewItems"] == "none"
            assert body["addOptions"]["monitor"] == "future"
        server.refresh_from_db()
        assert server.version == SonarrFake.V4
        new.reset_counts()
        shows_known_to(new, 2, start=6)
        assert push(new, server, client=client_for(new)).status == SyncRun.Status.SUCCEEDED
        assert new.counts[STATUS] == 0 and statuses(rule) == {S.ADDED: 8}


def test_it_never_sends_a_v4_monitor_value_to_a_server_that_went_back_to_v3():
    with SonarrFake(version=SonarrFake.V4, catalog_size=50) as new, \
            SonarrFake(version=SonarrFake.V3, catalog_size=50) as old:
        server = saved_server(new)
        assert server.version == SonarrFake.V4
        recent = rule_for(server, name="recent", monitor="recent")
        plain = rule_for(server, name="plain", monitor="all")
        # Restored from a v3 backup (or re-pointed without a check): the row still says v4.
        SonarrServer.objects.filter(pk=server.pk).update(url=old.url)
        server.refresh_from_db()
        shows_known_to(old, 4)
        old.reset_counts()
        run = push(old, server)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert old.counts[STATUS] == 1 and old.counts["GET /api/v3/languageprofile"] == 1
        recent.refresh_from_db()
        assert recent.validation == V.INVALID
        assert "monitor 'recent' is not accepted by Sonarr 3" in recent.validation_message
        assert statuses(recent) == {S.PENDING: 4}
        assert statuses(plain) == {S.ADDED: 4}
        assert len(old.added) == 4
        for body in old.added:
            assert body["languageProfileId"] == 1 and "monitorNewItems" not in body
            assert body["addOptions"]["monitor"] == "all"
        server.refresh_from_db()
        assert server.version == SonarrFake.V3


@pytest.mark.parametrize("stored", ["", "banana", "v4", "   "])
def test_it_reads_the_status_when_the_stored_version_is_unusable(stored):
    with SonarrFake(version=SonarrFake.V3, catalog_size=10) as fake:
        facts = server_facts(client_for(fake), want_tags=False, known_version=stored)
        assert fake.counts[STATUS] == 1
        assert facts.status.version == SonarrFake.V3 and facts.version_source == "status"
        assert [p.name for p in facts.languages] == ["English"]


@pytest.mark.parametrize(("version", "stored"), [(SonarrFake.V3, "4.0.0.1"),
                                                 (SonarrFake.V4, "3.0.10.1567"),
                                                 (SonarrFake.V4, "2.0.0.5344")])
def test_it_never_trusts_a_stored_version_of_the_other_family(version, stored):
    with SonarrFake(version=version, catalog_size=10) as fake:
        facts = server_facts(client_for(fake), want_tags=False, known_version=stored)
        assert fake.counts[STATUS] == 1
        assert facts.status.version == version
        assert facts.status.is_v4 is fake.is_v4
        assert fake.counts["GET /api/v3/languageprofile"] == (0 if fake.is_v4 else 1)


def test_it_reads_the_status_when_the_profiles_cannot_tell_the_family():
    with SonarrFake(version=SonarrFake.V3, catalog_size=10) as fake:
        fake._cache["qualityprofile"] = b"[]"  # no profile at all
        facts = server_facts(client_for(fake), want_tags=False,
                             known_version=SonarrFake.V3)
        assert fake.counts[STATUS] == 1 and facts.version_source == "status"


def test_it_tells_the_family_only_from_profiles_that_agree():
    v3 = SonarrQualityProfile(1, "Any")
    v4 = SonarrQualityProfile(2, "HD", format_scores=True)
    assert profiles_family([v3, v3]) is False
    assert profiles_family([v4, v4]) is True
    assert profiles_family([v3, v4]) is None
    assert profiles_family([]) is None


def test_it_spots_the_v4_profile_shape_in_what_the_client_reads():
    with SonarrFake(version=SonarrFake.V4, catalog_size=10) as v4, \
            SonarrFake(version=SonarrFake.V3, catalog_size=10) as v3:
        assert all(p.format_scores for p in client_for(v4).quality_profiles())
        assert not any(p.format_scores for p in client_for(v3).quality_profiles())
