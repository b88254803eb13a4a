"""The rows a TVMaze mirror leaves, pinned: a walk over Plex placeholders, then an increment
in which mirrored shows gain placeholders' ids, new shows arrive and one id changes hands.

The expected digests were computed by the writer before its speed work; a change to how pages
are parsed or written must leave every column of every row the same (a failure names the
columns that differ). Row ids are compared by rank, so the database's sequences do not matter.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime

import pytest

from catalog.models import Decision, PlexShow, Show, SyncRun
from catalog.runs import run_finish
from catalog.sync.tvmaze import tvmaze_sync
from integrations.fakes.tvmaze import TvmazeFake
from tests.factories import DiscoveryRuleFactory, PlexLibraryFactory

START = 1_700_000_000
SHOW_COLUMNS = (
    "id", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "title", "language", "country", "type",
    "status", "premiered", "ended", "network", "web_channel", "genres", "runtime", "rating",
    "tvmaze_updated_at", "tmdb_status", "added_at", "added_by", "loading_status",
    "loading_parts", "episodes_loaded",
)
EXPECTED = {
    "decisions": "85d21ab836ad4271730d28003af160973c894741967d43b8bdf23db97457648e",
    "plex_links": "3cc6e42b4c250d3be1df98089e5a15d9adcc0ba939d9d93e555ca166ce4b9174",
    "show.added_at": "84e28665388e08b77864b0ad100e2b1cc827c3d1065c65332b2230a77640667f",
    "show.added_by": "efde3c1c3d88839aa3ead88c9a9693ac5ff0f5423a1132260bc27d117b1e551a",
    "show.country": "6d23a49bb7d692e716eec246a3f926a5c5d0a38011da92695cd69eceab915884",
    "show.ended": "2eafb7be6bd45cdfb048081ab8ee6f557a04796ae45f1272b2657ac982f92638",
    "show.episodes_loaded": "872f461069d8951515be47874a807406bbdbb47a332fef671032cd8f94f0bf93",
    "show.genres": "55f90772802a9730d52bcb5fd667cf28f45ce7c61b81c7505cf47de399b27683",
    "show.id": "3699f88c682c2442fbdcc14fb35475a1518a83ce689f4bc70dd0888e7aab60d9",
    "show.imdb_id": "36bc8a55b264f8ae7325dd5880801c03712193a5133e08405d3eb52cc39a4a44",
    "show.language": "9a0b482da2f0b59d2451227aecb2b8a47fd7322c253906f15a7e3cddc9bc02ef",
    "show.loading_parts": "2060ecdff18a1b206dedbc97d54464cbb92a6fe8276893a2e655a23a974dc46b",
    "show.loading_status": "9a7fff783b76e661fff576f345c7dc3b944c12bd4d6ffc57fdce2341ed13da23",
    "show.network": "eeb3b496eb749b8c0f29431ee00ebab8005c12db72e1dc347d5ab3b0ab68a7ab",
    "show.premiered": "bcf0defbfef2c0bce397e938be83fd8d2d842222aa621978369cf80e016d5311",
    "show.rating": "25459158e6b2905046a10232a1bada4d0390f2485b84415c35d5a5355dbfc72d",
    "show.runtime": "49cf334bfc1ffed8eacc0176aa05d2ea4a93c2086e07e70193f82dfd432df0cc",
    "show.status": "f198a339b7a0a6813753676f79f7abca6f1e75978d46c2b763684106e5967ba0",
    # the fakes' titles became unique (the demo's world): recomputed by the writer before its
    # speed work over the new titles, and equal to what the current writer leaves
    "show.title": "da8fa3098e5a4fadb01fd831415920a7a6b5c136b6b0b0c6032aa7db9387f9b5",
    "show.tmdb_id": "1049473229f1008a3fa93ccd88a679e1efb29342ed6da49b4e49ea621be6b1a8",
    "show.tmdb_status": "4d9657e4b9d80ff85801892c556b4e45ee9cb0883371c97d46bc52b38c99902e",
    "show.tvdb_id": "aac715d27fc750fb0aa25dcc54530d1d379683b51af98c5b753d78c6f0ed2964",
    "show.tvmaze_id": "31afaeeacdf6ebcb9bd2e8b3306de40e90db2a043e63f3b0adefb4cc6dcaada7",
    "show.tvmaze_updated_at": "82ec64023d559459b73844518d0b06ec71b9cf44d9624781e0f2d753cf10560c",
    "show.type": "051b5faa355f771a9868d843a5353befad28c2050babeea1606c810a97755f0a",
    "show.web_channel": "11d922af32776ec367219a988e02d06138149215a31ace24ae728d8561a8ed8d",
    "summaries": "bf8f7081e8c238db654f19807f9b38aec6aacbcada0d05c0b1f57850b3c603a0",
}


def _canonical(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return value


def _digest(rows: Iterable[object]) -> str:
    text = json.dumps([_canonical(v) for v in rows], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _snapshot(summaries: list[dict]) -> dict[str, str]:
    """One digest per Show column, plus the Plex links, the decisions and the summaries."""
    shows = list(Show.objects.order_by("id").values_list(*SHOW_COLUMNS))
    rank = {row[0]: n for n, row in enumerate(shows)}
    out = {}
    for i, name in enumerate(SHOW_COLUMNS):
        values = [rank[row[0]] if name == "id" else row[i] for row in shows]
        out[f"show.{name}"] = _digest(values)
    links = PlexShow.objects.order_by("rating_key").values_list("rating_key", "show_id")
    out["plex_links"] = _digest([[key, rank[show]] for key, show in links])
    decisions = Decision.objects.order_by("show_id").values_list("show_id", "status", "reason")
    out["decisions"] = _digest([[rank[show], status, reason] for show, status, reason
                                in decisions])
    out["summaries"] = _digest([json.dumps(s, sort_keys=True) for s in summaries])
    return out


def _sync(new_run, client, now: int) -> dict:
    run = new_run()
    summary = tvmaze_sync(run, client, now=datetime.fromtimestamp(now, tz=UTC))
    run_finish(run, status=SyncRun.Status.SUCCEEDED, summary=summary)
    return summary


def _placeholder(library, key: str, **ids) -> Show:
    show = Show.objects.create(title=f"plex {key}", **ids)
    PlexShow.objects.create(library=library, rating_key=key, title=show.title, show=show)
    return show


@pytest.mark.django_db
@pytest.mark.integration
def test_a_mirror_over_placeholders_writes_the_rows_it_always_wrote(new_run, tvmaze_client_for):
    DiscoveryRuleFactory()
    library = PlexLibraryFactory()
    with TvmazeFake(count=3000, seed=23, start_ts=START) as fake:
        client = tvmaze_client_for(fake)
        records = [fake.record(i) for i in fake.ids]
        # Placeholders the walk claims: by TVDB id, by IMDb id, one loaded and operator-added.
        for n, rec in enumerate(r for r in records if r.tvdb and r.id % 37 == 0):
            _placeholder(library, f"tvdb-{rec.id}", tvdb_id=rec.tvdb, tmdb_id=900_000 + n,
                         episodes_loaded=n % 3 == 0,
                         added_at=datetime(2024, 1, 2, tzinfo=UTC) if n % 4 == 0 else None,
                         added_by="otto" if n % 4 == 0 else "")
        for rec in (r for r in records if r.imdb and not r.tvdb and r.id % 11 == 0):
            _placeholder(library, f"imdb-{rec.id}", imdb_id=rec.imdb)
        summaries = [_sync(new_run, client, START)]

        # Mirrored shows without ids gain those of placeholders (absorbed), new shows arrive,
        # and one show's TVDB id moves to another.
        bare = [r for r in records if not r.tvdb and not r.imdb and not r.malformed][:40]
        for n, rec in enumerate(bare):
            rec.tvdb = 5_000_000 + n
            _placeholder(library, f"later-{rec.id}", tvdb_id=rec.tvdb, imdb_id=f"tt99{n:05d}",
                         tmdb_id=950_000 + n, episodes_loaded=n % 2 == 0)
        mover, taker = [r for r in records if r.tvdb and not r.malformed][100:102]
        taker.tvdb, mover.tvdb = mover.tvdb, None
        fake.set_now(START + 3600)
        fake.change([r.id for r in bare] + [mover.id, taker.id])
        fake.add(25)
        Show.objects.filter(tvmaze_id__in=[r.id for r in records[:300:7]]).update(
            episodes_loaded=True)
        summaries.append(_sync(new_run, client, START + 7200))

    # The scenario did what it says: every placeholder was claimed or absorbed.
    assert not PlexShow.objects.filter(show__tvmaze_id__isnull=True).exists()
    assert PlexShow.objects.filter(rating_key__startswith="later-").count() == len(bare)
    assert summaries[1]["created"] == 25 and summaries[1]["updated"] == len(bare) + 2
    got = _snapshot(summaries)
    assert {k for k, v in got.items() if EXPECTED.get(k) != v} == set()
