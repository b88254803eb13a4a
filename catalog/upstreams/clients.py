"""Builds the integrations clients from settings: the one place catalog meets configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from integrations.errors import AuthError
from integrations.plex import PlexClient
from integrations.ratelimit import RateLimit
from integrations.sonarr import SonarrClient
from integrations.tmdb import TmdbClient
from integrations.tmdb_images import ImageDownloader
from integrations.tvmaze import TvmazeClient

if TYPE_CHECKING:
    from catalog.models import PlexServer, SonarrServer


def _rate_limit(calls: int, period: float) -> RateLimit | None:
    """Shared across processes: Redis when configured, else a SQLite file in DATA_DIR."""
    if calls <= 0:
        return None
    return RateLimit(calls=calls, period=period,
                     backend=settings.REDIS_URL or settings.RATE_LIMIT_DB)


def _timeouts() -> dict[str, float | int]:
    return {"connect_timeout": settings.HTTP_CONNECT_TIMEOUT,
            "read_timeout": settings.HTTP_READ_TIMEOUT,
            "max_retries": settings.HTTP_MAX_RETRIES}


def tvmaze_client() -> TvmazeClient:
    return TvmazeClient.build(
        base_url=settings.TVMAZE_BASE_URL, api_key=settings.TVMAZE_API_KEY,
        rate_limit=_rate_limit(settings.TVMAZE_RATE_CALLS, settings.TVMAZE_RATE_PERIOD),
        **_timeouts(),
    )


def plex_client(server: PlexServer) -> PlexClient:
    """A client for one operator-configured Plex server (a LAN server: no shared rate limit)."""
    return PlexClient.build(base_url=server.url, token=server.token, **_timeouts())


def tmdb_client() -> TmdbClient:
    """A TMDB client on the shared limit (40 calls a second by default; 429s honoured)."""
    if not settings.TMDB_API_KEY:
        raise AuthError("TMDB_API_KEY is not set", upstream="tmdb")
    return TmdbClient.build(
        base_url=settings.TMDB_BASE_URL, api_key=settings.TMDB_API_KEY,
        rate_limit=_rate_limit(settings.TMDB_RATE_CALLS, settings.TMDB_RATE_PERIOD),
        **_timeouts(),
    )
def sonarr_client(server: SonarrServer) -> SonarrClient:
    """A client for one operator-configured Sonarr server (LAN: no shared rate limit)."""
    return SonarrClient.build(base_url=server.url, api_key=server.api_key, **_timeouts())


def image_downloader() -> ImageDownloader:
    """TMDB's image host: the shared timeouts and retries, no credentials, no API rate limit."""
    return ImageDownloader.build(**_timeouts())
