"""Django admin for every model, on a site that enforces the role matrix."""

from catalog.admin import plex, shows, sonarr, sync  # noqa: F401
from catalog.admin.site import site

__all__ = ["site"]
