"""A real ``manage.py sync plex`` killed with SIGKILL at random instants of a first ingest:
each re-run starts at once (the dead owner is noticed, not waited out) and the last one ends
with exactly the rows of an uninterrupted ingest."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from catalog.models import MediaItem, PlexShow, Show, SyncRun
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for
from tests.test_qcluster import _database_url

pytestmark = [pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[3]
KILLS = 3
ITEM = ("rating_key", "plex_show__rating_key", "kind", "title", "season_number",
        "episode_number", "guid", "digest", "updated_at_plex", "duration", "file_size",
        "part_count", "streams_signature", "file_path", "state", "missing_since",
        "error_count", "plex_show__show__tvdb_id")
SHOW = ("rating_key", "title", "guid", "show_digest", "children_hydrated", "show__tvdb_id")


def _rows(library) -> tuple[set[tuple], set[tuple]]:
    return (set(MediaItem.objects.filter(library=library).values_list(*ITEM)),
            set(PlexShow.objects.filter(library=library).values_list(*SHOW)))


def _spawn(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sync", "plex", "--server", "target", "--library", "1",
         "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_running(library, seconds: float, processed: int = 1) -> SyncRun | None:
    """Until a new run has committed ``processed`` items (so the kill lands mid-ingest)."""
    runs = SyncRun.objects.filter(scope=f"library:{library.pk}")
    newest = runs.order_by("-id").values_list("id", flat=True).first() or 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = runs.filter(id__gt=newest, status="running", processed__gte=processed).first()
        if run is not None:
            return run
        time.sleep(0.02)
    return None


@pytest.mark.django_db(transaction=True)
def test_it_survives_sigkill_at_random_instants_of_a_first_ingest(tmp_path):
    rng = random.Random(8)
    with PlexFake([LibrarySpec("1", "show", "TV", shows=120, episodes=4000)], seed=5) as fake:
        reference = library_for(server_for(fake, "reference"), "1")
        assert scan(reference, fake, T0).summary["complete"]
        expected = _rows(reference)
        library = library_for(server_for(fake, "target"), "1")
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mediasync.settings",
               "DATA_DIR": str(tmp_path), "DATABASE_URL": _database_url(),
               "RUN_HEARTBEAT_SECONDS": "1", "RUN_LEASE_SECONDS": "600",
               "LOG_LEVEL": "warning"}
        for _ in range(KILLS):
            process = _spawn(env)
            # a random page of the 20, then a random instant inside the next one
            assert _wait_running(library, 30, processed=rng.randrange(1, 2800)) is not None
            time.sleep(rng.uniform(0, 0.03))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        runs = SyncRun.objects.filter(scope=f"library:{library.pk}")
        assert runs.filter(status="running").count() == 1  # the last victim still "holds" it
        assert MediaItem.objects.filter(library=library).count() < len(expected[0])
        spawned = time.monotonic()
        process = _spawn(env)
        assert _wait_running(library, 10) is not None
        started_within = time.monotonic() - spawned
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
        assert b'"status": "succeeded"' in out
        # a 10-minute lease: only noticing the dead owner at once can start it this soon (a
        # few seconds on a quiet machine; the bound leaves room for a loaded one)
        assert started_within < 20
        last = runs.order_by("-id").first()
        assert last.status == "succeeded" and last.summary["complete"]
        assert set(runs.values_list("status", flat=True)) <= {"succeeded", "failed"}
        victims = runs.exclude(pk=last.pk)
        assert victims.filter(status="failed").count() == KILLS
        assert all(e.startswith("abandoned: its worker (pid") for e in
                   victims.values_list("error", flat=True))
        assert _rows(library) == expected
        assert not MediaItem.objects.filter(library=library).exclude(
            state__in=["active", "remote_only", "unavailable"]).exists()
        # a killed page left no placeholder behind: every Show is some Plex show's
        assert not Show.objects.filter(plex_shows__isnull=True).exists()
