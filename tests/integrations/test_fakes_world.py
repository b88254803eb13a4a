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
