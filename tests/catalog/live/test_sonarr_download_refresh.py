"""Sonarr's ``Download`` webhook, through the real endpoint, takes the Plex listener's path:
one refresh of the show in the library that holds it, two upstream Plex requests per event
(the show's row and its ``allLeaves``), and the new episode (or the upgraded file) is in the
catalog; the show's other episodes are not read one by one, and nothing scans the library."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog.auth.webhooks import sonarr_webhook_secret_new
from catalog.models import MediaItem, PlexShow, SyncRun
from tests import factories
from tests.catalog.sync.plex_fixtures import expected_state
from tests.catalog.test_sonarr_webhook_auth import basic, url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _download(server_id: int, secret: str, tvdb_id: int, *, upgrade: bool = False) -> dict:
    body = {"eventType": "Download", "isUpgrade": upgrade, "instanceName": "Sonarr",
            "series": {"id": 7, "title": "x", "tvdbId": tvdb_id, "path": "/tv/x"},
            "episodes": [{"id": 1, "episodeNumber": 9, "seasonNumber": 1}],
            "episodeFile": {"id": 3, "relativePath": "Season 01/x.mkv", "size": 10}}
    answer = Client().post(url(server_id), body, content_type="application/json",
                           **basic(secret))
    assert answer.status_code == 202, answer.content
    return answer.json()


def test_each_import_costs_at_most_two_plex_requests(fake, library, settings):
    settings.SONARR_WEBHOOK_REFRESH_DELAY = 0  # at once: the delay's own tests are elsewhere
    sonarr = factories.SonarrServerFactory()
    secret = sonarr_webhook_secret_new(server_id=sonarr.pk)
    shows = fake.shows_of("1")
    for n, show in enumerate(shows[:5]):
        held = PlexShow.objects.get(library=library, rating_key=str(show.rk))
        assert held.show is not None and held.show.tvdb_id == show.tvdb
        if n % 2:  # an upgrade: a new file for an episode Plex already had
            leaf = next(e for e in fake.episodes_of("1") if e.show is show)
            fake.replace_file(leaf.rk)
        else:
            rk = fake.add_episode(show.rk)
            leaf = next(e for e in fake.episodes_of("1") if str(e.rk) == rk)
        fake.reset_counts()
        _download(sonarr.pk, secret, show.tvdb, upgrade=bool(n % 2))
        assert fake.total_requests() <= 2, dict(fake.counts)
        item = MediaItem.objects.get(library=library, rating_key=str(leaf.rk))
        assert item.state == expected_state(leaf, "/data/tv")  # as a scan would leave it
        assert item.file_size == leaf.media[0].parts[0].size
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, triggered_by="sonarr webhook")
    assert runs.count() == 5
    assert {r.scope for r in runs} == {f"live:{library.pk}"}
    assert all(r.status == SyncRun.Status.SUCCEEDED for r in runs)
    assert all(list(r.options["refresh"]) == ["shows"] for r in runs)
