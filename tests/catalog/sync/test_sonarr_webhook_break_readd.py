"""Adversarial (issue #20): a series deleted in Sonarr is never added to that Sonarr again
("No push, refilter, re-decision, rule save or rule move to another server ever adds such a
series again", docs/rules-and-sonarr.md).

The delete is recorded only on the decisions that were ``added``/``exists`` at that moment,
not on (server, TVDB id). Any other decision of that server for the same TVDB id that is or
becomes ``pending`` sends the deleted series to the very Sonarr it was deleted from on the
next push: another rule's ``filtered`` decision a rule save makes match, a rule created
after the push whose decision still waits, and the show a TVMaze update moves the TVDB id to.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import transaction
from msgspec.structs import replace

from catalog.models import Decision, SyncRun
from catalog.rules.decide import decide_shows
from catalog.sync.shows_write import shows_write_page
from integrations.fakes.sonarr import SonarrFake
from integrations.values.tvmaze import TvmazeShow
from tests.catalog.sync.sonarr_fixtures import push, rule_for, server_for, shows_known_to
from tests.catalog.sync.test_sonarr_webhook_events import Hook

S = Decision.Status
pytestmark = pytest.mark.django_db(transaction=True)  # rule saves queue refilters on commit


@pytest.fixture
def fake():
    with SonarrFake(version=SonarrFake.V4, catalog_size=40) as server:
        yield server


def _deleted_in_sonarr(fake, server, rule, show) -> int:
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    gone = Decision.objects.get(rule=rule, show=show)
    assert gone.status == S.ADDED
    fake.remove_series(gone.sonarr_series_id)
    answer = Hook(server.pk).send("SeriesDelete", show.tvdb_id, series_id=gone.sonarr_series_id)
    assert answer.status_code == 200, answer.content
    gone.refresh_from_db()
    assert gone.status == S.REMOVED
    return len(fake.added)


def test_a_save_of_another_rule_of_that_server_does_not_add_the_deleted_series_again(
        fake, admin_user, api_as):
    server = server_for(fake)
    adding = rule_for(server)
    show = shows_known_to(fake, 1)[0]  # a Drama
    admin = api_as(admin_user)
    other = rule_for(server, name="comedies")
    assert admin.patch(f"/api/rules/{other.pk}/", {"selections": [{"genres_any": ["Comedy"]}]},
                       format="json").status_code == 200
    assert Decision.objects.get(rule=other, show=show).status == S.FILTERED
    sent = _deleted_in_sonarr(fake, server, adding, show)

    # The operator widens the other rule: a rule save, which must not undo the delete.
    assert admin.patch(f"/api/rules/{other.pk}/", {"selections": []},
                       format="json").status_code == 200
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED

    assert show.tvdb_id not in {b["tvdbId"] for b in fake.added[sent:]}, (
        "the series deleted in Sonarr was added to it again",
        Decision.objects.get(rule=other, show=show).status)
    assert show.tvdb_id not in {s["tvdbId"] for s in fake.library}


def test_a_new_rule_waiting_for_the_next_push_does_not_add_the_deleted_series_again(
        fake, admin_user, api_as):
    """The same gap without any edit: a rule created after the push (its decision ``pending``
    until the next push) still sends the series the user deletes in between."""
    server = server_for(fake)
    adding = rule_for(server)
    show = shows_known_to(fake, 1)[0]
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED
    later = rule_for(server, name="created after the push")
    decide_shows([show.pk])
    assert Decision.objects.get(rule=later, show=show).status == S.PENDING
    gone = Decision.objects.get(rule=adding, show=show)
    fake.remove_series(gone.sonarr_series_id)
    answer = Hook(server.pk).send("SeriesDelete", show.tvdb_id, series_id=gone.sonarr_series_id)
    assert answer.status_code == 200
    sent = len(fake.added)

    assert push(fake, server).status == SyncRun.Status.SUCCEEDED

    assert show.tvdb_id not in {b["tvdbId"] for b in fake.added[sent:]}, (
        "the series deleted in Sonarr was added to it again by the newer rule")


def test_a_tvmaze_update_moving_the_tvdb_id_does_not_add_the_deleted_series_again(fake):
    """TVMaze moves a TVDB id to another of its shows (a fixed mismatch): the show that now
    carries the deleted series' id is decided afresh, ``pending``, and pushed."""
    server = server_for(fake)
    adding = rule_for(server)
    show = shows_known_to(fake, 1)[0]
    deleted_tvdb, other_tvdb = fake.catalog_ids[0], fake.catalog_ids[1]
    _deleted_in_sonarr(fake, server, adding, show)
    sent = len(fake.added)

    base = _tvmaze(show.tvmaze_id, other_tvdb)
    with transaction.atomic():
        shows_write_page([base, replace(base, id=show.tvmaze_id + 1, name="the real one",
                                        tvdb_id=deleted_tvdb)])
    assert push(fake, server).status == SyncRun.Status.SUCCEEDED

    assert deleted_tvdb not in {b["tvdbId"] for b in fake.added[sent:]}, (
        "the series deleted in Sonarr was added to it again under the show now holding its id")


def _tvmaze(sid: int, tvdb: int) -> TvmazeShow:
    return TvmazeShow(
        id=sid, name=f"show {sid}", type="Scripted", language="English", status="Running",
        genres=("Drama",), runtime=60, premiered=None, ended=None, network=None,
        web_channel=None, country=None, tvdb_id=tvdb, imdb_id=None, tvrage_id=None,
        official_site=None, summary=None, image_url=None, rating=None,
        updated=datetime(2030, 1, 1, tzinfo=UTC))
