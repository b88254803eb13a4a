"""TMDB enrichment: ``tmdb_id_refresh`` for one show, ``tmdb_batch`` for the library (a SyncRun)."""

from catalog.sync.tmdb.batch import tmdb_batch
from catalog.sync.tmdb.show import show_for_tmdb_id, show_refresh, tmdb_id_refresh

__all__ = ["show_for_tmdb_id", "show_refresh", "tmdb_batch", "tmdb_id_refresh"]
