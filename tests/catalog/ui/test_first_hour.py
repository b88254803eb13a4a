"""What a newcomer meets: the demo's hint on the login page (only in demo mode), buttons only
where they act, the runs history refreshing itself, a favicon, empty states that lead on."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.auth.demo import DEMO_PASSWORD, WHAT_TO_TRY
from tests import factories


@pytest.mark.django_db
def test_the_login_page_names_no_account_outside_the_demo(client):
    assert settings.DEMO_MODE is False  # nothing but `make demo` sets it
    page = client.get("/login/").content.decode()
    assert DEMO_PASSWORD not in page and "demo-hint" not in page and "operator" not in page


@pytest.mark.django_db
def test_the_demo_login_page_says_who_to_be_and_what_to_try(client, settings):
    settings.DEMO_MODE = True
    page = client.get("/login/").content.decode()
    assert 'id="demo-hint"' in page and DEMO_PASSWORD in page
    for name in ("operator", "viewer", "admin"):
        assert f"<strong>{name}</strong>" in page
    assert page.count("<li>") == len(WHAT_TO_TRY) == 5
    for what, _ in WHAT_TO_TRY:
        assert what in page


@pytest.mark.django_db
def test_every_page_finds_the_favicon(client, viewer):
    response = client.get("/favicon.ico")  # the admin's login page links none: anonymous
    assert response.status_code == 301 and response["Location"] == "/static/ui/favicon.svg"
    client.force_login(viewer)
    assert 'rel="icon" href="/static/ui/favicon.svg"' in client.get("/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("statuses", "verdicts"), [
    (["filtered", "filtered"], []),
    (["added", "declined", "skipped"], []),
    (["filtered", "awaiting_approval"], ["approve", "decline", "skip"]),
    (["pending"], ["decline", "skip"]),
    (["failed"], ["skip"]),
])
def test_review_buttons_show_only_where_a_verdict_changes_something(
        client, operator, statuses, verdicts):
    client.force_login(operator)
    show = factories.ShowFactory()
    for status in statuses:
        factories.DecisionFactory(show=show, status=status)
    page = client.get(f"/shows/{show.pk}/").content.decode()
    assert [v for v in ("approve", "decline", "skip")
            if f'name="verdict" value="{v}"' in page] == verdicts
    boxes = page.count('name="decision"')
    assert boxes == sum(s not in ("filtered", "added", "declined", "skipped")
                        for s in statuses)


@pytest.mark.django_db
def test_push_and_load_are_offered_only_when_they_would_do_something(client, operator):
    client.force_login(operator)
    idle = factories.ShowFactory()
    factories.DecisionFactory(show=idle, status="filtered")
    page = client.get(f"/shows/{idle.pk}/").content.decode()
    assert "Push to Sonarr" not in page and "Load missing parts" in page
    factories.DecisionFactory(show=idle, status="pending")
    assert "Push to Sonarr" in client.get(f"/shows/{idle.pk}/").content.decode()
    busy = factories.ShowFactory(loading_status="loading_episodes")
    assert "Load missing parts" not in client.get(f"/shows/{busy.pk}/").content.decode()


@pytest.mark.django_db
def test_a_library_being_scanned_offers_no_second_scan(client, operator):
    client.force_login(operator)
    busy = factories.PlexLibraryFactory(title="Busy")
    factories.PlexLibraryFactory(title="Idle", server=busy.server)
    factories.SyncRunFactory(kind="plex", scope=f"library:{busy.pk}", status="running",
                             started_at=timezone.now())
    page = client.get("/libraries/").content.decode()
    rows = {title: page.split(f"<td>{title}")[1].split("</tr>")[0] for title in ("Busy", "Idle")}
    assert "<button" not in rows["Busy"] and "follow it on Runs" in rows["Busy"]
    assert ">Scan</button>" in rows["Idle"]


@pytest.mark.django_db
def test_the_runs_history_refreshes_itself_on_its_first_page(client, viewer):
    client.force_login(viewer)
    run = factories.SyncRunFactory(kind="tvmaze", scope="catalog", status="succeeded",
                                   started_at=timezone.now(), finished_at=timezone.now())
    page = client.get("/runs/").content.decode()
    assert 'id="runs-history" hx-get="/runs/history/" hx-trigger="every 2s"' in page
    fragment = client.get("/runs/history/?kind=tvmaze").content.decode()
    assert fragment.startswith('<div id="runs-history" hx-get="/runs/history/?kind=tvmaze"')
    assert f'data-run="{run.pk}"' in fragment and "Succeeded" in fragment
    assert "hx-get" not in client.get("/runs/history/?page=2").content.decode()


@pytest.mark.django_db
def test_empty_pages_say_what_to_do_next(client, operator):
    client.force_login(operator)
    assert "add a server in Admin → Plex servers" in client.get("/").content.decode()
    assert "An admin adds them in Admin → Discovery rules" in client.get(
        "/rules/").content.decode()
    assert "Runs start on their schedules" in client.get("/runs/").content.decode()


@pytest.mark.django_db
def test_a_disabled_server_or_library_is_neither_offered_nor_scanned(client, operator):
    """The schedule never scans them; neither may a button or a hand-made POST."""
    from catalog.models import PlexLibrary, SyncRun
    from tests.factories import PlexLibraryFactory, PlexServerFactory

    off_server = PlexLibraryFactory(server=PlexServerFactory(enabled=False), title="Attic")
    off_library = PlexLibraryFactory(enabled=False, title="Cellar")
    client.force_login(operator)
    page = client.get("/libraries/").content.decode()
    for library in (off_server, off_library):
        assert f'name="library" value="{library.pk}"' not in page
        client.post("/sync/plex/", {"library": library.pk})
    assert not SyncRun.objects.filter(kind=SyncRun.Kind.PLEX).exists()
    assert PlexLibrary.objects.count() == 2
