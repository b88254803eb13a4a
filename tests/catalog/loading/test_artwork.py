"""Artwork: downloaded once per path into ARTWORK_DIR, served to logged-in users only."""

from __future__ import annotations

import contextlib

import pytest
from django.core.cache import cache
from django.db import transaction

from catalog.models import Show
from catalog.sync.loading import show_add, show_request
from tests.catalog.loading.conftest import reload

pytestmark = pytest.mark.django_db


def _image_requests(fakes) -> dict[str, int]:
    return {k: v for k, v in fakes.tmdb.counts.items() if k.startswith("GET /t/p/")}


@pytest.fixture
def loaded(fakes, drain):
    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    drain()
    return reload(show), fakes.tmdb_id_of(tvmaze_id)


def test_it_writes_poster_fanart_and_logo_once(loaded, fakes, settings):
    show, tmdb_id = loaded
    assert show.artwork_loaded
    assert show.artwork == {"poster": f"/p{tmdb_id}.jpg", "fanart": f"/b{tmdb_id}.jpg",
                            "logo": f"/l{tmdb_id}.png"}
    folder = settings.ARTWORK_DIR / str(show.pk)
    assert sorted(p.name for p in folder.iterdir()) == [
        f"fanart-b{tmdb_id}.jpg", f"logo-l{tmdb_id}.png", f"poster-p{tmdb_id}.jpg"]
    poster = fakes.tmdb.image_bytes("w780", f"p{tmdb_id}.jpg")
    assert (folder / f"poster-p{tmdb_id}.jpg").read_bytes() == poster
    assert poster.startswith(b"\x89PNG") and b"\0\0\0x\0\0\0\xb4" in poster  # 120x180
    fanart = (folder / f"fanart-b{tmdb_id}.jpg").read_bytes()
    assert fanart == fakes.tmdb.image_bytes("w1280", f"b{tmdb_id}.jpg")
    assert _image_requests(fakes) == {f"GET /t/p/w780/p{tmdb_id}.jpg": 1,
                                      f"GET /t/p/w1280/b{tmdb_id}.jpg": 1,
                                      f"GET /t/p/w500/l{tmdb_id}.png": 1}


def test_it_downloads_nothing_again_while_the_paths_stay(loaded, fakes, drain):
    show, _ = loaded
    fakes.tmdb.reset_counts()
    assert show_request(show, ["artwork"])
    drain()
    assert reload(show).loading_status == "completed"
    assert _image_requests(fakes) == {}
    assert fakes.tmdb.counts == {"GET /tv/:id/images": 1}  # configuration came from cache


def test_it_downloads_only_the_artwork_whose_path_changed(loaded, fakes, drain, settings,
                                                          django_capture_on_commit_callbacks):
    show, tmdb_id = loaded
    fakes.tmdb.set_artwork(tmdb_id, poster_path="/newposter.jpg", logo_path=None)
    fakes.tmdb.reset_counts()
    cache.clear()
    assert show_request(show, ["metadata", "artwork"])
    with django_capture_on_commit_callbacks(execute=True):  # old files go once committed
        drain()
    show = reload(show)
    assert show.artwork == {"poster": "/newposter.jpg", "fanart": f"/b{tmdb_id}.jpg"}
    assert _image_requests(fakes) == {"GET /t/p/w780/newposter.jpg": 1}
    folder = settings.ARTWORK_DIR / str(show.pk)
    assert sorted(p.name for p in folder.iterdir()) == [f"fanart-b{tmdb_id}.jpg",
                                                        "poster-newposter.jpg"]


def test_it_downloads_a_file_again_when_it_went_missing(loaded, fakes, drain, settings):
    show, tmdb_id = loaded
    (settings.ARTWORK_DIR / str(show.pk) / f"poster-p{tmdb_id}.jpg").unlink()
    fakes.tmdb.reset_counts()
    show_request(show, ["artwork"])
    drain()
    assert _image_requests(fakes) == {f"GET /t/p/w780/p{tmdb_id}.jpg": 1}


def test_it_fails_artwork_that_is_not_an_image(fakes, drain):
    from integrations.fakes.base import Fault

    tvmaze_id = fakes.tvmaze_show()
    show = show_add(field="tvmaze_id", value=tvmaze_id).show
    fakes.tmdb.inject(Fault("nonjson"), times=1, path_prefix="/t/p/")
    drain()
    show = reload(show)
    assert show.loading_status == "partial"
    assert "not an image (text/html)" in show.loading_errors["artwork"]
    assert show.loading_attempts == {"artwork": 1}


ROLE_STATUS = {"anonymous": 401, "roleless": 403, "viewer": 200, "operator": 200, "admin": 200}


@pytest.mark.parametrize("role", list(ROLE_STATUS))
def test_it_serves_artwork_only_to_logged_in_users_with_a_role(role, loaded, users, api_as,
                                                              fakes):
    show, tmdb_id = loaded
    response = api_as(users[role]).get(f"/api/shows/{show.pk}/artwork/poster/")
    assert response.status_code == ROLE_STATUS[role]
    if ROLE_STATUS[role] == 200:
        assert response["Content-Type"] == "image/png"  # what the bytes are, not the name
        assert b"".join(response.streaming_content) == fakes.tmdb.image_bytes(
            "w780", f"p{tmdb_id}.jpg")


def test_it_lists_artwork_urls_with_the_show(loaded, viewer, api_as):
    show, _ = loaded
    body = api_as(viewer).get(f"/api/shows/{show.pk}/").json()
    assert body["artwork"] == {kind: f"/api/shows/{show.pk}/artwork/{kind}/"
                               for kind in ("poster", "fanart", "logo")}


def test_it_answers_404_for_artwork_not_held(db, viewer, api_as):
    from tests.factories import ShowFactory

    show = ShowFactory(artwork={"poster": "/../../secret_key"})
    client = api_as(viewer)
    assert client.get(f"/api/shows/{show.pk}/artwork/poster/").status_code == 404
    assert client.get(f"/api/shows/{show.pk}/artwork/fanart/").status_code == 404
    assert client.get(f"/api/shows/{show.pk}/artwork/banner/").status_code == 404


def test_it_removes_a_deleted_shows_artwork_once_the_deletion_commits(
        loaded, settings, django_capture_on_commit_callbacks):
    """No surface deletes shows; one removed from a shell leaves no orphan files behind."""
    show, _ = loaded
    pk = show.pk
    folder = settings.ARTWORK_DIR / str(pk)
    with django_capture_on_commit_callbacks(execute=True), \
            contextlib.suppress(RuntimeError), transaction.atomic():
        Show.objects.filter(pk=pk).delete()
        raise RuntimeError("the deletion rolls back")
    assert folder.is_dir() and Show.objects.filter(pk=pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        Show.objects.filter(pk=pk).delete()
    assert not folder.exists()


def test_it_serves_artwork_unable_to_run_script(db, viewer, api_as, settings, tmp_path):
    """TMDB logos are often SVG, which may carry script; opened from our origin it would run
    as the signed-in user. Served sandboxed, an image still shows and nothing runs."""
    from catalog.sync.loading.artwork import file_for
    from tests.factories import ShowFactory

    settings.ARTWORK_DIR = tmp_path / "artwork"
    show = ShowFactory(artwork={"logo": "/evil.svg"})
    target = file_for(show.pk, "logo", "/evil.svg")
    target.parent.mkdir(parents=True)
    target.write_text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    response = api_as(viewer).get(f"/api/shows/{show.pk}/artwork/logo/")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
