"""A push run by a real django-q2 worker while an operator declines through the API: held by
the fake Sonarr at the library read and during the first import POST, the declines that land
before their batch is claimed keep the series out of Sonarr; the one that meets a claimed
decision is told it is being sent."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django_q.tasks import async_task
from rest_framework.test import APIClient

from catalog.models import Decision, SyncRun
from catalog.rules.services import BEING_SENT
from catalog.runs import run_claim
from integrations.fakes.sonarr import SonarrFake
from tests.catalog.sync.sonarr_fixtures import rule_for, server_for, shows_known_to
from tests.crash.procs import manage, stop, subprocess_env, wait_for
from tests.test_qcluster import _shared_cache

S = Decision.Status


@pytest.mark.django_db(transaction=True)
def test_declines_during_a_worker_s_push_win_until_the_claim(tmp_path, operator):
    with SonarrFake(version=SonarrFake.V4, catalog_size=200) as fake, \
            override_settings(CACHES=_shared_cache()):
        call_command("createcachetable")
        server = server_for(fake)
        rule = rule_for(server)
        shows = shows_known_to(fake, 150)  # two batches: 0-99, then 100-149
        api = APIClient()
        api.force_authenticate(operator)
        answers: dict[int, int] = {}
        details: dict[int, str] = {}

        def decline(*indexes: int):
            def act(_request) -> None:
                try:
                    for n in indexes:
                        decision = Decision.objects.get(rule=rule, show=shows[n])
                        answer = api.post(f"/api/decisions/{decision.pk}/decline/")
                        answers[n] = answer.status_code
                        details[n] = answer.json().get("detail", "")
                finally:
                    connections.close_all()
            return act

        fake.on_request(decline(50), method="GET", path_prefix="/api/v3/series")
        fake.on_request(decline(10, 120), method="POST", path_prefix="/api/v3/series/import")
        env = subprocess_env(tmp_path, Q_WORKERS="1")
        cluster = manage(["qcluster"], env)
        try:
            run = run_claim(kind=SyncRun.Kind.SONARR, scope=f"server:{server.pk}",
                            options={"server_id": server.pk})
            async_task("catalog.tasks.execute_run", run.pk, sync=False)
            assert wait_for(lambda: SyncRun.objects.get(pk=run.pk).status in
                         ("succeeded", "failed"), 90), SyncRun.objects.get(pk=run.pk).status
        finally:
            stop(cluster)
        done = SyncRun.objects.get(pk=run.pk)
        assert done.status == SyncRun.Status.SUCCEEDED, done.error
        assert fake.hook_errors == []
        assert answers == {50: 200, 10: 409, 120: 200}
        assert details[10] == BEING_SENT
        index = {s.tvdb_id: n for n, s in enumerate(shows)}
        sent = Counter(index[body["tvdbId"]] for body in fake.added)
        assert sent == {n: 1 for n in range(150) if n not in (50, 120)}
        status = {n: Decision.objects.get(rule=rule, show=s).status for n, s in enumerate(shows)}
        assert status == {n: S.DECLINED if n in (50, 120) else S.ADDED for n in range(150)}
