"""The TMDB fake's artwork: ``/configuration``, ``/tv/{id}/images`` and the image host.

Images are served by the same loopback server under ``/t/p/{size}/{file}`` (the real ones come
from image.tmdb.org, which needs no key); each file is a tiny PNG whose bytes name its path, so
a test can tell which file landed on disk.
"""

from __future__ import annotations

import zlib
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, json_response

SIZES = {"poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
         "backdrop_sizes": ["w300", "w780", "w1280", "original"],
         "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"]}
_PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def png(label: str) -> bytes:
    """A valid 1x1 PNG carrying ``label`` in a text chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    header = (1).to_bytes(4, "big") * 2 + b"\x08\x06\x00\x00\x00"
    pixels = zlib.compress(b"\x00\x00\x00\x00\x00")
    return (_PNG_HEAD + chunk(b"IHDR", header) + chunk(b"tEXt", b"path\x00" + label.encode())
            + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))


class TmdbImagesMixin:
    """Artwork routes and mutations for :class:`TmdbFake` (which supplies ``url``)."""

    url: str

    def _art_init(self) -> None:
        self._art: dict[int, dict[str, str | None]] = {}
        self._image_host: str | None = None

    def set_image_host(self, url: str | None) -> None:
        """Point ``/configuration`` at another server for the files (like image.tmdb.org,
        which the API's rate limit does not cover); None: this server."""
        self._image_host = url

    def artwork(self, tmdb_id: int) -> dict[str, str | None]:
        """The poster, backdrop and logo paths the fake serves for a show."""
        art = {"poster_path": f"/p{tmdb_id}.jpg", "backdrop_path": f"/b{tmdb_id}.jpg",
               "logo_path": f"/l{tmdb_id}.png"}
        return {**art, **self._art.get(tmdb_id, {})}

    def set_artwork(self, tmdb_id: int, **paths: str | None) -> None:
        """Change (or with None remove) ``poster_path``, ``backdrop_path`` or ``logo_path``."""
        unknown = set(paths) - {"poster_path", "backdrop_path", "logo_path"}
        if unknown:
            raise ValueError(f"unknown artwork {sorted(unknown)}")
        self._art.setdefault(tmdb_id, {}).update(paths)

    def art_fields(self, tmdb_id: int) -> dict[str, Any]:
        """What ``/tv/{id}`` carries about artwork."""
        art = self.artwork(tmdb_id)
        return {"poster_path": art["poster_path"], "backdrop_path": art["backdrop_path"]}

    def image_route(self, request: FakeRequest) -> FakeResponse | None:
        """The image host (no auth); None when the path is not an image."""
        parts = request.path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["t", "p"]:
            return None
        return FakeResponse(200, png(f"/{parts[2]}/{parts[3]}"), {"Content-Type": "image/png"})

    def configuration(self) -> FakeResponse:
        host = self._image_host or self.url
        return json_response({"images": {
            "base_url": f"{host}/t/p/".replace("https", "http"),
            "secure_base_url": f"{host}/t/p/", **SIZES,
            "profile_sizes": ["w45", "original"], "still_sizes": ["w92", "original"]},
            "change_keys": ["air_date", "images", "name", "overview"]})

    def images(self, tmdb_id: int) -> FakeResponse:
        logo = self.artwork(tmdb_id)["logo_path"]
        logos = [{"aspect_ratio": 2.5, "height": 200, "iso_639_1": "en", "file_path": logo,
                  "vote_average": 5.3, "vote_count": 2, "width": 500}] if logo else []
        return json_response({"id": tmdb_id, "backdrops": [], "posters": [], "logos": logos})
