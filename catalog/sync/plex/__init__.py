"""Plex library sync: flat first ingest, cheap incremental scans, safe finalize, discovery.

``plex_library_sync`` is what ``catalog.sync.dispatch`` runs for a Plex SyncRun;
``plex_discover`` lists a server's sections into libraries.
"""

from catalog.sync.plex.discover import plex_discover
from catalog.sync.plex.library import plex_library_sync

__all__ = ["plex_discover", "plex_library_sync"]
