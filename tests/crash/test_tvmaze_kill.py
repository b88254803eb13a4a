"""SIGKILL a real TVMaze walk mid-run, re-run it at once: it starts without waiting, resumes
from the last committed page, and ends with the rows of an uninterrupted run.

Each kill lands where the walk is held (``tests.crash.held``): at a page report drawn from a
seeded rng, inside the page's transaction or once it committed; never a race against the
machine's speed."""

from __future__ import annotations

import random

import pytest

from catalog.models import Show, SyncCursor, SyncRun
from integrations.fakes.tvmaze import TvmazeFake
from tests.crash.procs import held, kill_held, pages, subprocess_env

KILLS = 4

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


@pytest.mark.django_db(transaction=True)
def test_killed_walks_resume_at_once_and_end_with_the_uninterrupted_rows(tmp_path):
    rng, marker, most = random.Random(8), tmp_path / "held", 4
    args = ["sync", "tvmaze", "--full"]
    with TvmazeFake(count=14_000, seed=3) as fake:
        env = subprocess_env(tmp_path, TVMAZE_BASE_URL=fake.url)
        reports = pages(args, env, marker)
        # The walk's size, a report per group of ROWS_PER_COMMIT ids (and one per page whose
        # contested ids it settles), the checkpoint: a walk held at report 4 has committed
        # three groups at most, which its successor skips. The last one held still has more.
        assert reports - (most - 1) * (KILLS - 1) > most, reports
        expected, expected_cursor = _rows(), _cursor()
        assert len(expected) == len(fake.ids)
        Show.objects.all().delete()
        SyncCursor.objects.all().delete()
        SyncRun.objects.all().delete()

        held_at = [kill_held(held(args, env, marker, at=rng.randint(1, most),
                                  inside=rng.random() < 0.5), marker) for _ in range(KILLS)]
        pages(args, env, marker)
        runs = list(SyncRun.objects.order_by("id").values_list("status", "error"))
        assert len(runs) == KILLS + 1, runs
        assert all(s == "failed" and e.startswith("abandoned: its") for s, e in runs[:-1]), runs
        assert runs[-1] == ("succeeded", ""), runs
        got = _rows()
        differing = {COMPARED[i] for k in expected for i, (a, b) in
                     enumerate(zip(expected[k][1:], got.get(k, ())[1:], strict=False)) if a != b}
        assert not differing, held_at
        assert got == expected
        assert _cursor() == expected_cursor, held_at
