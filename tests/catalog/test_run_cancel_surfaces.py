"""Cancelling runs from the API and the admin, role by role; queued runs say when no
cluster is alive to pick them up."""

from __future__ import annotations

import pytest

from catalog.models import SyncRun
from catalog.runs import run_claim, run_start


@pytest.mark.django_db
@pytest.mark.parametrize("role,code", [("anonymous", 401), ("roleless", 403), ("viewer", 403),
                                       ("operator", 200), ("admin", 200)])
def test_it_lets_operators_cancel_a_queued_run(role, code, users, api_as):
    run = run_claim(kind="tvmaze", scope="catalog")
    response = api_as(users[role]).post(f"/api/sync-runs/{run.pk}/cancel/")
    assert response.status_code == code
    run.refresh_from_db()
    expected = SyncRun.Status.CANCELLED if code == 200 else SyncRun.Status.QUEUED
    assert run.status == expected
    if code == 200:
        assert response.json()["status"] == "cancelled"
        assert run.error == f"cancelled by {users[role].username}"


@pytest.mark.django_db
def test_it_asks_a_running_run_to_stop_and_refuses_a_finished_one(operator, api_as):
    run = run_claim(kind="tvmaze", scope="catalog")
    assert run_start(run)
    client = api_as(operator)
    response = client.post(f"/api/sync-runs/{run.pk}/cancel/")
    assert response.status_code == 202
    assert response.json()["cancel_requested_by"] == "otto"
    assert response.json()["status"] == "running"
    SyncRun.objects.filter(pk=run.pk).update(status=SyncRun.Status.SUCCEEDED)
    assert client.post(f"/api/sync-runs/{run.pk}/cancel/").status_code == 409
    assert client.post("/api/sync-runs/999999/cancel/").status_code == 404


@pytest.mark.django_db
def test_it_says_when_no_cluster_would_pick_a_queued_run_up(operator, api_as):
    client = api_as(operator)
    queued = client.post("/api/sync/tvmaze/", {"full": False}, format="json")
    assert queued.status_code == 202
    assert queued.json()["cluster_alive"] is False
    detail = client.get(f"/api/sync-runs/{queued.json()['id']}/").json()
    assert detail["cluster_alive"] is False
    SyncRun.objects.filter(pk=detail["id"]).update(status=SyncRun.Status.FAILED)
    assert client.get(f"/api/sync-runs/{detail['id']}/").json()["cluster_alive"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("role,allowed", [("viewer", False), ("operator", True),
                                          ("admin", True)])
def test_the_admin_cancel_action_is_for_operators(role, allowed, users, client):
    queued = run_claim(kind="tvmaze", scope="catalog")
    running = run_claim(kind="plex", scope="library:1")
    assert run_start(running)
    client.force_login(users[role])
    listing = client.get("/admin/catalog/syncrun/")
    assert listing.status_code == 200
    assert (b"cancel_runs" in listing.content) is allowed
    response = client.post("/admin/catalog/syncrun/", {
        "action": "cancel_runs", "_selected_action": [queued.pk, running.pk]}, follow=True)
    assert response.status_code == 200
    queued.refresh_from_db()
    running.refresh_from_db()
    assert (queued.status == SyncRun.Status.CANCELLED) is allowed
    assert (running.cancel_requested_at is not None) is allowed
    assert running.status == SyncRun.Status.RUNNING


@pytest.mark.django_db
def test_the_dashboard_warns_when_runs_wait_for_a_dead_cluster(viewer, client):
    run_claim(kind="tvmaze", scope="catalog")
    client.force_login(viewer)
    assert b"No job cluster is alive" in client.get("/").content
