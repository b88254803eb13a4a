"""Unreadable rows, path-mapping changes and the dispatch of a Plex scan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from catalog.models import MediaItem, PathMapping, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.dispatch import WORK, scope_for
from integrations.fakes.base import FakeRequest, FakeResponse
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for

pytestmark = [pytest.mark.django_db, pytest.mark.integration]
T1 = T0 + timedelta(hours=1)


class GarblingPlex(PlexFake):
    """Serves one listing row garbled: without its Media id (the row names itself), or
    without any ratingKey or key (it cannot)."""

    answers_json = False  # the garbling edits XML bytes

    garble: tuple[str, bool] | None = None  # (ratingKey, keep its name)

    def handle(self, request: FakeRequest) -> FakeResponse:
        response = super().handle(request)
        if self.garble is None or not request.path.endswith(("/all", "/allLeaves")):
            return response
        rk, named = self.garble
        head = f'<Video ratingKey="{rk}" key="/library/metadata/{rk}"'.encode()
        at = response.body.find(head)
        if at < 0:
            return response
        body = response.body
        if named:
            media = body.index(b"<Media id=", at)
            body = body[:media] + b"<Media xid=" + body[media + len(b"<Media id="):]
        else:
            body = body[:at] + b"<Video" + body[at + len(head):]
        return FakeResponse(response.status, body, response.headers)


@pytest.fixture
def fake() -> Iterator[GarblingPlex]:
    with GarblingPlex([LibrarySpec("1", "show", "TV", shows=5, episodes=120),
                       LibrarySpec("2", "movie", "Movies", movies=30, root="/data/movies")],
                      seed=6) as fake:
        yield fake


@pytest.fixture
def library(fake):
    library = library_for(server_for(fake, "plex"), "1")
    scan(library, fake, T0)
    return library


def _with_media(fake: PlexFake, index: int):
    return [e for e in fake.episodes_of("1") if e.media and e.media[0].parts][index]


def test_it_keeps_an_unreadable_row_that_names_itself_seen(fake, library):
    episode = _with_media(fake, 3)
    before = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    fake.garble = (str(episode.rk), True)
    done = scan(library, fake, T1, deep=True)
    assert done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert any(str(episode.rk) in r for r in done.summary["rejects"])
    item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert (item.state, item.digest, item.last_seen_at, item.error_count) == (
        before.state, before.digest, T1, 1)
    assert "'id'" in item.last_error


def test_it_keeps_an_unreadable_episode_of_an_expanded_show_seen(fake, library):
    episode, other = _with_media(fake, 3), _with_media(fake, 4)
    assert episode.show is other.show
    fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
    fake.replace_file(other.rk)
    fake.garble = (str(episode.rk), True)
    before = MediaItem.objects.get(library=library, rating_key=str(episode.rk)).state
    done = scan(library, fake, T1)
    assert done.summary["expanded_shows"] == 1 and done.summary["complete"]
    assert done.summary["updated"] == 1 and done.summary["missing_promoted"] == 0
    item = MediaItem.objects.get(library=library, rating_key=str(episode.rk))
    assert (item.state, item.last_seen_at, item.error_count) == (before, T1, 1)


def test_it_marks_nothing_missing_after_a_row_it_cannot_name(fake, library):
    garbled, removed = _with_media(fake, 3), _with_media(fake, 60)
    fake.remove_item(removed.rk)
    fake.garble = (str(garbled.rk), False)
    done = scan(library, fake, T1, deep=True)
    assert not done.summary["complete"] and done.summary["missing_promoted"] == 0
    assert not MediaItem.objects.filter(library=library, state="missing").exists()
    library.refresh_from_db()
    assert library.last_complete_scan_at == T0


def test_it_expands_again_a_show_whose_expansion_had_a_row_it_cannot_name(fake, library):
    garbled = _with_media(fake, 3)
    show = garbled.show
    fake.set_now(int((T0 + timedelta(minutes=30)).timestamp()))
    fake.touch_show(show.rk)  # only the show row moves: no episode is named as updated
    fake.garble = (str(garbled.rk), False)
    done = scan(library, fake, T1)
    assert done.summary["expanded_shows"] == 1 and done.summary["complete"]
    assert [s["rating_key"] for s in done.summary["incomplete_shows"]] == [str(show.rk)]
    assert done.summary["missing_promoted"] == 0
    fake.garble = None
    fake.reset_counts()
    again = scan(library, fake, T1 + timedelta(hours=1))
    assert again.summary["complete"] and again.summary["missing_promoted"] == 0
    assert fake.count_prefix("GET /library/metadata/{rk}/allLeaves") == 1
    item = MediaItem.objects.get(library=library, rating_key=str(garbled.rk))
    assert item.state != "missing" and item.last_seen_at == T1 + timedelta(hours=1)


def test_it_reads_flat_again_after_the_mappings_change(fake):
    server = server_for(fake, "plex")
    movies = library_for(server, "2", "movie")
    tv = library_for(server, "1")
    for library in (movies, tv):
        scan(library, fake, T0)
    assert not MediaItem.objects.filter(state="active").exists()
    PathMapping.objects.create(server=server, plex_prefix="/data", local_prefix="/mnt")
    fake.reset_counts()
    done = scan(tv, fake, T1)
    assert done.summary["mode"] == "flat" and "mappings" in done.summary["reason"]
    scan(movies, fake, T1)
    states = set(MediaItem.objects.values_list("state", flat=True))
    assert states == {"active", "unavailable"}
    assert scan(tv, fake, T1 + timedelta(hours=1)).summary["mode"] == "incremental"


def test_it_runs_through_the_dispatch_table_with_a_client_of_its_own(fake, settings):
    settings.HTTP_MAX_RETRIES = 0
    library = library_for(server_for(fake, "plex"), "2", "movie")
    options = {"library_id": library.pk, "deep": False}
    run = run_claim(kind=SyncRun.Kind.PLEX, scope=scope_for(SyncRun.Kind.PLEX, options),
                    options=options)
    row = WORK[SyncRun.Kind.PLEX]
    done = job_execute(run, row.work, upstream=row.upstream)
    assert done.status == "succeeded" and done.summary["created"] == 30
    assert done.requests == 1 and done.scope == f"library:{library.pk}"


@pytest.mark.parametrize("off", ["library", "server"])
def test_a_disabled_library_or_server_is_never_contacted_whichever_surface_queued_it(
        fake, settings, off):
    """The API's, the admin's and the UI's "scan now", the listener and the webhook all reach
    this one function; none of them may contact a server an admin turned off."""
    settings.HTTP_MAX_RETRIES = 0
    library = library_for(server_for(fake, "plex"), "2", "movie")
    target = library if off == "library" else library.server
    target.enabled = False
    target.save()
    fake.reset_counts()
    options = {"library_id": library.pk, "deep": False}
    run = run_claim(kind=SyncRun.Kind.PLEX, scope=scope_for(SyncRun.Kind.PLEX, options),
                    options=options)
    row = WORK[SyncRun.Kind.PLEX]
    done = job_execute(run, row.work, upstream=row.upstream)
    assert done.status == "succeeded" and "disabled" in done.summary["skipped"]
    assert done.requests == 0 and fake.total_requests() == 0
    assert not MediaItem.objects.exists()
