"""Helpers for the Plex sync tests: fakes, catalog rows pointing at them, a scan runner, and
what the catalog must hold for a fake record, computed from the fake's own data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import blake2b

from catalog.models import MediaItem, PathMapping, PlexLibrary, PlexServer, SyncRun
from catalog.runs import run_claim
from catalog.runs.execute import job_execute
from catalog.sync.plex import plex_library_sync
from integrations.fakes.plex import BASE_NOW, PlexFake
from integrations.fakes.plex.model import Leaf
from integrations.plex import PlexClient
from tests.catalog.sync.conftest import fast_http

TOKEN = "fake-token"
LISTING = "GET /library/sections/{key}/all type="
LEAVES = "GET /library/metadata/{rk}/allLeaves"
# The fake's generated stamps all precede BASE_NOW; scans run on its clock, after them.
T0 = datetime.fromtimestamp(BASE_NOW + 600, tz=UTC)


def at(offset: timedelta) -> datetime:
    """A moment ``offset`` after the first scan."""
    return T0 + offset


def client_for(fake: PlexFake, *, max_retries: int = 1) -> PlexClient:
    http = fast_http("plex", fake.url, max_retries=max_retries,
                     headers={"X-Plex-Token": fake.token})
    return PlexClient(http, fake.token)


def server_for(fake: PlexFake, name: str, mappings: Iterable[tuple[str, str]] = ()
               ) -> PlexServer:
    server = PlexServer.objects.create(name=name, url=fake.url, token=fake.token)
    PathMapping.objects.bulk_create(
        PathMapping(server=server, plex_prefix=p, local_prefix=loc) for p, loc in mappings)
    return server


def library_for(server: PlexServer, key: str, kind: str = "show", **extra: object
                ) -> PlexLibrary:
    return PlexLibrary.objects.create(server=server, key=key, title=f"lib {key}", type=kind,
                                      **extra)


@dataclass
class Scanned:
    run: SyncRun
    summary: dict

    @property
    def events(self) -> list[str]:
        return [e.get("event", "") for e in self.run.events]


def scan(library: PlexLibrary, fake: PlexFake, now: datetime, *, deep: bool = False,
         client: PlexClient | None = None) -> Scanned:
    """One scan as a task runs it: claim the library's scope, execute, finish."""
    run = run_claim(kind=SyncRun.Kind.PLEX, scope=f"library:{library.pk}",
                    options={"library_id": library.pk, "deep": deep})
    client = client or client_for(fake)
    done = job_execute(run, lambda r: plex_library_sync(
        r, library_id=library.pk, deep=deep, client=client, now=now), upstream="plex")
    library.refresh_from_db()
    return Scanned(done, done.summary)


def expected_digest(leaf: Leaf) -> str:
    """The issue's item digest, straight from the fake's record (no client, no parser)."""
    parts = [p for m in leaf.media for p in m.parts]
    sizes = [p.size for p in parts]
    signature = "|".join(f"{m.video_codec}/{m.audio_codec}/{m.audio_channels}"
                         for m in leaf.media)
    guid = leaf.guid or (leaf.guids[0].replace("://", ":") if leaf.guids else "")
    fields = (str(leaf.rk), str(leaf.updated_at), str(leaf.duration),
              str(sum(sizes)) if sizes else "", str(len(parts)), signature, guid)
    return blake2b("|".join(fields).encode(), digest_size=20).hexdigest()


def expected_state(leaf: Leaf, mapped_prefix: str | None) -> str:
    """UNAVAILABLE without a playable part, ACTIVE when the mapping covers its file."""
    parts = [p for m in leaf.media for p in m.parts]
    if not any(p.size != 0 and p.accessible for p in parts):
        return MediaItem.State.UNAVAILABLE
    first = parts[0].file
    if mapped_prefix is not None and first.startswith(mapped_prefix):
        return MediaItem.State.ACTIVE
    return MediaItem.State.REMOTE_ONLY


ITEM_FIELDS = ("id", "plex_show__rating_key", "title", "digest", "updated_at_plex", "duration",
               "file_size", "part_count", "streams_signature", "file_path", "state",
               "first_seen_at", "last_scan_at", "missing_since", "error_count")


def item_rows(library: PlexLibrary) -> dict[str, tuple]:
    """Every stored column a scan could write, by ratingKey (for "nothing changed" checks)."""
    return {row[0]: row[1:] for row in
            MediaItem.objects.filter(library=library).values_list("rating_key", *ITEM_FIELDS)}
