"""Loopback fake of Sonarr v3/v4 (see ``server.SonarrFake``)."""

from integrations.fakes.sonarr.server import DEFAULT_API_KEY, SKYHOOK_DOWN, SonarrFake

__all__ = ["DEFAULT_API_KEY", "SKYHOOK_DOWN", "SonarrFake"]
