"""Sonarr v3/v4: the client (over pyarr 5.2.0) and the wire details it hides."""

from integrations.sonarr.client import API_PREFIX, UPSTREAM, SonarrClient

__all__ = ["API_PREFIX", "UPSTREAM", "SonarrClient"]
