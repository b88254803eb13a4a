"""The catalog's rows: the only state mediasync keeps."""

from catalog.models.decisions import Decision
from catalog.models.listener import PlexListenerState
from catalog.models.metrics import UpstreamCounter
from catalog.models.plex import MediaItem, PathMapping, PlexLibrary, PlexServer, PlexShow
from catalog.models.rules import DiscoveryRule, RuleSelection
from catalog.models.shows import Episode, Show
from catalog.models.sonarr import SonarrDeletion, SonarrServer
from catalog.models.sync import SyncCursor, SyncRun

__all__ = [
    "Decision",
    "DiscoveryRule",
    "Episode",
    "MediaItem",
    "PathMapping",
    "PlexLibrary",
    "PlexListenerState",
    "PlexServer",
    "PlexShow",
    "RuleSelection",
    "Show",
    "SonarrDeletion",
    "SonarrServer",
    "SyncCursor",
    "SyncRun",
    "UpstreamCounter",
]
