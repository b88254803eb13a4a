"""Plex Media Server: client, guid parsing and container parsing."""

from integrations.plex.client import ITEM_TYPES, PlexClient, disable_plexapi_autoreload
from integrations.plex.guids import item_external_ids, parse_guid, show_external_ids

__all__ = [
    "ITEM_TYPES",
    "PlexClient",
    "disable_plexapi_autoreload",
    "item_external_ids",
    "parse_guid",
    "show_external_ids",
]
