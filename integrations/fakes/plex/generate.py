"""Deterministic, realistic Plex libraries: legacy and new-agent guids, unicode titles,
multi-part and unplayable items, Windows paths on demand."""

from __future__ import annotations

import random
import uuid

from integrations.fakes.plex.model import (
    BASE_NOW,
    DAY,
    Ids,
    Leaf,
    LibrarySpec,
    Media,
    Part,
    Season,
    Section,
    Show,
    hex_id,
)

WORDS = ("Silent", "River", "Empire", "Night", "Station", "Blue", "Harbor", "Echo", "Crown",
         "Signal", "Garden", "Frontier", "Shadow", "Winter", "Lantern", "Copper", "Atlas",
         "Orbit", "Hollow", "Summit", "Tide", "Ember", "Paper", "Iron", "Velvet", "North")
UNICODE = ("Café", "Straße", "Ōkami", "東京", "Москва", "Smörgåsbord", "Crème Brûlée",
           "Żółw", "Ελλάδα", "Niño", "Ærø", "서울")
GENRES = ("Drama", "Comedy", "Crime", "Sci-Fi", "Animation", "Documentary", "Thriller")
VIDEO = (("h264", 1920, 1080, "1080"), ("h264", 1280, 720, "720"), ("hevc", 3840, 2160, "4k"),
         ("hevc", 1920, 1080, "1080"), ("mpeg4", 720, 480, "480"), ("mpeg2video", 720, 576, "sd"))
AUDIO = (("aac", 2), ("ac3", 6), ("eac3", 6), ("aac", 6), ("dca", 6), ("truehd", 8))
RUNTIMES_MIN = (22, 24, 30, 42, 45, 50, 60)
SEASON_SIZES = (6, 8, 10, 12, 13, 22, 24)


class Generator:
    """Builds one server's sections; the same seed always gives the same library."""

    def __init__(self, seed: int, ids: Ids, windows_paths: bool) -> None:
        self.rng = random.Random(seed)
        self.ids = ids
        self.windows = windows_paths
        self.sep = "\\" if windows_paths else "/"
        self.titles: set[str] = set()

    def section(self, spec: LibrarySpec) -> Section:
        section = Section(spec, str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                          self.root(spec.root))
        if spec.type == "show":
            for count in self.split(spec.episodes, spec.shows):
                section.shows.append(self.show(section, count))
        else:
            section.movies = [self.movie(section) for _ in range(spec.movies)]
        return section

    def root(self, root: str) -> str:
        if not self.windows or ":" in root:
            return root.rstrip("/\\")
        return "D:" + root.rstrip("/").replace("/", "\\")

    def split(self, episodes: int, shows: int) -> list[int]:
        """Spread `episodes` over `shows` unevenly, keeping the exact total."""
        if shows <= 0:
            return []
        counts = [episodes // shows + (1 if i < episodes % shows else 0) for i in range(shows)]
        for i in range(shows):
            j = self.rng.randrange(shows)
            moved = self.rng.randint(0, max(0, counts[i] - 1) // 2)
            counts[i] -= moved
            counts[j] += moved
        return counts

    def title(self, year: int) -> str:
        rng = self.rng
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.08:
            words.insert(rng.randint(0, len(words)), rng.choice(UNICODE))
        title = " ".join(words)
        if title in self.titles:
            title = f"{title} ({year})"
        while title in self.titles:
            title += " II"
        self.titles.add(title)
        return title

    def show(self, section: Section, episodes: int) -> Show:
        rng = self.rng
        year = rng.randint(1960, 2023)
        show = Show(self.ids.next_rk(), section, self.title(year), year)
        show.tvdb = rng.randint(70_000, 450_000)
        show.added_at = BASE_NOW - rng.randint(60, 3000) * DAY
        show.updated_at = show.added_at + rng.randint(0, 50) * DAY
        show.genres = tuple(rng.sample(GENRES, rng.randint(0, 2)))
        self.show_guids(show)
        runtime = rng.choice(RUNTIMES_MIN) * 60_000
        season_no, left = 1, episodes
        while left > 0:
            size = min(left, rng.choice(SEASON_SIZES))
            self.season(show, season_no, size, runtime)
            season_no, left = season_no + 1, left - size
        return show

    def show_guids(self, show: Show) -> None:
        rng, roll = self.rng, self.rng.random()
        if roll < 0.40:
            show.legacy = True
            show.guid = f"com.plexapp.agents.thetvdb://{show.tvdb}?lang=en"
        elif roll < 0.43:
            show.legacy = True
            show.guid = f"com.plexapp.agents.themoviedb://{rng.randint(1, 250_000)}?lang=en"
        elif roll < 0.45:
            show.guid = f"local://{show.rk}"
        else:
            show.guid = f"plex://show/{hex_id(rng)}"
            guids = []
            if rng.random() > 0.15:
                guids.append(f"imdb://tt{rng.randint(1, 9_999_999):07d}")
            if rng.random() > 0.05:
                guids.append(f"tmdb://{rng.randint(1, 250_000)}")
            guids.append(f"tvdb://{show.tvdb}")
            show.guids = tuple(guids)

    def season(self, show: Show, index: int, size: int, runtime: int) -> None:
        rng = self.rng
        guid = (f"com.plexapp.agents.thetvdb://{show.tvdb}/{index}?lang=en" if show.legacy
                else f"plex://season/{hex_id(rng)}")
        season = Season(self.ids.next_rk(), show, index, guid, show.added_at + index * DAY)
        show.seasons.append(season)
        for number in range(1, size + 1):
            self.episode(season, number, runtime)

    def episode(self, season: Season, number: int, runtime: int, at: int | None = None) -> Leaf:
        rng, show = self.rng, season.show
        title = f"Episode {number}" if rng.random() < 0.3 else self.episode_title()
        leaf = Leaf(self.ids.next_rk(), "episode", show.section, title,
                    min(2023, show.year + season.index - 1))
        leaf.season, leaf.index = season, number
        leaf.added_at = at or min(BASE_NOW - 3600, season.added_at + number * 7 * DAY)
        # Spread over the last day rather than clamped to one second: a real library's newest
        # stamps are seconds apart, and an updated-since listing's margin re-lists that second.
        leaf.updated_at = at or min(BASE_NOW - 60 - leaf.rk % DAY,
                                    leaf.added_at + rng.randint(0, 20) * DAY)
        leaf.duration = runtime + rng.randint(-90_000, 90_000)
        if show.legacy:
            leaf.guid = f"com.plexapp.agents.thetvdb://{show.tvdb}/{season.index}/{number}?lang=en"
        elif show.guid.startswith("local://"):
            leaf.guid = f"local://{leaf.rk}"
        else:
            leaf.guid = f"plex://episode/{hex_id(rng)}"
            leaf.guids = (f"tmdb://{rng.randint(1, 5_000_000)}",
                          f"tvdb://{rng.randint(1, 9_000_000)}")
        name = f"{show.title} - S{season.index:02d}E{number:02d} - {title}"
        folder = self.sep.join((show.section.root, show.folder, f"Season {season.index:02d}"))
        leaf.media = self.media(folder, name, leaf.duration)
        season.episodes.append(leaf)
        return leaf

    def episode_title(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(1, 3))]
        if self.rng.random() < 0.05:
            words.append(self.rng.choice(UNICODE))
        return " ".join(words)

    def movie(self, section: Section) -> Leaf:
        rng = self.rng
        year = rng.randint(1950, 2023)
        title = self.title(year)
        leaf = Leaf(self.ids.next_rk(), "movie", section, title, year)
        leaf.added_at = BASE_NOW - rng.randint(1, 3000) * DAY
        leaf.updated_at = leaf.added_at + rng.randint(0, 30) * DAY
        leaf.duration = rng.randint(80, 180) * 60_000
        if rng.random() < 0.4:
            leaf.guid = f"com.plexapp.agents.imdb://tt{rng.randint(1, 9_999_999):07d}?lang=en"
        else:
            leaf.guid = f"plex://movie/{hex_id(rng)}"
            leaf.guids = (f"imdb://tt{rng.randint(1, 9_999_999):07d}",
                          f"tmdb://{rng.randint(1, 900_000)}")
        folder = f"{section.root}{self.sep}{title} ({year})"
        leaf.media = self.media(folder, f"{title} ({year})", leaf.duration)
        return leaf

    def media(self, folder: str, name: str, duration: int) -> list[Media]:
        """One Media: mostly one Part; ~3% two parts; a few unplayable (none, empty, offline)."""
        rng, roll = self.rng, self.rng.random()
        if roll < 0.004:
            return []
        profile, audio = rng.choice(VIDEO), rng.choice(AUDIO)
        container = rng.choices(("mkv", "mp4", "avi"), (80, 15, 5))[0]
        bitrate = rng.randint(1_500, 20_000) if profile[3] != "4k" else rng.randint(15_000, 60_000)
        size = bitrate * duration // 8
        count = 2 if roll > 0.97 else 1
        parts = []
        for n in range(1, count + 1):
            suffix = f" - pt{n}" if count > 1 else ""
            file = f"{folder}{self.sep}{name}{suffix}.{container}"
            parts.append(Part(self.ids.next_part(), file, size // count, duration // count,
                              container))
        if 0.004 <= roll < 0.008:
            parts[0].size = 0
        elif 0.008 <= roll < 0.012:
            parts[0].accessible = False
        return [Media(self.ids.next_media(), profile, audio, container, duration, bitrate, parts)]

    def new_size(self, part: Part) -> int:
        """A different size for a replaced file (an upgrade)."""
        return part.size + self.rng.randint(1, 500_000_000)
