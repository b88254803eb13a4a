"""The Sonarr push pipeline: validate, read once, settle without POSTs, add in bulk."""

from catalog.sync.sonarr.push import sonarr_push

__all__ = ["sonarr_push"]
