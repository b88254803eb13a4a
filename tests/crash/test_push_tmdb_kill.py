"""SIGKILL a real Sonarr push, TMDB batch and rule refilter at random instants, re-run each at
once: the re-run starts without waiting and ends with the rows of an uninterrupted run (for
the push: every series added exactly once, never a duplicate)."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.utils import timezone

from catalog.decide import decide_shows
from catalog.models import Decision, PlexShow, Show, SonarrServer, SyncCursor, SyncRun
from integrations.fakes.base import Fault
from integrations.fakes.sonarr import DEFAULT_API_KEY as SONARR_KEY
from integrations.fakes.sonarr import SonarrFake
from integrations.fakes.tmdb import DEFAULT_API_KEY as TMDB_KEY
from integrations.fakes.tmdb import TmdbFake
from tests import factories
from tests.crash.procs import manage, subprocess_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
KILLS = 3
# What a TMDB pass writes, less the clock of the pass (its own ``now`` and a random jitter).
TMDB_FIELDS = [f.attname for f in Show._meta.concrete_fields
               if f.attname not in {"created_at", "updated_at", "tmdb_fetched_at",
                                    "tmdb_jitter_days"}]


def _run(args: list[str], env: dict[str, str]) -> None:
    proc = manage(args, env)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]


def _kill_runs(args: list[str], env: dict[str, str], rng: random.Random, window: float,
               kind: str) -> None:
    """Start ``args`` KILLS times, each SIGKILLed at a random instant once its run is live."""
    for _ in range(KILLS):
        launched = timezone.now()
        proc = manage(args, env)
        started = wait_for(lambda since=launched: SyncRun.objects.filter(
            kind=kind, started_at__gte=since).exists(), 15)
        assert started, proc.stderr.read() if proc.poll() is not None else "not started"
        time.sleep(rng.uniform(0.0, window))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)


def _runs_end_well(kind: str, *, killed: int = 1) -> None:
    """The last run succeeded; the others were killed mid-run (at least ``killed`` of them)
    and found abandoned by their successor, or had finished before their kill."""
    runs = list(SyncRun.objects.filter(kind=kind).order_by("id").values_list("status", "error"))
    assert sum(s == SyncRun.Status.FAILED for s, _ in runs) >= killed, runs
    assert runs[-1][0] == SyncRun.Status.SUCCEEDED, runs
    assert all(s == SyncRun.Status.SUCCEEDED or (s == SyncRun.Status.FAILED
               and e.startswith("abandoned: its")) for s, e in runs), runs


def _twice(reference: Callable[[], None], reset: Callable[[], None], killed: Callable[[], None],
           rows: Callable[[], object]) -> tuple[object, object]:
    reference()
    expected = rows()
    reset()
    killed()
    return expected, rows()


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
    rng = random.Random(10)
    with SonarrFake(version=SonarrFake.V4, catalog_size=400) as ref, \
            SonarrFake(version=SonarrFake.V4, catalog_size=400) as fake:
        _push_world(ref, 300)
        for target in (ref, fake):  # each batch of 100 takes a while: kills land mid-push
            target.inject(Fault("slow", delay=0.6), times=10**6,
                          path_prefix="/api/v3/series/import")
        env = subprocess_env(tmp_path)
        _run(["sync", "sonarr"], env)
        expected, expected_series = _decisions(), _series_of_decisions(ref)
        assert Counter(s for s, _, _ in expected.values()) == {"added": 300, "exists": 300}
        assert len(ref.library) == 300
        server = SonarrServer.objects.get()
        server.url = fake.url
        server.save()
        Decision.objects.all().delete()
        SyncRun.objects.all().delete()
        decide_shows(list(Show.objects.values_list("pk", flat=True)))

        _kill_runs(["sync", "sonarr"], env, rng, 2.0, SyncRun.Kind.SONARR)
        _run(["sync", "sonarr"], env)
        _runs_end_well(SyncRun.Kind.SONARR)
        sent = Counter(body["tvdbId"] for body in fake.added)
        assert [t for t, n in sent.items() if n > 1] == []
        assert len(fake.library) == 300
        got = _decisions()
        assert {t: v for t, v in got.items() if v != expected[t]} == {}
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
    rng = random.Random(11)
    with TmdbFake(count=300, seed=4) as fake:
        fake.inject(Fault("slow", delay=0.01), times=10**6, path_prefix="/tv/")
        _tmdb_world(fake)
        before = list(Show.objects.all())
        env = subprocess_env(tmp_path, TMDB_BASE_URL=fake.url, TMDB_API_KEY=TMDB_KEY)
        expected, got = _twice(
            lambda: _run(["sync", "tmdb"], env), lambda: _tmdb_reset(before),
            lambda: (_kill_runs(["sync", "tmdb"], env, rng, 2.0, SyncRun.Kind.TMDB),
                     _run(["sync", "tmdb"], env)),
            _tmdb_rows)
        _runs_end_well(SyncRun.Kind.TMDB)
        assert Show.objects.filter(tvdb_id__isnull=False, imdb_id__isnull=False,
                                   tmdb_id__isnull=False).count() > 250  # /find and ids ran
        assert not Show.objects.filter(tmdb_status=Show.TmdbStatus.UNKNOWN).exists()
        differing = {TMDB_FIELDS[i] for k in expected for i, (a, b) in
                     enumerate(zip(expected[k], got[k], strict=True)) if a != b}
        assert differing == set()


# ---- the rule refilter ---------------------------------------------------------------------

def test_killed_refilters_end_with_the_uninterrupted_decisions(tmp_path):
    rng = random.Random(12)
    rule = factories.DiscoveryRuleFactory(name="dramas")
    genres = [["Drama"], ["Comedy"], ["Reality", "Drama"]]
    Show.objects.bulk_create([Show(tvmaze_id=n + 1, tvdb_id=n + 1, title=f"S{n}",
                                   language="English", genres=genres[n % 3])
                              for n in range(15_000)])  # three chunks: kills land between
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

    expected, got = _twice(
        lambda: _run(["refilter"], env), reset,
        lambda: (_kill_runs(["refilter"], env, rng, 0.3, SyncRun.Kind.RULES),
                 _run(["refilter"], env)),
        rows)
    _runs_end_well(SyncRun.Kind.RULES)
    assert Counter(s for s, _ in expected.values())[Decision.Status.FILTERED] > 0
    assert got == expected
