"""Operator buttons: they call the services, say what happened, and change things once."""

from __future__ import annotations

import pytest

from catalog.models import Decision, SyncRun
from catalog.runs import run_claim, run_start
from catalog.sync.dispatch import WORK
from catalog.ui.buttons import sonarr_push_options
from tests import factories


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.mark.django_db
def test_it_queues_a_tvmaze_sync_and_refuses_a_second(operator, client):
    client.force_login(operator)
    first = client.post("/sync/tvmaze/", {"next": "/runs/"}, follow=True)
    run = SyncRun.objects.get(kind="tvmaze", scope="catalog")
    assert run.status == "queued" and run.triggered_by == "otto"
    assert f"Queued run #{run.pk}" in " ".join(_messages(first))
    second = client.post("/sync/tvmaze/", follow=True)
    assert f"Run #{run.pk} is already doing that" in " ".join(_messages(second))
    assert SyncRun.objects.filter(kind="tvmaze").count() == 1


@pytest.mark.django_db
def test_it_scans_one_library_and_names_a_bad_one(operator, client):
    client.force_login(operator)
    library = factories.PlexLibraryFactory()
    client.post("/sync/plex/", {"library": library.pk})
    assert SyncRun.objects.get(kind="plex").options == {"library_id": library.pk, "deep": False}
    for bad in ("", "abc", "999999"):
        response = client.post("/sync/plex/", {"library": bad}, follow=True)
        assert "Choose an enabled library of an enabled server to scan." in _messages(response)
    assert SyncRun.objects.filter(kind="plex").count() == 1


@pytest.mark.django_db
def test_it_refuses_work_this_installation_lacks(operator, client, monkeypatch):
    client.force_login(operator)
    response = client.post("/sync/nonsense/")
    assert response.status_code == 400
    assert "'nonsense' cannot be started here" in response.content.decode()
    monkeypatch.delitem(WORK, SyncRun.Kind.TMDB)
    response = client.post("/sync/tmdb/", follow=True)
    assert "not available on this installation" in " ".join(_messages(response))
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_refreshes_one_show_from_tvmaze(operator, client):
    client.force_login(operator)
    show = factories.ShowFactory(tvmaze_id=4242)
    client.post(f"/shows/{show.pk}/refresh/")
    run = SyncRun.objects.get()
    assert (run.scope, run.options) == ("refresh", {"refresh_ids": [4242]})
    placeholder = factories.ShowFactory(tvmaze_id=None)
    response = client.post(f"/shows/{placeholder.pk}/refresh/", follow=True)
    assert "cannot do that" in " ".join(_messages(response))


@pytest.mark.django_db
def test_it_approves_declines_and_skips_only_what_it_may(operator, client):
    client.force_login(operator)
    waiting = factories.DecisionFactory.create_batch(2, status="awaiting_approval")
    added = factories.DecisionFactory(status="added")
    client.post("/decisions/review/", {"verdict": "approve", "decision": [waiting[0].pk]})
    client.post("/decisions/review/", {"verdict": "decline", "decision": [waiting[1].pk]})
    again = client.post("/decisions/review/", {"verdict": "approve",
                                               "decision": [waiting[1].pk]}, follow=True)
    client.post("/decisions/review/", {"verdict": "skip", "decision": [added.pk]})
    statuses = dict(Decision.objects.values_list("pk", "status"))
    assert statuses == {waiting[0].pk: "pending", waiting[1].pk: "declined",
                        added.pk: "added"}
    assert "0 of 1" in " ".join(_messages(again))
    bogus = client.post("/decisions/review/", {"verdict": "delete", "decision": ["x"]},
                        follow=True)
    assert "Choose decisions" in " ".join(_messages(bogus))


@pytest.mark.django_db
def test_it_cancels_queued_and_running_runs(operator, client):
    client.force_login(operator)
    queued = run_claim(kind="tvmaze", scope="catalog")
    running = run_claim(kind="plex", scope="library:1")
    assert run_start(running)
    client.post(f"/runs/{queued.pk}/cancel/")
    response = client.post(f"/runs/{running.pk}/cancel/", follow=True)
    assert "will stop at its next page" in " ".join(_messages(response))
    queued.refresh_from_db()
    running.refresh_from_db()
    assert queued.status == "cancelled"
    assert running.cancel_requested_by == "otto" and running.status == "running"
    late = client.post(f"/runs/{queued.pk}/cancel/", follow=True)
    assert "has already cancelled" in " ".join(_messages(late))
    missing = client.post("/runs/987654/cancel/", follow=True)
    assert "does not exist" in " ".join(_messages(missing))


@pytest.mark.django_db
def test_it_never_redirects_off_site(operator, client):
    client.force_login(operator)
    response = client.post("/sync/tvmaze/", {"next": "https://evil.example/"})
    assert response["Location"] == "/runs/"


@pytest.mark.django_db
def test_it_pushes_per_server_or_per_rule_holding_a_pending_decision():
    on, off = factories.SonarrServerFactory(name="a"), factories.SonarrServerFactory(
        name="b", enabled=False)
    idle = factories.SonarrServerFactory(name="c")  # enabled, but no enabled rule
    factories.DiscoveryRuleFactory(server=idle, enabled=False)
    factories.DiscoveryRuleFactory.create_batch(2, server=on)  # one push, not one per rule
    factories.DiscoveryRuleFactory(server=off)
    assert sonarr_push_options() == [{"server_id": on.pk}]
    show = factories.ShowFactory()
    ready = factories.DecisionFactory(show=show, rule__server=on, status="pending")
    factories.DecisionFactory(show=show, rule__server=on, status="filtered")
    factories.DecisionFactory(show=show, rule__server=off, status="pending")
    factories.DecisionFactory(show=show, rule__server=on, rule__enabled=False, status="pending")
    assert sonarr_push_options(show_id=show.pk) == [{"server_id": on.pk,
                                                     "rule_id": ready.rule_id}]


@pytest.mark.django_db
def test_it_says_when_a_show_has_nothing_to_push(operator, client, monkeypatch):
    monkeypatch.setitem(WORK, "sonarr", None)  # as once the Sonarr push is installed
    client.force_login(operator)
    show = factories.ShowFactory()
    response = client.post(f"/shows/{show.pk}/sonarr/", follow=True)
    assert "Nothing to do" in " ".join(_messages(response))
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_queues_a_shows_missing_parts_for_operators_only(operator, viewer, client,
                                                            django_capture_on_commit_callbacks):
    show = factories.ShowFactory(tvmaze_id=77, facts_loaded=True, loading_status="partial")
    client.force_login(viewer)
    assert client.post(f"/shows/{show.pk}/load/").status_code == 403
    show.refresh_from_db()
    assert show.loading_status == "partial"
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=False) as kicks:
        response = client.post(f"/shows/{show.pk}/load/", follow=True)
    assert "Queued the missing parts" in " ".join(_messages(response))
    show.refresh_from_db()
    assert (show.loading_status, show.loading_parts) == (
        "pending", ["episodes", "metadata", "artwork"])
    assert len(kicks) == 1
    again = client.post(f"/shows/{show.pk}/load/", follow=True)
    assert "Nothing to load" in " ".join(_messages(again))


@pytest.mark.django_db
def test_the_show_page_shows_every_loading_part_and_its_error(viewer, client):
    show = factories.ShowFactory(loading_status="partial", facts_loaded=True,
                                 episodes_loaded=True, loading_errors={"artwork": "not found"},
                                 artwork={"poster": "/p.jpg"})
    client.force_login(viewer)
    page = client.get(f"/shows/{show.pk}/").content.decode()
    assert "✓ facts" in page and "✓ episodes" in page and "○ metadata" in page
    assert "○ artwork — <span class=\"errors\">not found</span>" in page
    assert f'src="/api/shows/{show.pk}/artwork/poster/"' in page


@pytest.mark.django_db
def test_the_polled_fragment_lists_shows_loading_in_the_background(viewer, client,
                                                                   django_assert_num_queries):
    factories.ShowFactory(title="Slow Horses", loading_status="loading_episodes",
                          facts_loaded=True)
    factories.ShowFactory(title="Done Show", loading_status="completed")
    client.force_login(viewer)
    client.get("/runs/active/")  # warm the session
    with django_assert_num_queries(5):  # session, user, groups, runs, shows loading
        page = client.get("/runs/active/").content.decode()
    assert "Slow Horses" in page and "loading_episodes" in page and "Done Show" not in page
    assert 'aria-label="facts loaded"' in page and 'aria-label="episodes not loaded"' in page
def test_it_forces_a_tmdb_sync_of_one_show_and_refuses_a_second_meanwhile(operator, client):
    client.force_login(operator)
    show = factories.ShowFactory(tmdb_id=None)  # the batch finds its TMDB id first
    page = client.get(f"/shows/{show.pk}/").content.decode()
    assert "Force TMDB sync" in page
    assert "Push to Sonarr" not in page  # no pending decision: a push would send nothing
    client.post(f"/shows/{show.pk}/tmdb/")
    run = SyncRun.objects.get(kind="tmdb")
    assert run.options == {"show_ids": [show.pk], "force": True}
    assert run.scope.startswith("shows:") and run.scope != "library"  # not the daily batch
    again = client.post(f"/shows/{show.pk}/tmdb/", follow=True)
    assert f"Run #{run.pk} is already doing that" in " ".join(_messages(again))
    gone = client.post("/shows/987654/tmdb/", follow=True)
    assert "no longer exists" in " ".join(_messages(gone))
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
def test_it_pushes_to_sonarr_from_the_dashboard_and_the_show_page(operator, client):
    client.force_login(operator)
    rule = factories.DiscoveryRuleFactory()
    decision = factories.DecisionFactory(rule=rule, status="pending")
    assert "Push to Sonarr" in client.get("/").content.decode()
    client.post("/sync/sonarr/", {"next": "/"})
    client.post(f"/shows/{decision.show_id}/sonarr/")
    runs = list(SyncRun.objects.filter(kind="sonarr").order_by("id").values_list(
        "scope", "options"))
    server = f"server:{rule.server_id}"
    # one push per server: the show's push waits for the one already queued for its server
    assert runs == [(server, {"server_id": rule.server_id})]
    Decision.objects.update(status="awaiting_approval")
    nothing = client.post(f"/shows/{decision.show_id}/sonarr/", follow=True)
    assert "Nothing to do" in " ".join(_messages(nothing))
