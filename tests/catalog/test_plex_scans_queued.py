"""``sync plex`` and the API queue one scan per library to the job cluster (here django-q2's
sync mode, which runs a queued task at once); ``--here`` scans in the command's process."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from catalog.models import MediaItem, PlexLibrary, PlexServer, SyncRun
from catalog.runs import run_claim
from catalog.sync.plex import plex_discover
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests import factories

TOKEN = "plex-fake-token-123"
NO_CLUSTER = {**settings.Q_CLUSTER, "sync": False}


@pytest.fixture
def plex_fake():
    libraries = [LibrarySpec(key="1", type="show", title="TV Shows", shows=6, episodes=40),
                 LibrarySpec(key="2", type="movie", title="Movies", movies=9)]
    with PlexFake(libraries, token=TOKEN, seed=5) as fake:
        yield fake


@pytest.fixture
def server(db, plex_fake):
    server = PlexServer.objects.create(name="den", url=plex_fake.url, token=TOKEN)
    plex_discover(server)
    return server


def _summaries(out: str) -> list[dict]:
    return [json.loads(line) for line in out.strip().splitlines()]


@pytest.mark.django_db(transaction=True)
def test_it_queues_one_run_per_library_and_prints_each_summary(server, capsys):
    call_command("sync", "plex", "--server", "den", "--json")
    summaries = _summaries(capsys.readouterr().out)
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope__startswith="library:")
    libraries = PlexLibrary.objects.filter(server=server).order_by("pk")
    assert sorted(runs.values_list("scope", flat=True)) == sorted(
        f"library:{lib.pk}" for lib in libraries)
    assert set(runs.values_list("triggered_by", flat=True)) == {"command"}
    assert [s["run"] for s in summaries] == sorted(runs.values_list("pk", flat=True))
    assert {s["status"] for s in summaries} == {"succeeded"}
    assert MediaItem.objects.filter(library__in=libraries).count() == 40 + 9


@pytest.mark.django_db(transaction=True)
def test_it_prints_every_summary_and_exits_non_zero_when_one_library_fails(
    server, plex_fake, capsys
):
    bad = PlexServer.objects.create(name="attic", url=plex_fake.url, token="wrong-token")
    PlexLibrary.objects.create(server=bad, key="1", title="Old TV", type="show")
    with pytest.raises(CommandError, match=r"sync failed: .*401"):
        call_command("sync", "plex", "--json")
    by_scope = {SyncRun.objects.get(pk=s["run"]).scope: s["status"]
                for s in _summaries(capsys.readouterr().out)}
    assert sorted(by_scope.values()) == ["failed", "succeeded", "succeeded"]
    failed = SyncRun.objects.get(status=SyncRun.Status.FAILED)
    assert failed.scope == f"library:{bad.libraries.get().pk}"


@pytest.mark.django_db(transaction=True)
def test_it_reports_a_busy_library_and_queues_the_others(server, capsys):
    busy = PlexLibrary.objects.get(server=server, key="1")
    holder = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{busy.pk}")
    call_command("sync", "plex", "--json")
    captured = capsys.readouterr()
    assert f"already queued (run {holder.pk})" in captured.err
    summaries = _summaries(captured.out)
    assert len(summaries) == 1 and summaries[0]["status"] == "succeeded"
    assert SyncRun.objects.get(pk=summaries[0]["run"]).scope != f"library:{busy.pk}"
    holder.refresh_from_db()
    assert holder.status == SyncRun.Status.QUEUED  # left alone


@pytest.mark.django_db
@override_settings(Q_CLUSTER=NO_CLUSTER)
def test_it_refuses_to_wait_for_a_cluster_that_is_not_running():
    factories.PlexLibraryFactory()
    with pytest.raises(CommandError, match=r"no job cluster is running: start `manage.py "
                                           r"qcluster`, or scan in this process with --here"):
        call_command("sync", "plex")
    assert not SyncRun.objects.exists()  # nothing left queued for a cluster nobody runs


@pytest.mark.django_db(transaction=True)
def test_it_scans_here_without_a_cluster(server, capsys):
    with override_settings(Q_CLUSTER=NO_CLUSTER):
        call_command("sync", "plex", "--here", "--library", "1", "--json")
    (summary,) = _summaries(capsys.readouterr().out)
    run = SyncRun.objects.get(pk=summary["run"])
    assert run.status == SyncRun.Status.SUCCEEDED and summary["processed"] >= 40
    assert run.owner_pid is not None  # this process owned it: nothing went through the queue


@pytest.mark.django_db(transaction=True)
def test_it_names_the_refusal_when_the_queue_is_down(server, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("catalog.runs.enqueue.async_task", broker_down)
    with pytest.raises(CommandError, match=r"job queue is unavailable .*--here"):
        call_command("sync", "plex")
    # the refused run was closed (its scope is free again) and the next was never tried
    run = SyncRun.objects.get()
    assert (run.status, run.error) == (SyncRun.Status.FAILED,
                                       "could not enqueue the job (ConnectionError)")


SCAN_EXPECTED = {"anonymous": 401, "roleless": 403, "viewer": 403, "operator": 202,
                 "admin": 202}


def _libraries(server: PlexServer, *keys: str) -> list[PlexLibrary]:
    return [factories.PlexLibraryFactory(server=server, key=key) for key in keys]


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(SCAN_EXPECTED))
def test_it_lets_operators_scan_a_whole_server(role, users, api_as):
    # (a test transaction: the runs are queued at its commit, which never comes, so they wait)
    server, other = factories.PlexServerFactory(), factories.PlexServerFactory()
    mine = _libraries(server, "1", "2")
    _libraries(other, "1")
    response = api_as(users[role]).post(f"/api/plex/servers/{server.pk}/sync/", {},
                                        format="json")
    assert response.status_code == SCAN_EXPECTED[role]
    runs = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX)
    if response.status_code != 202:
        assert not runs.exists()
        return
    body = response.json()
    assert body["busy"] == []
    assert sorted(r["scope"] for r in body["runs"]) == sorted(f"library:{lib.pk}"
                                                              for lib in mine)
    assert {r["status"] for r in body["runs"]} == {"queued"}
    assert sorted(runs.values_list("pk", flat=True)) == sorted(r["id"] for r in body["runs"])
    assert set(runs.values_list("triggered_by", flat=True)) == {users[role].get_username()}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(SCAN_EXPECTED))
def test_it_lets_operators_scan_every_library(role, users, api_as):
    first, second = factories.PlexServerFactory(), factories.PlexServerFactory()
    off = factories.PlexServerFactory(enabled=False)
    wanted = [*_libraries(first, "1"), *_libraries(second, "1", "2")]
    _libraries(off, "1")
    factories.PlexLibraryFactory(server=first, key="9", enabled=False)
    response = api_as(users[role]).post("/api/sync/plex/", {"deep": True}, format="json")
    assert response.status_code == SCAN_EXPECTED[role]
    if response.status_code == 202:
        runs = response.json()["runs"]
        assert sorted(r["scope"] for r in runs) == sorted(f"library:{lib.pk}" for lib in wanted)
        assert {r["options"]["deep"] for r in runs} == {True}
    else:
        assert not SyncRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_scans_each_library_of_a_server_as_its_own_run(server, operator, api_as):
    busy = PlexLibrary.objects.get(server=server, key="1")
    holder = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{busy.pk}")
    response = api_as(operator).post(f"/api/plex/servers/{server.pk}/sync/")
    assert response.status_code == 202
    body = response.json()
    assert body["busy"] == [holder.pk]
    movies = PlexLibrary.objects.get(server=server, key="2")
    assert [r["scope"] for r in body["runs"]] == [f"library:{movies.pk}"]
    run = SyncRun.objects.get(pk=body["runs"][0]["id"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert MediaItem.objects.filter(library=movies).count() == 9
    holder.refresh_from_db()
    assert holder.status == SyncRun.Status.QUEUED


@pytest.mark.django_db
def test_it_answers_409_when_every_library_is_already_being_scanned(operator, api_as):
    server = factories.PlexServerFactory()
    holders = [run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{lib.pk}")
               for lib in _libraries(server, "1", "2")]
    response = api_as(operator).post(f"/api/plex/servers/{server.pk}/sync/")
    assert response.status_code == 409
    assert response.json()["busy"] == [h.pk for h in holders]
    assert SyncRun.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("enabled", [(False, True), (True, False)])
def test_it_answers_409_for_a_server_with_nothing_to_scan(enabled, operator, api_as):
    server = factories.PlexServerFactory(enabled=enabled[0])
    factories.PlexLibraryFactory(server=server, enabled=enabled[1])
    response = api_as(operator).post(f"/api/plex/servers/{server.pk}/sync/")
    assert response.status_code == 409
    assert "no enabled library" in response.json()["detail"]
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"deep": "yes"}, {"deep": 1}, {"deep": None}])
def test_it_rejects_a_bad_scan_body(body, operator, api_as):
    server = factories.PlexServerFactory()
    _libraries(server, "1")
    response = api_as(operator).post(f"/api/plex/servers/{server.pk}/sync/", body,
                                     format="json")
    assert response.status_code == 400 and "deep" in response.json()
    assert not SyncRun.objects.exists()


@pytest.mark.django_db
def test_it_answers_404_for_an_unknown_server(operator, api_as):
    assert api_as(operator).post("/api/plex/servers/999/sync/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_it_answers_503_when_the_queue_refuses_a_server_scan(operator, api_as, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("catalog.runs.enqueue.async_task", broker_down)
    server = factories.PlexServerFactory()
    _libraries(server, "1", "2")
    response = api_as(operator).post(f"/api/plex/servers/{server.pk}/sync/")
    assert response.status_code == 503
    assert response.json()["detail"] == "the job queue is unavailable (ConnectionError)"
    assert list(SyncRun.objects.values_list("status", flat=True)) == ["failed"]


@pytest.mark.django_db(transaction=True)
def test_it_waits_for_what_it_queued_when_the_queue_fails_half_way(server, monkeypatch, capsys):
    from catalog.runs import enqueue

    real = enqueue.async_task
    calls: list[int] = []

    def second_refused(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise ConnectionError("broker unreachable")
        return real(*args, **kwargs)

    monkeypatch.setattr("catalog.runs.enqueue.async_task", second_refused)
    with pytest.raises(CommandError, match=r"job queue is unavailable .*--here"):
        call_command("sync", "plex", "--json")
    captured = capsys.readouterr()
    assert "1 of the 2 libraries were not queued" in captured.err
    (summary,) = _summaries(captured.out)  # the first was waited for and reported
    assert summary["status"] == "succeeded"
    assert sorted(SyncRun.objects.values_list("status", flat=True)) == ["failed", "succeeded"]
