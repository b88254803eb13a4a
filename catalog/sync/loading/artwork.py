"""The artwork part: poster, fanart and logo files in ``ARTWORK_DIR/<show id>/``.

A file is named after its TMDB path, and downloaded only when the show's path for that kind
changes (or its file went missing); the file for an old path is removed once the new one is in
place. The TMDB image configuration is cached for a day.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

from catalog.models import Show
from catalog.sync.loading.parts import Clients, PartFailed, tmdb_of
from integrations.tmdb_images import (
    ImageConfig,
    image_configuration,
    is_image_path,
    parse_image_config,
    show_logo,
)

CONFIG_CACHE_KEY = "tmdb:image-configuration"
CONFIG_TTL = 24 * 3600
KINDS = ("poster", "fanart", "logo")
SIZES = {"poster": ("poster_sizes", "w780"), "fanart": ("backdrop_sizes", "w1280"),
         "logo": ("logo_sizes", "w500")}


@dataclass(frozen=True, slots=True)
class ArtworkPlan:
    """What the show's artwork should be after this load: kind -> TMDB path."""

    wanted: dict[str, str]
    logo_path: str


def _config(clients: Clients) -> ImageConfig:
    cached = cache.get(CONFIG_CACHE_KEY)
    if cached:
        with contextlib.suppress(ValueError):
            return parse_image_config(cached)
    config = image_configuration(tmdb_of(clients))
    cache.set(CONFIG_CACHE_KEY, config.as_dict(), CONFIG_TTL)
    return config


def show_dir(show_id: int) -> Path:
    return Path(settings.ARTWORK_DIR) / str(int(show_id))


def file_for(show_id: int, kind: str, tmdb_path: str) -> Path:
    """``<dir>/<kind>-<file name of the TMDB path>``; paths are checked to be plain names."""
    return show_dir(show_id) / f"{kind}-{tmdb_path.lstrip('/')}"


def _write(target: Path, content: bytes) -> None:
    """Atomically: a reader sees the old file or the whole new one, never half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def fetch_artwork(show: Show, clients: Clients) -> ArtworkPlan:
    """Download what changed; returns the plan the write step records."""
    show.refresh_from_db(fields=["tmdb_id", "poster_path", "backdrop_path"])
    if not show.tmdb_id:
        raise PartFailed("the show has no TMDB id yet (metadata)")
    client = tmdb_of(clients)
    logo = show_logo(client, show.tmdb_id) or ""
    paths = {"poster": show.poster_path, "fanart": show.backdrop_path, "logo": logo}
    wanted = {kind: path for kind, path in paths.items() if is_image_path(path)}
    # TMDB never reuses a file path for other content, so a file on disk for the path is current
    # (even one an interrupted load wrote before it could record it).
    stale = {kind: path for kind, path in wanted.items()
             if not file_for(show.pk, kind, path).is_file()}
    if stale:
        config = _config(clients)
        for kind, path in stale.items():
            sizes, size = SIZES[kind]
            content, _ = clients.images.download(config.url(path, getattr(config, sizes), size))
            _write(file_for(show.pk, kind, path), content)
    return ArtworkPlan(wanted=wanted, logo_path=logo)


def artwork_cleanup(show_id: int, old: dict[str, str], new: dict[str, str]) -> None:
    """Remove the files of paths the show no longer uses (after the new state committed)."""
    for kind, path in old.items():
        if new.get(kind) != path and is_image_path(path):
            with contextlib.suppress(OSError):
                file_for(show_id, kind, path).unlink()


def artwork_forget(sender: type, instance: Show, **_: object) -> None:
    """Signal receiver: a deleted show's artwork directory goes once the deletion commits
    (a rolled-back deletion keeps it)."""
    from django.db import transaction

    folder = show_dir(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


def artwork_file(show: Show, kind: str) -> tuple[Path, str] | None:
    """The file serving ``kind`` for this show and its content type, if one is on disk."""
    path = show.artwork.get(kind) if kind in KINDS else None
    if not is_image_path(path):
        return None
    target = file_for(show.pk, kind, path)
    if not target.is_file():
        return None
    return target, content_type(target)


_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"GIF8", "image/gif"), (b"RIFF", "image/webp"))


def content_type(target: Path) -> str:
    """The type the file's first bytes say (a host may serve a PNG under a ``.jpg`` path),
    else the one its name says."""
    try:
        with target.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        head = b""
    for magic, kind in _MAGIC:
        if head.startswith(magic) and (kind != "image/webp" or head[8:12] == b"WEBP"):
            return kind
    return mimetypes.guess_type(target.name)[0] or "application/octet-stream"
