"""``plex_discover``: connect to a server, record who it is, and list its sections as libraries.

Show and movie sections become PlexLibrary rows keyed by (server, section key); a known one
only has its title and type refreshed, so an operator's ``enabled`` and ``retention_days``
stay. Sections of other types (music, photos) are left out; libraries Plex no longer lists
are left alone (their items are never deleted by discovery).
"""

from __future__ import annotations

from django.db import transaction

from catalog.db.bulk import upsert
from catalog.models import PlexLibrary, PlexServer
from catalog.upstreams.clients import plex_client
from integrations.plex import PlexClient

KINDS = {"show": PlexLibrary.Type.SHOW, "movie": PlexLibrary.Type.MOVIE}


def plex_discover(server: PlexServer, *, client: PlexClient | None = None) -> list[PlexLibrary]:
    """Upsert the server's show and movie sections; returns their libraries. Raises the
    client's UpstreamError (auth, unreachable) untouched, having written nothing."""
    own_client = client is None
    client = client or plex_client(server)
    try:
        info = client.connect()
        sections = [s for s in client.sections() if s.type in KINDS]
    finally:
        if own_client:
            client.close()
    rows = [(server.pk, s.key[:32], (s.title or s.key)[:200], KINDS[s.type]) for s in sections]
    with transaction.atomic():
        PlexServer.objects.filter(pk=server.pk).update(
            version=(info.version or "")[:64], machine_identifier=info.machine_identifier[:100])
        upsert(PlexLibrary, ["server_id", "key", "title", "type"], rows,
               conflict=["server", "key"], update=["title", "type"])
    server.version = (info.version or "")[:64]
    server.machine_identifier = info.machine_identifier[:100]
    return list(PlexLibrary.objects.filter(server=server, key__in=[row[1] for row in rows]))
