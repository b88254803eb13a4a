"""The TVMaze sync's surfaces: the API trigger, the command, the scheduled task."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from catalog.models import Show, SyncRun
from catalog.runs import run_claim
from catalog.tasks import tvmaze_sync_task
from integrations.fakes.tvmaze import TvmazeFake


@pytest.fixture
def fake_settings():
    with TvmazeFake(count=600, seed=3) as fake, override_settings(
        TVMAZE_BASE_URL=fake.url, TVMAZE_RATE_CALLS=0
    ):
        yield fake


@pytest.mark.django_db(transaction=True)
def test_it_answers_202_with_the_run_and_syncs_in_the_worker(fake_settings, operator, api_as):
    response = api_as(operator).post("/api/sync/tvmaze/", {"full": True}, format="json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    detail = api_as(operator).get(f"/api/sync-runs/{run_id}/").json()
    assert detail["status"] == "succeeded"  # sync-mode queue ran it at commit
    assert detail["processed"] == Show.objects.count() == len(fake_settings.ids)
    assert detail["triggered_by"] == "otto"


@pytest.mark.django_db
def test_it_refuses_a_second_trigger_with_409(operator, api_as):
    active = run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
    response = api_as(operator).post("/api/sync/tvmaze/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["run"] == active.pk
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "expected"), [("viewer", 403), ("operator", 409),
                                                ("admin", 409)])
def test_it_lets_operators_and_admins_trigger(role, expected, users, api_as):
    run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")  # keep the work out of this test
    response = api_as(users[role]).post("/api/sync/tvmaze/", {}, format="json")
    assert response.status_code == expected


@pytest.mark.django_db
def test_it_rejects_a_bad_body_with_field_errors(operator, api_as):
    response = api_as(operator).post("/api/sync/tvmaze/", {"full": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "full" in response.json()
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_prints_the_summary_as_json_on_the_last_line(fake_settings, capsys):
    call_command("sync", "tvmaze", "--json")
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == "succeeded"
    assert summary["processed"] == len(fake_settings.ids)
    assert summary["changed"] == len(fake_settings.ids)
    assert summary["requests"] == fake_settings.total_requests()
    assert {"skipped", "errors"} <= summary.keys()


@pytest.mark.django_db
def test_it_stops_after_max_pages_and_resumes(fake_settings, capsys):
    call_command("sync", "tvmaze", "--max-pages", "1", "--json")
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["complete"] is False
    call_command("sync", "tvmaze", "--json")
    assert Show.objects.count() == len(fake_settings.ids)


@pytest.mark.django_db
def test_it_exits_non_zero_when_the_upstream_is_down(capsys):
    with override_settings(TVMAZE_BASE_URL="http://127.0.0.1:9", HTTP_MAX_RETRIES=0), \
            pytest.raises(CommandError, match="sync failed: tvmaze"):
        call_command("sync", "tvmaze")


@pytest.mark.django_db
def test_it_refuses_the_command_while_a_sync_runs():
    run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
    with pytest.raises(CommandError, match="already queued"):
        call_command("sync", "tvmaze")


@pytest.mark.django_db
def test_it_skips_a_scheduled_run_while_one_is_active():
    run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
    assert tvmaze_sync_task() == "skipped: already running"


@pytest.mark.django_db
def test_it_refreshes_selected_shows_from_the_admin_as_a_run(
        fake_settings, operator, client, django_capture_on_commit_callbacks):
    call_command("sync", "tvmaze")
    target, same_stamp = fake_settings.ids[10], fake_settings.ids[11]
    Show.objects.filter(tvmaze_id=target).update(title="stale", tvmaze_updated_at=None)
    # Edited by hand with the upstream stamp unchanged: a refresh still re-reads it.
    Show.objects.filter(tvmaze_id=same_stamp).update(title="edited")
    client.force_login(operator)
    pks = list(Show.objects.filter(tvmaze_id__in=[target, same_stamp]).values_list("pk",
                                                                                flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/catalog/show/", {"action": "refresh_from_tvmaze",
                                             "_selected_action": pks})
    assert Show.objects.get(tvmaze_id=target).title == fake_settings.record(target).name
    assert Show.objects.get(tvmaze_id=same_stamp).title == fake_settings.record(same_stamp).name
    run = SyncRun.objects.get(scope="refresh")
    assert (run.kind, run.status, run.processed, run.total, run.triggered_by) == (
        "tvmaze", "succeeded", 2, 2, "otto")


@pytest.mark.django_db
def test_it_refuses_the_refresh_action_to_viewers(fake_settings, viewer, client):
    show = Show.objects.create(tvmaze_id=fake_settings.ids[0], title="stale")
    client.force_login(viewer)
    client.post("/admin/catalog/show/", {"action": "refresh_from_tvmaze",
                                         "_selected_action": [show.pk]})
    assert Show.objects.get(pk=show.pk).title == "stale"
