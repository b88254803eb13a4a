"""Loopback fake of a Plex Media Server (see `server.PlexFake`)."""

from integrations.fakes.plex.model import BASE_NOW, LibrarySpec
from integrations.fakes.plex.server import PlexFake

__all__ = ["BASE_NOW", "LibrarySpec", "PlexFake"]
