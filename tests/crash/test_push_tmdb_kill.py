"""SIGKILL a real Sonarr push, TMDB batch and rule refilter mid-run, re-run each at once: the
re-run starts without waiting and ends with the rows of an uninterrupted run (for the push:
every series added exactly once, never a duplicate).

Each kill lands where the run is held (``tests.crash.held``): at a page report drawn from a
seeded rng, inside the page's transaction or once it committed. Each test bounds the draw by
the pages its workload has, so every kill is mid-run however fast the machine is.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from catalog.models import Decision, PlexShow, Show, SonarrServer, SyncCursor, SyncRun
from catalog.rules.decide import decide_shows
from integrations.fakes.sonarr import DEFAULT_API_KEY as SONARR_KEY
from integrations.fakes.sonarr import SonarrFake
from integrations.fakes.tmdb import DEFAULT_API_KEY as TMDB_KEY
from integrations.fakes.tmdb import TmdbFake
from tests import factories
from tests.crash.procs import held, kill_held, pages, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)
KILLS = 3
# What a TMDB pass writes, less the clock of the pass (its own ``now`` and a random jitter).
TMDB_FIELDS = [f.attname for f in Show._meta.concrete_fields
               if f.attname not in {"created_at", "updated_at", "tmdb_fetched_at",
                                    "tmdb_jitter_days"}]


def _kill_runs(args: list[str], env: dict[str, str], marker: Path, rng: random.Random,
               most: int) -> list[str]:
    """Start ``args`` KILLS times, each held at a page report in 1..``most`` (inside or after
    its transaction) and SIGKILLed there; returns where each was held."""
    return [kill_held(held(args, env, marker, at=rng.randint(1, most),
                           inside=rng.random() < 0.5), marker) for _ in range(KILLS)]


def _runs_end_well(kind: str) -> None:
    """Every killed run was found abandoned by its successor; the last one succeeded."""
    runs = list(SyncRun.objects.filter(kind=kind).order_by("id").values_list("status", "error"))
    assert len(runs) == KILLS + 1, runs
    assert all(s == SyncRun.Status.FAILED and e.startswith("abandoned: its")
               for s, e in runs[:-1]), runs
    assert runs[-1] == (SyncRun.Status.SUCCEEDED, ""), runs


def _reachable(reports: int, most: int, spent: int) -> None:
    """Every kill is held mid-run: ``reports`` is what an uninterrupted run makes, and a run
    held at report ``most`` or before leaves its successor at most ``spent`` fewer, so the
    last killed run still makes more than ``most``."""
    assert reports - spent * (KILLS - 1) > most, (reports, most, spent)


# ---- the Sonarr push -----------------------------------------------------------------------

def _push_world(fake: SonarrFake, count: int) -> None:
    server = factories.SonarrServerFactory(url=fake.url, api_key=SONARR_KEY, name="target")
    for name in ("b-second", "a-first"):  # both want every show: one adds, one follows
        factories.DiscoveryRuleFactory(server=server, name=name, root_folder="/tv",
                                       quality_profile="HD-1080p", language_profile="English")
    shows = [factories.ShowFactory(tvdb_id=tvdb, title=f"Series {tvdb}")
             for tvdb in fake.catalog_ids[:count]]
    decide_shows([s.pk for s in shows])


def _decisions() -> dict[tuple[int, str], tuple]:
    """Each decision by TVDB id: status, reason, series id (as its TVDB id, since the two
    Sonarr servers number their series independently), attempts."""
    return {(tvdb, rule): (status, reason, attempts) for tvdb, rule, status, reason, attempts in
            Decision.objects.values_list("show__tvdb_id", "rule__name", "status", "reason",
                                         "attempts")}


def _library_by_series(fake: SonarrFake) -> dict[int, int]:
    return {s["id"]: s["tvdbId"] for s in fake.library}


def _series_of_decisions(fake: SonarrFake) -> dict[tuple[int, str], int | None]:
    ids = _library_by_series(fake)
    return {(tvdb, rule): ids.get(series) for tvdb, rule, series in
            Decision.objects.values_list("show__tvdb_id", "rule__name", "sonarr_series_id")}


def test_killed_pushes_add_every_series_once_and_end_with_the_uninterrupted_decisions(
        tmp_path):
    rng, marker, most = random.Random(10), tmp_path / "held", 4
    with SonarrFake(version=SonarrFake.V4, catalog_size=500) as ref, \
            SonarrFake(version=SonarrFake.V4, catalog_size=500) as fake:
        _push_world(ref, 400)
        env = subprocess_env(tmp_path)
        # The total, the flush of what needs no POST, the first batch's claim, then per batch
        # of 100 one report: its outcomes written with the next batch's claim.
        reports = pages(["sync", "sonarr"], env, marker)
        # Held at report 3 is around the first claim, at 4 around the first batch's outcomes
        # (after its POST): a kill settles one batch at most, which its successor no longer
        # sends.
        _reachable(reports, most, spent=1)
        expected, expected_series = _decisions(), _series_of_decisions(ref)
        assert Counter(s for s, _, _ in expected.values()) == {"added": 400, "exists": 400}
        assert len(ref.library) == 400
        server = SonarrServer.objects.get()
        server.url = fake.url
        server.save()
        Decision.objects.all().delete()
        SyncRun.objects.all().delete()
        decide_shows(list(Show.objects.values_list("pk", flat=True)))

        held_at = _kill_runs(["sync", "sonarr"], env, marker, rng, most)
        pages(["sync", "sonarr"], env, marker)
        _runs_end_well(SyncRun.Kind.SONARR)
        sent = Counter(body["tvdbId"] for body in fake.added)
        assert [t for t, n in sent.items() if n > 1] == [], held_at
        assert len(fake.library) == 400
        got = _decisions()
        assert {t: v for t, v in got.items() if v != expected[t]} == {}, held_at
        assert _series_of_decisions(fake) == expected_series


# ---- the TMDB batch ------------------------------------------------------------------------

def _tmdb_world(fake: TmdbFake) -> None:
    """Library shows: two in three known by TMDB id, the others by TVDB id only (``/find``)."""
    library = factories.PlexLibraryFactory()
    records = [fake.record(i) for i in fake.ids]
    shows = Show.objects.bulk_create([
        Show(title=f"S{r.id}", tmdb_id=r.id) if n % 3 or not r.tvdb
        else Show(title=f"S{r.id}", tvdb_id=r.tvdb) for n, r in enumerate(records)])
    PlexShow.objects.bulk_create([PlexShow(library=library, rating_key=str(s.pk), show=s,
                                           title=s.title) for s in shows])


def _tmdb_rows() -> dict[int, tuple]:
    return {row[0]: row for row in Show.objects.order_by("id").values_list(*TMDB_FIELDS)}


def _tmdb_reset(before: list[Show]) -> None:
    """Every show back as it was before the first batch; no cursor, no run."""
    Show.objects.bulk_update(before, [f for f in TMDB_FIELDS if f != "id"]
                             + ["tmdb_fetched_at", "tmdb_jitter_days"])
    SyncCursor.objects.filter(key="tmdb").delete()
    SyncRun.objects.all().delete()


def test_killed_tmdb_batches_end_with_the_uninterrupted_show_rows(tmp_path):
    rng, marker, most = random.Random(11), tmp_path / "held", 3
    with TmdbFake(count=300, seed=4) as fake:
        _tmdb_world(fake)
        before = list(Show.objects.all())
        env = subprocess_env(tmp_path, TMDB_BASE_URL=fake.url, TMDB_API_KEY=TMDB_KEY)
        reports = pages(["sync", "tmdb"], env, marker)
        # The plan, a report per page of 50 shows, the cursor: a run held at report 3 has
        # written two pages at most, which its successor finds fresh.
        _reachable(reports, most, spent=2)
        expected = _tmdb_rows()
        _tmdb_reset(before)
        held_at = _kill_runs(["sync", "tmdb"], env, marker, rng, most)
        pages(["sync", "tmdb"], env, marker)
        got = _tmdb_rows()
        _runs_end_well(SyncRun.Kind.TMDB)
        assert Show.objects.filter(tvdb_id__isnull=False, imdb_id__isnull=False,
                                   tmdb_id__isnull=False).count() > 250  # /find and ids ran
        assert not Show.objects.filter(tmdb_status=Show.TmdbStatus.UNKNOWN).exists()
        differing = {TMDB_FIELDS[i] for k in expected for i, (a, b) in
                     enumerate(zip(expected[k], got[k], strict=True)) if a != b}
        assert differing == set(), held_at


# ---- the rule refilter ---------------------------------------------------------------------

def test_killed_refilters_end_with_the_uninterrupted_decisions(tmp_path):
    rng, marker, most = random.Random(12), tmp_path / "held", 4
    rule = factories.DiscoveryRuleFactory(name="dramas")
    genres = [["Drama"], ["Comedy"], ["Reality", "Drama"]]
    Show.objects.bulk_create([Show(tvmaze_id=n + 1, tvdb_id=n + 1, title=f"S{n}",
                                   language="English", genres=genres[n % 3])
                              for n in range(15_000)])  # three chunks of 5,000
    decide_shows(list(Show.objects.values_list("pk", flat=True)))
    rule.selections.all().delete()
    rule.selections.create(position=0, genres_any=["Drama"])
    env = subprocess_env(tmp_path)

    def rows() -> dict[int, tuple]:
        return {s: (st, r) for s, st, r in Decision.objects.values_list("show_id", "status",
                                                                      "reason")}

    def reset() -> None:
        Decision.objects.update(status=Decision.Status.PENDING, reason="")
        type(rule).objects.filter(pk=rule.pk).update(applied_hash="")
        SyncRun.objects.all().delete()

    reports = pages(["refilter"], env, marker)
    # The total, a report per chunk, the rule's hash: a killed refilter leaves the hash
    # unwritten, so its successor re-decides every chunk and makes every report again.
    _reachable(reports, most, spent=0)
    expected = rows()
    reset()
    held_at = _kill_runs(["refilter"], env, marker, rng, most)
    pages(["refilter"], env, marker)
    _runs_end_well(SyncRun.Kind.RULES)
    assert Counter(s for s, _ in expected.values())[Decision.Status.FILTERED] > 0
    assert rows() == expected, held_at
