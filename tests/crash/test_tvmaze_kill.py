"""SIGKILL a real TVMaze walk at random instants, re-run it at once: it starts without
waiting, resumes from the last committed page, and ends with the rows of an uninterrupted
run."""

from __future__ import annotations

import random
import signal
import time

import pytest
from django.utils import timezone

from catalog.models import Show, SyncCursor, SyncRun
from integrations.fakes.base import Fault
from integrations.fakes.tvmaze import TvmazeFake
from tests.crash.procs import manage, subprocess_env, wait_for

# Bookkeeping stamps (when we wrote the row) differ between any two runs by nature.
COMPARED = [f.attname for f in Show._meta.concrete_fields
            if f.attname not in {"id", "created_at", "updated_at"}]


def _rows() -> dict[int, tuple]:
    return {row[0]: row for row in Show.objects.order_by("tvmaze_id")
            .values_list("tvmaze_id", *COMPARED)}


def _cursor() -> dict:
    value = dict(SyncCursor.objects.get(key="tvmaze").value)
    value.pop("last_success_at", None)
    return value


def _sync(env: dict[str, str]) -> tuple[int, str]:
    proc = manage(["sync", "tvmaze", "--full"], env)
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.django_db(transaction=True)
def test_killed_walks_resume_at_once_and_end_with_the_uninterrupted_rows(tmp_path):
    rng = random.Random(8)
    with TvmazeFake(count=4000, seed=3) as fake:
        fake.inject(Fault("slow", delay=0.03), times=10**6, path_prefix="/shows")
        env = subprocess_env(tmp_path, TVMAZE_BASE_URL=fake.url)
        code, err = _sync(env)
        assert code == 0, err
        expected, expected_cursor = _rows(), _cursor()
        assert len(expected) == len(fake.ids)
        Show.objects.all().delete()
        SyncCursor.objects.all().delete()
        SyncRun.objects.all().delete()

        for _ in range(4):  # each run is killed at a random instant; the next starts at once
            launched = timezone.now()
            proc = manage(["sync", "tvmaze", "--full"], env)
            started = wait_for(lambda since=launched: SyncRun.objects.filter(
                status="running", started_at__gte=since).exists(), 10)
            assert started, proc.stderr.read() if proc.poll() is not None else "not started"
            time.sleep(rng.uniform(0.0, 0.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
        code, err = _sync(env)
        assert code == 0, err
        runs = list(SyncRun.objects.order_by("id").values_list("status", "error"))
        abandoned = [r for r in runs if r[0] == "failed" and r[1].startswith("abandoned: its")]
        assert len(abandoned) >= 2, runs
        assert len(abandoned) + sum(r[0] == "succeeded" for r in runs) == len(runs), runs
        got = _rows()
        differing = {COMPARED[i] for k in expected for i, (a, b) in
                     enumerate(zip(expected[k][1:], got.get(k, ())[1:], strict=False)) if a != b}
        assert not differing
        assert got == expected
        assert _cursor() == expected_cursor
