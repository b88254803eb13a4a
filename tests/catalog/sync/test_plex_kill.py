"""A real ``manage.py sync plex --here`` killed with SIGKILL mid-way through a first ingest: each
re-run starts at once (the dead owner is noticed, not waited out) and the last one ends with
exactly the rows of an uninterrupted ingest.

Each kill lands where the ingest is held (``tests.crash.held``): at a page report drawn from
a seeded rng, inside the page's transaction or once it committed; never a race against the
machine's speed."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from django.utils import timezone

from catalog.models import MediaItem, PlexShow, Show, SyncRun
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.catalog.sync.plex_fixtures import T0, library_for, scan, server_for
from tests.crash.procs import ROOT, held, kill_held, subprocess_env

pytestmark = [pytest.mark.integration]
KILLS = 3
# Held at a report in 1..MOST: the ingest makes one a page of the 20 its 4,000 episodes fill,
# and a victim commits MOST pages at most, so the last one held still has pages to go.
MOST = 4
ARGS = ["sync", "plex", "--here", "--server", "target", "--library", "1", "--json"]
ITEM = ("rating_key", "plex_show__rating_key", "kind", "title", "season_number",
        "episode_number", "guid", "digest", "updated_at_plex", "duration", "file_size",
        "part_count", "streams_signature", "file_path", "state", "missing_since",
        "error_count", "plex_show__show__tvdb_id")
SHOW = ("rating_key", "title", "guid", "show_digest", "children_hydrated", "show__tvdb_id")


def _rows(library) -> tuple[set[tuple], set[tuple]]:
    return (set(MediaItem.objects.filter(library=library).values_list(*ITEM)),
            set(PlexShow.objects.filter(library=library).values_list(*SHOW)))


def _spawn(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *ARGS], cwd=ROOT, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.django_db(transaction=True)
def test_it_survives_sigkill_mid_way_through_a_first_ingest(tmp_path):
    rng, marker = random.Random(8), tmp_path / "held"
    with PlexFake([LibrarySpec("1", "show", "TV", shows=120, episodes=4000)], seed=5) as fake:
        reference = library_for(server_for(fake, "reference"), "1")
        assert scan(reference, fake, T0).summary["complete"]
        expected = _rows(reference)
        library = library_for(server_for(fake, "target"), "1")
        env = subprocess_env(tmp_path, RUN_LEASE_SECONDS="600")
        held_at = [kill_held(held(ARGS, env, marker, at=rng.randint(1, MOST),
                                  inside=rng.random() < 0.5), marker) for _ in range(KILLS)]
        runs = SyncRun.objects.filter(scope=f"library:{library.pk}")
        assert runs.filter(status="running").count() == 1  # the last victim still "holds" it
        assert MediaItem.objects.filter(library=library).count() < len(expected[0])
        spawned = timezone.now()
        process = _spawn(env)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()[-2000:]
        assert b'"status": "succeeded"' in out
        last = runs.order_by("-id").first()
        # a 10-minute lease: only noticing the dead owner at once can start it this soon (a
        # few seconds on a quiet machine; the bound leaves room for a loaded one)
        assert (last.started_at - spawned).total_seconds() < 60
        assert last.status == "succeeded" and last.summary["complete"]
        assert set(runs.values_list("status", flat=True)) <= {"succeeded", "failed"}
        victims = runs.exclude(pk=last.pk)
        assert victims.filter(status="failed").count() == KILLS
        assert all(e.startswith("abandoned: its worker (pid") for e in
                   victims.values_list("error", flat=True))
        assert _rows(library) == expected, held_at
        assert not MediaItem.objects.filter(library=library).exclude(
            state__in=["active", "remote_only", "unavailable"]).exists()
        # a killed page left no placeholder behind: every Show is some Plex show's
        assert not Show.objects.filter(plex_shows__isnull=True).exists()
