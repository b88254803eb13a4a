"""SIGKILL a real Plex first ingest mid-run, re-run it at once: it starts without waiting,
and ends with the rows of an uninterrupted ingest.

The episode listing is committed a group of pages at a time (``catalog.sync.pages``), so a
kill inside a group's transaction loses every page of the group and one after it loses none.
Each kill lands where the scan is held (``tests.crash.held``): at a page report drawn from a
seeded rng, inside its transaction or once it committed; never a race against the machine's
speed."""

from __future__ import annotations

import random

import pytest

from catalog.models import MediaItem, PlexLibrary, PlexServer, PlexShow, SyncRun
from integrations.fakes.plex import LibrarySpec, PlexFake
from tests.crash.procs import held, kill_held, pages, subprocess_env

KILLS = 4
TOKEN = "plex-fake-token-kill"
# Stamps of when a scan saw or wrote a row differ between any two runs by nature.
ITEM_FIELDS = [f.attname for f in MediaItem._meta.concrete_fields
               if f.attname not in {"id", "plex_show_id", "library_id", "first_seen_at",
                                    "last_seen_at", "last_scan_at"}]
SHOW_FIELDS = [f.attname for f in PlexShow._meta.concrete_fields if f.attname not in {
    "id", "library_id", "show_id"} and not f.attname.endswith("_at")] + ["show__tvdb_id"]


def _rows() -> tuple[dict, dict]:
    items = {row[0]: row for row in MediaItem.objects.order_by("rating_key")
             .values_list("rating_key", "plex_show__rating_key", *ITEM_FIELDS)}
    shows = {row[0]: row for row in PlexShow.objects.order_by("rating_key")
             .values_list("rating_key", *SHOW_FIELDS)}
    return items, shows


def _fresh_library(fake: PlexFake) -> None:
    SyncRun.objects.all().delete()
    PlexServer.objects.all().delete()
    server = PlexServer.objects.create(name="den", url=fake.url, token=TOKEN)
    PlexLibrary.objects.create(server=server, key="1", title="TV", type="show")


@pytest.mark.django_db(transaction=True)
def test_killed_first_ingests_resume_at_once_and_end_with_the_uninterrupted_rows(tmp_path):
    rng, marker, most = random.Random(19), tmp_path / "held", 6
    args = ["sync", "plex", "--here", "--server", "den"]
    with PlexFake([LibrarySpec("1", "show", "TV", shows=40, episodes=5_000)], token=TOKEN,
                  seed=19) as fake:
        env = subprocess_env(tmp_path)
        _fresh_library(fake)
        reports = pages(args, env, marker)
        # A report per group of 1,000 episodes (five here), and the discovery's, the shows',
        # the reconcile's and the hydrate's: a scan held at report 6 or earlier is mid-ingest.
        assert reports > most + 2, reports
        expected = _rows()
        assert len(expected[0]) == 5_000
        _fresh_library(fake)

        held_at = [kill_held(held(args, env, marker, at=rng.randint(2, most),
                                  inside=rng.random() < 0.5), marker) for _ in range(KILLS)]
        assert MediaItem.objects.count() < 5_000, held_at  # the last kill was mid-ingest
        pages(args, env, marker)
        runs = SyncRun.objects.filter(kind=SyncRun.Kind.PLEX, scope__startswith="library:")
        statuses = list(runs.order_by("id").values_list("status", "error"))
        assert statuses[-1] == ("succeeded", ""), statuses
        assert all(s == "failed" and e.startswith("abandoned: its") for s, e in statuses[:-1]), (
            statuses)
        got = _rows()
        assert got[0] == expected[0], held_at
        assert got[1] == expected[1], held_at
        library = PlexLibrary.objects.get()
        assert library.last_complete_scan_at is not None
