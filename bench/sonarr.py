"""Rules and Sonarr scenarios: refilter 100,000 shows from stored facts (no requests), and
push 1,000 pending decisions to Sonarr v4 and v3 in bulk, against one lookup + one POST per
show (what a pyarr-based add loop does)."""

from __future__ import annotations

import time
from datetime import date

from bench.fakeproc import FakeProcess
from bench.harness import Row, measure
from catalog.db.bulk import upsert
from catalog.models import Decision, DiscoveryRule, Show, SonarrServer, SyncRun
from catalog.rules.decide import decide_shows
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.sonarr import sonarr_push
from catalog.upstreams.checks import sonarr_server_check
from integrations.fakes.sonarr import DEFAULT_API_KEY, SonarrFake
from integrations.sonarr import SonarrClient
from integrations.values.sonarr import AddOptions

LANGS = ("English",) * 7 + ("Japanese", "Korean", "French", "German", "Spanish")
GENRES = (["Drama"], ["Comedy"], ["Drama", "Crime"], ["Reality"], ["Anime"], [])


def _catalog(count: int, *, tvdb: list[int] | None = None, start: int = 1) -> None:
    cols = ["tvmaze_id", "tvdb_id", "title", "language", "country", "type", "status",
            "premiered", "network", "web_channel", "genres", "runtime", "rating"]
    rows = [(start + i, tvdb[i] if tvdb else 500_000 + i, f"Show {start + i}", LANGS[i % 12],
             ("US", "GB", "JP", "KR")[i % 4], ("Scripted", "Animation", "Reality")[i % 3],
             ("Running", "Ended", "Ended", "To Be Determined")[i % 4],
             date(1990 + i % 35, 1 + i % 12, 1), ("CBS", "HBO", "", "NHK")[i % 4],
             ("", "", "Netflix", "")[i % 4], GENRES[i % 6], 20 + i % 50, (i % 90) / 10)
            for i in range(count)]
    for at in range(0, len(rows), 5_000):
        upsert(Show, cols, rows[at:at + 5_000], conflict=["tvmaze_id"], update=cols[1:],
               constants={"created_at": _now(), "updated_at": _now()})


def _now():
    from django.utils import timezone

    return timezone.now()


def _run(kind: str, scope: str, work, upstream: str) -> SyncRun:
    run = run_claim(kind=kind, scope=scope)
    done = job_execute(run, work, upstream=upstream)
    if done.status != SyncRun.Status.SUCCEEDED:
        raise RuntimeError(f"{kind} failed: {done.error}")
    return done


def push(pending: int, version: str) -> list[Row]:
    label = "v4" if version == SonarrFake.V4 else "v3"
    with FakeProcess(SonarrFake, version=version, catalog_size=pending + 50) as fake:
        ids = fake.call("catalog_ids")[1:pending + 1]
        Decision.objects.all()._raw_delete(Decision.objects.db)  # no cascade collection
        Show.objects.all()._raw_delete(Show.objects.db)
        DiscoveryRule.objects.all().delete()
        _catalog(pending, tvdb=ids, start=1)
        # Saved as the admin and the API save a server: checked, its version stored (that
        # check's one status request happens here, before the push is measured).
        checked = sonarr_server_check(url=fake.url, api_key=DEFAULT_API_KEY)
        server = SonarrServer.objects.create(name=f"sonarr {label}", url=fake.url,
                                             api_key=DEFAULT_API_KEY, **checked)
        DiscoveryRule.objects.create(name=f"all {label}", server=server, root_folder="/tv",
                                     quality_profile="HD-1080p", language_profile="English")
        decide_shows(list(Show.objects.values_list("id", flat=True)))
        assert Decision.objects.filter(status="pending").count() == pending
        requests = lambda: fake.call("total_requests")  # noqa: E731
        bulk, run = measure(f"push {pending:,} pending to Sonarr {label} (bulk)", "<= 15 req",
                            lambda: _run(SyncRun.Kind.SONARR, f"server:{server.pk}",
                                         lambda r: sonarr_push(r, server_id=server.pk),
                                         "sonarr"), requests)
        bulk.note = f"{run.summary['counts']}"
    with FakeProcess(SonarrFake, version=version, catalog_size=pending + 50) as fake:
        client = SonarrClient.build(base_url=fake.url, api_key=DEFAULT_API_KEY)
        options = AddOptions(quality_profile_id=4, root_folder_path="/tv",
                             language_profile_id=1)
        requests = lambda: fake.call("total_requests")  # noqa: E731
        naive, added = measure(f"same, one lookup + one POST per show ({label})", "baseline",
                               lambda: _naive(client, ids, options, version), requests)
        naive.note = f"{added} added"
    return [bulk, naive]


def _naive(client: SonarrClient, ids: list[int], options: AddOptions, version: str) -> int:
    added = 0
    for tvdb_id in ids:
        series = client.lookup_tvdb(tvdb_id)
        if series is not None and not series.in_library:
            added += client.add(series, options, is_v4=version == SonarrFake.V4).ok
    return added


def run(shows: int, pending: int) -> list[Row]:
    started = time.perf_counter()
    from bench import refilter  # its module imports this one's catalog builder

    rows = refilter.run(shows)
    rows += push(pending, SonarrFake.V4)
    rows += push(pending, SonarrFake.V3)
    rows[-1].note += f" (scenario total {time.perf_counter() - started:.0f} s)"
    return rows
