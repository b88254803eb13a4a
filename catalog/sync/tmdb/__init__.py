"""TMDB enrichment: ``sync_show`` for one show, ``tmdb_batch`` for the library (a SyncRun)."""

from catalog.sync.tmdb.batch import tmdb_batch
from catalog.sync.tmdb.show import show_for_tmdb_id, show_refresh, sync_show

__all__ = ["show_for_tmdb_id", "show_refresh", "sync_show", "tmdb_batch"]
