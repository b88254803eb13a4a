"""A seeded world for the four fakes: one set of shows that TVMaze, TMDB, Plex and Sonarr
all agree on, so a demo links Plex shows to TVMaze shows and Sonarr knows their TVDB ids.

Plex libraries are generated first and then re-pointed at TVMaze shows (their TVDB guids and
titles), before anything is rendered.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from integrations.fakes.base import FakeServer
from integrations.fakes.plex import LibrarySpec, PlexFake
from integrations.fakes.plex.model import Show as PlexShowRec
from integrations.fakes.sonarr import DEFAULT_API_KEY as SONARR_KEY
from integrations.fakes.sonarr import SonarrFake
from integrations.fakes.tmdb import DEFAULT_API_KEY as TMDB_KEY
from integrations.fakes.tmdb import TmdbFake
from integrations.fakes.tvmaze import TvmazeFake

FAKES = ("tvmaze", "tmdb", "plex", "sonarr")
PLEX_TOKEN = "demo-plex-token"  # a fake's credential, printed on purpose


@dataclass(frozen=True)
class PlexPlan:
    """One demo Plex server: its name, libraries, and the path mappings mediasync gets."""

    name: str
    seed: int
    libraries: tuple[LibrarySpec, ...]
    mappings: tuple[tuple[str, str], ...]
    offset: int  # which TVMaze shows its TV library holds (overlap between servers is fine)


# The demo's library on a slow disk: not scanned at start, so that an operator's first scan of
# it runs long enough (about 30 s: 15 pages of 200 episodes, 2 s a request) to watch and cancel.
SLOW_LIBRARY = LibrarySpec("4", "show", "Archive", shows=60, episodes=3000, root="/data/archive",
                           delay=2.0)


def plex_plans(shows: int) -> tuple[PlexPlan, ...]:
    """Two servers with TV and movie libraries; the second maps only its movies, so its TV
    items are remote-only and the coverage column has something to say. The first also has
    the slow "Archive" library, left for an operator to scan."""
    tv = max(10, shows // 25)
    return (
        PlexPlan("Living room", 11, (
            LibrarySpec("1", "show", "TV Shows", shows=tv, episodes=tv * 18, root="/data/tv"),
            LibrarySpec("2", "movie", "Movies", movies=max(20, shows // 10),
                        root="/data/movies"), SLOW_LIBRARY),
            (("/data/tv", "/mnt/media/tv"), ("/data/movies", "/mnt/media/movies"),
             ("/data/archive", "/mnt/media/archive")), 0),
        PlexPlan("Basement", 12, (
            LibrarySpec("1", "show", "Kids TV", shows=tv // 2, episodes=tv * 6,
                        root="/srv/kids"),
            LibrarySpec("3", "movie", "Films", movies=max(10, shows // 20), root="/srv/films")),
            (("/srv/films", "/mnt/basement/films"),), tv // 2),
    )


def _retarget(show: PlexShowRec, tvdb: int, title: str, year: int | None) -> None:
    """Point a generated Plex show (and its seasons' and episodes' guids) at another TVDB id,
    with that show's title."""
    old = f"//{show.tvdb}"
    new = f"//{tvdb}"
    if show.guid.startswith("plex://"):
        show.guids = (f"tvdb://{tvdb}",)  # random imdb/tmdb guids would contradict TVMaze's
    elif "themoviedb://" in show.guid:
        show.guid = f"com.plexapp.agents.thetvdb://{tvdb}?lang=en"
    show.guid = show.guid.replace(old, new)
    show.tvdb = tvdb
    for season in show.seasons:
        season.guid = season.guid.replace(old, new)
        for leaf in season.episodes:
            leaf.guid = leaf.guid.replace(old, new)
    _rename(show, title, year)


def _rename(show: PlexShowRec, title: str, year: int | None) -> None:
    """Retitle a show and move its files to a folder named as Plex users name them:
    ``<root>/<Title (Year)>/Season 01/<Title> - S01E01 - <Episode>.mkv``."""
    sep = "\\" if "\\" in show.section.root else "/"
    old_folder = f"{show.section.root}{sep}{show.folder}{sep}"
    old_name = f"{sep}{show.title} - S"
    show.title, show.year = title, year or show.year
    show.folder = title if title.endswith(")") else f"{title} ({show.year})"
    new_folder = f"{show.section.root}{sep}{show.folder}{sep}"
    for season in show.seasons:
        for leaf in season.episodes:
            for media in leaf.media:
                for part in media.parts:
                    part.file = part.file.replace(old_folder, new_folder, 1).replace(
                        old_name, f"{sep}{title} - S", 1)


def align_plex(fake: PlexFake, tvmaze: TvmazeFake, offset: int) -> int:
    """Give the fake's TV shows the TVDB ids and names of TVMaze shows; how many were linked."""
    with_tvdb = [tvmaze.record(i) for i in tvmaze.ids]
    with_tvdb = [r for r in with_tvdb if r.tvdb]
    linked = n = 0
    for section in fake.sections.values():  # one count over the sections: none share a show
        for show in section.shows:
            n += 1
            if with_tvdb and not show.guid.startswith("local://"):
                rec = with_tvdb[(offset + n - 1) % len(with_tvdb)]
                _retarget(show, rec.tvdb, rec.name, _year(rec.premiered))
                linked += 1
    # Unmatched (local://) shows keep their own titles; none may read as a TVMaze show's.
    names = {tvmaze.record(i).name for i in tvmaze.ids}
    for section in fake.sections.values():
        for show in section.shows:
            if show.guid.startswith("local://"):
                title = show.title if show.title not in names else f"{show.title} ({show.year})"
                _rename(show, title, show.year)
                names.add(title)
    return linked


@dataclass
class World:
    """The running fakes of one seeded world."""

    tvmaze: TvmazeFake | None = None
    tmdb: TmdbFake | None = None
    sonarr: SonarrFake | None = None
    plex: list[tuple[PlexPlan, PlexFake]] = field(default_factory=list)

    def servers(self) -> list[FakeServer]:
        return [s for s in (self.tvmaze, self.tmdb, self.sonarr) if s] + [f for _, f in self.plex]

    def stop(self) -> None:
        for server in self.servers():
            with contextlib.suppress(Exception):
                server.stop()

    def plex_gain_episode(self) -> str:
        """A new episode at the end of a TV show of the first Plex server (announced on its
        notification stream, as Plex would): the first show Sonarr holds, whose import Sonarr
        then reports to its webhook, else the first show. Returns what happened, for a
        person."""
        held = {s["tvdbId"] for s in self.sonarr.library} if self.sonarr else set()
        for plan, fake in self.plex:
            for section in fake.sections.values():
                if section.shows:
                    show = next((s for s in section.shows if s.tvdb in held), section.shows[0])
                    rk = fake.add_episode(show.rk)
                    leaf = fake.records[int(rk)]
                    said = (f"{plan.name} gained an episode of {show.title!r} "
                            f"(S{leaf.season.index:02d}E{leaf.index:02d}, ratingKey {rk})")
                    if self.sonarr and show.tvdb in held:
                        self.sonarr.import_episode(show.tvdb, leaf.season.index, leaf.index)
                        said += "; Sonarr imported it and told mediasync's webhook"
                    return said
        return "no Plex TV show to give an episode to"

    def env(self) -> dict[str, str]:
        """The variables that point mediasync (and ``manage.py demo_seed``) at these fakes."""
        env: dict[str, str] = {}
        if self.tvmaze:
            env.update(TVMAZE_BASE_URL=self.tvmaze.url, TVMAZE_RATE_CALLS="0")
        if self.tmdb:
            env.update(TMDB_BASE_URL=f"{self.tmdb.url}/3", TMDB_API_KEY=TMDB_KEY)
        if self.plex:
            env["DEMO_PLEX_SERVERS"] = json.dumps([
                {"name": plan.name, "url": fake.url, "token": PLEX_TOKEN,
                 "libraries": [{"key": s.key, "title": s.title, "type": s.type,
                                **({"scan_on_start": False} if s.delay else {})}
                               for s in plan.libraries],
                 "mappings": [list(m) for m in plan.mappings]} for plan, fake in self.plex])
        if self.sonarr:
            env["DEMO_SONARR"] = json.dumps({"name": "Sonarr", "url": self.sonarr.url,
                                             "api_key": SONARR_KEY,
                                             "version": self.sonarr.version})
        return env


def world_start(*, which: tuple[str, ...] = FAKES, shows: int = 3000, seed: int = 1,
                host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> World:
    """Generate and start the chosen fakes (a TVMaze world is generated even when only the
    others run, so their ids agree)."""
    ports = ports or {}
    world = World()
    tvmaze = TvmazeFake(count=shows, seed=seed, host=host, port=ports.get("tvmaze", 0))
    try:
        if "tvmaze" in which:
            world.tvmaze = tvmaze.start()
        if "tmdb" in which:
            world.tmdb = TmdbFake(seeds=tvmaze.external_seeds(), seed=seed, host=host,
                                  port=ports.get("tmdb", 0)).start()
        if "sonarr" in which:
            catalog = [(r.tvdb, r.name, _year(r.premiered)) for r in
                       (tvmaze.record(i) for i in tvmaze.ids) if r.tvdb]
            world.sonarr = SonarrFake(version=SonarrFake.V4, catalog=catalog, seed=seed,
                                      host=host, port=ports.get("sonarr", 0)).start()
        if "plex" in which:
            for n, plan in enumerate(plex_plans(shows)):
                fake = PlexFake(plan.libraries, token=PLEX_TOKEN, seed=plan.seed,
                                friendly_name=plan.name, host=host,
                                port=ports.get("plex", 0) and ports["plex"] + n)
                align_plex(fake, tvmaze, plan.offset)
                world.plex.append((plan, fake.start()))
    except BaseException:
        world.stop()
        raise
    return world


def _year(premiered: Any) -> int | None:
    return int(premiered[:4]) if isinstance(premiered, str) and premiered[:4].isdigit() else None
