"""One real django-q2 cluster: a queued run is picked up by a worker process and finished."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django_q.tasks import async_task

from catalog.models import Show, SyncRun
from catalog.runs import run_claim
from integrations import metrics
from integrations.fakes.tvmaze import TvmazeFake
from tests.crash.procs import stop

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
    return f"postgres://{params['USER']}@{host}:{port}/{params['NAME']}"


def _shared_cache() -> dict:
    """The cache the cluster process uses, so that its heartbeat is visible here."""
    if settings.REDIS_URL:
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                            "LOCATION": settings.REDIS_URL}}
    return {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                        "LOCATION": "mediasync_cache"}}


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_queued_sync_in_a_real_cluster(tmp_path, client, admin_user):
    with TvmazeFake(count=300, seed=2) as fake, override_settings(CACHES=_shared_cache()):
        call_command("createcachetable")  # the test database was migrated with a locmem cache
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mediasync.settings",
               "DATA_DIR": str(tmp_path), "DATABASE_URL": _database_url(),
               "TVMAZE_BASE_URL": fake.url, "TVMAZE_RATE_CALLS": "0", "Q_WORKERS": "1",
               "LOG_LEVEL": "warning"}
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            run = run_claim(kind=SyncRun.Kind.TVMAZE, scope="catalog")
            async_task("catalog.tasks.execute_run", run.pk, sync=False)
            finished = _wait(lambda: SyncRun.objects.get(pk=run.pk).status == "succeeded", 60)
            assert finished, SyncRun.objects.get(pk=run.pk).status
            assert Show.objects.count() == len(fake.ids)
            client.force_login(admin_user)
            assert _wait(lambda: client.get("/ready").status_code == 200, 20)
            # The worker's upstream calls, not this process's, show on this process's /metrics.
            assert metrics.snapshot().get("tvmaze", {}).get("requests", 0) == 0
            scraped = client.get("/metrics").content.decode()
            sent = fake.total_requests()
            assert sent > 0
            assert f'mediasync_upstream_requests_total{{upstream="tvmaze"}} {float(sent)}' \
                in scraped
            assert f'mediasync_sync_run_requests{{upstream="tvmaze"}} {float(sent)}' in scraped
        finally:
            stop(cluster)
