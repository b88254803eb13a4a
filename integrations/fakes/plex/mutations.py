"""Mutations of the Plex fake's library, stamped with its own clock (``now``): what tests
(and the bench's re-scans) do to a library between scans, or during one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.fakes.plex.model import Leaf, Record, Season, Show

if TYPE_CHECKING:
    from integrations.fakes.plex.server import PlexFake


class PlexMutationsMixin:
    """Mixed into ``PlexFake``, which provides the records, the generator and the lock."""

    def set_now(self: PlexFake, ts: int) -> None:
        """The clock mutations stamp into addedAt/updatedAt."""
        self.now = int(ts)

    def add_episode(self: PlexFake, show_rk: int | str) -> str:
        """A new episode at the end of the show's last season; returns its ratingKey."""
        with self._data_lock:
            show = self._show(show_rk)
            if not show.seasons:
                self._generator.season(show, 1, 0, 45 * 60_000)
                self.records[show.seasons[-1].rk] = show.seasons[-1]
            season = show.seasons[-1]
            runtime = season.episodes[-1].duration if season.episodes else 45 * 60_000
            leaf = self._generator.episode(season, len(season.episodes) + 1, runtime, self.now)
            self.records[leaf.rk] = leaf
            self._changed(show, season, structure=True)
            return str(leaf.rk)

    def add_show(self: PlexFake, section_key: str, episodes: int) -> str:
        """A new show at the end of the section's show listing; returns its ratingKey."""
        with self._data_lock:
            section = self.sections[section_key]
            show = self._generator.show(section, episodes)
            show.added_at = show.updated_at = self.now
            for leaf in show.leaves():
                leaf.added_at = leaf.updated_at = self.now
            section.shows.append(show)
            self._index_show(show)
            section.invalidate()
            return str(show.rk)

    def add_movie(self: PlexFake, section_key: str) -> str:
        """A new movie at the end of the section's listing; returns its ratingKey."""
        with self._data_lock:
            section = self.sections[section_key]
            leaf = self._generator.movie(section)
            leaf.added_at = leaf.updated_at = self.now
            section.movies.append(leaf)
            self.records[leaf.rk] = leaf
            return str(leaf.rk)

    def remove_item(self: PlexFake, rk: int | str) -> None:
        """Remove an episode, a movie, or a whole show with its seasons and episodes."""
        with self._data_lock:
            record = self._record(rk)
            if isinstance(record, Show):
                record.section.shows.remove(record)
                for season in record.seasons:
                    self.records.pop(season.rk, None)
                    for leaf in season.episodes:
                        self.records.pop(leaf.rk, None)
                record.section.invalidate()
            elif isinstance(record, Leaf) and record.season is not None:
                record.season.episodes.remove(record)
                self._changed(record.season.show, record.season, structure=True)
            elif isinstance(record, Leaf):
                record.section.movies.remove(record)
            else:
                raise ValueError(f"cannot remove a season ({rk}); remove its episodes")
            self.records.pop(record.rk, None)

    def replace_file(self: PlexFake, rk: int | str, *, stamp: bool = True) -> None:
        """An upgrade: new file size; the item's (and its show's) updatedAt move to `now`,
        unless ``stamp`` is False (Plex does not always stamp a replaced file)."""
        with self._data_lock:
            leaf = self._record(rk)
            if not isinstance(leaf, Leaf) or not leaf.media or not leaf.media[0].parts:
                raise ValueError(f"{rk} is not an item with a file")
            part = leaf.media[0].parts[0]
            part.size = self._generator.new_size(part)
            part.accessible = True
            leaf.cache = None
            if stamp:
                leaf.updated_at = self.now
            if leaf.season is not None:
                if stamp:
                    leaf.season.show.updated_at = self.now
                self._changed(leaf.season.show, leaf.season)

    def move_episode(self: PlexFake, rk: int | str, show_rk: int | str) -> None:
        """Re-match an episode to another show (appended to its last season), stamped now."""
        with self._data_lock:
            leaf, show = self._record(rk), self._show(show_rk)
            if not isinstance(leaf, Leaf) or leaf.season is None or not show.seasons:
                raise ValueError(f"cannot move {rk} to {show_rk}")
            old = leaf.season
            old.episodes.remove(leaf)
            season = show.seasons[-1]
            season.episodes.append(leaf)
            leaf.season, leaf.index = season, len(season.episodes)
            leaf.updated_at, leaf.cache = self.now, None
            for changed in (old, season):
                changed.show.updated_at = self.now
                self._changed(changed.show, changed, structure=True)

    def touch_show(self: PlexFake, show_rk: int | str) -> None:
        """Metadata refresh of a show: only its updatedAt moves."""
        with self._data_lock:
            show = self._show(show_rk)
            show.updated_at = self.now
            show.cache = None

    def touch_item(self: PlexFake, rk: int | str) -> None:
        """Metadata edit of an episode or movie: only its own updatedAt moves (Plex does
        not restamp the show for an episode's edit)."""
        with self._data_lock:
            leaf = self._record(rk)
            if not isinstance(leaf, Leaf):
                raise ValueError(f"{rk} is not an episode or a movie")
            leaf.updated_at, leaf.cache = self.now, None
            if leaf.season is not None:
                leaf.season.cache = None

    def refresh_all(self: PlexFake, section_key: str) -> None:
        """A bulk import, a migrated database or a library-wide metadata refresh: every
        show, season, episode and movie of the section is stamped with the one instant
        ``now``."""
        with self._data_lock:
            section = self.sections[section_key]
            for show in section.shows:
                show.updated_at, show.cache = self.now, None
                for season in show.seasons:
                    season.updated_at, season.cache = self.now, None
                    for leaf in season.episodes:
                        leaf.updated_at, leaf.cache = self.now, None
            for movie in section.movies:
                movie.updated_at, movie.cache = self.now, None

    def _changed(self: PlexFake, show: Show, season: Season, *, structure: bool = False) -> None:
        show.cache = season.cache = None
        section = show.section
        section.updated_at = section.scanned_at = self.now
        if structure:
            section.invalidate()

    def _record(self: PlexFake, rk: int | str) -> Record:
        try:
            return self.records[int(rk)]
        except (KeyError, ValueError):
            raise KeyError(f"no item with ratingKey {rk!r}") from None

    def _show(self: PlexFake, rk: int | str) -> Show:
        record = self._record(rk)
        if not isinstance(record, Show):
            raise ValueError(f"{rk} is not a show")
        return record
