"""`python -m integrations.fakes`: one seeded world the four fakes agree on."""

from __future__ import annotations

import json

import pytest
import requests

from integrations.fakes.__main__ import main
from integrations.fakes.world import world_start


def test_it_links_every_plex_show_with_ids_to_a_tvmaze_show():
    world = world_start(which=("tvmaze", "plex", "sonarr"), shows=300)
    try:
        tvdbs = {world.tvmaze.record(i).tvdb for i in world.tvmaze.ids}
        for _, fake in world.plex:
            for section in fake.sections.values():
                for show in section.shows:
                    if not show.guid.startswith("local://"):
                        assert show.tvdb in tvdbs
                        assert str(show.tvdb) in show.guid + " ".join(show.guids)
        env = world.env()
        servers = json.loads(env["DEMO_PLEX_SERVERS"])
        assert [s["name"] for s in servers] == ["Living room", "Basement"]
        assert requests.get(f"{servers[0]['url']}/library/sections", timeout=5,
                            params={"X-Plex-Token": servers[0]["token"]}).status_code == 200
        assert requests.get(f"{env['TVMAZE_BASE_URL']}/shows/1", timeout=5).ok
        sonarr = json.loads(env["DEMO_SONARR"])
        assert sonarr["version"].startswith("4.")
        assert "TMDB_BASE_URL" not in env  # not started, not printed
    finally:
        world.stop()


@pytest.mark.parametrize("argv", [["--shows", "0"], ["nosuchfake"]])
def test_it_refuses_bad_arguments_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("count", [40, 3000, 20_000])
def test_no_two_generated_shows_share_a_title(count):
    import random

    from integrations.fakes.tvmaze_data import generate

    names = [s.name for s in generate(random.Random(1), 1, count, 1_704_794_065)]
    assert len(set(names)) == len(names)


def test_the_demo_world_reads_as_real():
    """Unique titles in each library, files under the show's own ``Title (Year)`` folder, and
    TVMaze shows added later never take a title already in use."""
    world = world_start(which=("tvmaze", "plex"), shows=3000)
    try:
        names = {world.tvmaze.record(i).name for i in world.tvmaze.ids}
        assert len(names) == len(world.tvmaze.ids)
        for _, fake in world.plex:
            titles = [s.title for section in fake.sections.values() for s in section.shows]
            assert len(set(titles)) == len(titles)  # within a server, across its libraries
            for section in fake.sections.values():
                for show in section.shows:
                    if show.guid.startswith("local://"):
                        assert show.title not in names
                    files = [p.file for leaf in show.leaves() for m in leaf.media
                             for p in m.parts]
                    folder = f"{section.root}/{show.folder}/Season "
                    assert all(f.startswith(folder) and f"/{show.title} - S" in f
                               for f in files), (show.title, files[:2])
                    assert show.folder.endswith(")")
        added = world.tvmaze.add(500)
        assert not {world.tvmaze.record(i).name for i in added} & names
    finally:
        world.stop()


def test_the_gained_episode_is_imported_by_sonarr_when_it_holds_the_show():
    """The demo's gained episode: a show Sonarr holds is preferred, and Sonarr then reports
    the import (``Download``) to its webhook; without one, Plex alone gains it."""
    world = world_start(which=("tvmaze", "plex", "sonarr"), shows=300)
    try:
        first = next(s for s in next(iter(world.plex[0][1].sections.values())).shows[1:]
                     if s.tvdb in world.sonarr.catalog_ids)
        said = world.plex_gain_episode()
        assert "Sonarr imported" not in said  # Sonarr holds nothing yet
        world.sonarr.seed_library(first.tvdb)
        sent: list[dict] = []
        world.sonarr._webhook.emit = sent.append  # where the calls would go
        said = world.plex_gain_episode()
        assert repr(first.title) in said and "Sonarr imported it" in said
        assert [(b["eventType"], b["series"]["tvdbId"]) for b in sent] == [
            ("Download", first.tvdb)]
        season, episode = sent[0]["episodes"][0]["seasonNumber"], sent[0]["episodes"][0][
            "episodeNumber"]
        assert f"S{season:02d}E{episode:02d}" in said
    finally:
        world.stop()
