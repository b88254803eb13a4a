"""The TMDB fake's artwork: ``/configuration``, ``/tv/{id}/images`` and the image host.

Images are served by the same loopback server under ``/t/p/{size}/{file}`` (the real ones come
from image.tmdb.org, which needs no key); each file is a small PNG (a poster is 120x180 in the
show's colour with its initials) whose bytes name its path, so a test can tell which file
landed on disk.
"""

from __future__ import annotations

import zlib
from typing import Any

from integrations.fakes.base import FakeRequest, FakeResponse, json_response

SIZES = {"poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
         "backdrop_sizes": ["w300", "w780", "w1280", "original"],
         "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"]}
_PNG_HEAD = b"\x89PNG\r\n\x1a\n"
# 5x7 glyphs, one row per character of five bits: what a poster's initials are drawn with.
_FONT = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", (
    "0e11111f111111", "1e11111e11111e", "0e11101010110e", "1e09090909091e", "1f10101e10101f",
    "1f10101e101010", "0f10101713110f", "1111111f111111", "0e04040404040e", "07020202021209",
    "11121418141211", "1010101010101f", "111b1515111111", "11111915131111", "0e11111111110e",
    "1e11111e101010", "0e11111115120d", "1e11111e141211", "0f10100e01011e", "1f040404040404",
    "1111111111110e", "11111111110a04", "11111115151b11", "11110a040a1111", "11110a04040404",
    "1f01020408101f", "0e13151919110e", "040c040404040e", "0e11010204081f", "1f02040201110e",
    "02060a121f0202", "1f101e0101110e", "06081e1111110e", "1f010204080808", "0e11110e11110e",
    "0e11110f01020c"), strict=True))
_PALETTE = ((0x2e, 0x4a, 0x7d), (0x7d, 0x2e, 0x3a), (0x2e, 0x6b, 0x4f), (0x6b, 0x4a, 0x2e),
            (0x4f, 0x2e, 0x6b), (0x2e, 0x5e, 0x6b), (0x8a, 0x5a, 0x1e), (0x3a, 0x3a, 0x4a))
# Pixel sizes by the first letter of a file name: posters are 2:3, backdrops 16:9.
_SHAPES = {"p": (120, 180), "b": (192, 108), "l": (160, 64)}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def initials(title: str) -> str:
    """Up to two letters or digits the font has: "Silent Harbor" -> "SH"."""
    words = [w for w in title.upper().replace("'S ", " ").split() if w[:1] in _FONT]
    return "".join(w[0] for w in words[:2])


def png(label: str, title: str = "", shape: tuple[int, int] = (1, 1)) -> bytes:
    """A valid PNG carrying ``label`` in a text chunk: 1x1 by default, else ``shape``
    pixels of a colour picked by ``title`` with the title's initials in white."""
    width, height = shape
    colour = bytes(_PALETTE[zlib.crc32(title.encode()) % len(_PALETTE)]) if title else b"\0\0\0"
    canvas = [bytearray(colour * width) for _ in range(height)]
    text = initials(title)
    if text and width > 1:
        scale = max(1, min(width // (6 * len(text) + 1), height // 10))
        left, top = (width - (6 * len(text) - 1) * scale) // 2, (height - 7 * scale) // 2
        for n, char in enumerate(text):
            rows = bytes.fromhex(_FONT[char])
            for y in range(7 * scale):
                for x in range(5 * scale):
                    if rows[y // scale] >> (4 - x // scale) & 1:
                        at = 3 * (left + (6 * n) * scale + x)
                        canvas[top + y][at:at + 3] = b"\xf4\xf1\xea"
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    pixels = zlib.compress(b"".join(b"\0" + bytes(row) for row in canvas))
    return (_PNG_HEAD + _chunk(b"IHDR", header) + _chunk(b"tEXt", b"path\0" + label.encode())
            + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b""))


class TmdbImagesMixin:
    """Artwork routes and mutations for :class:`TmdbFake` (which supplies ``url``)."""

    url: str
    _data: Any  # the fake's lock and records (TmdbFake)
    _shows: dict[int, Any]

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
        return FakeResponse(200, self.image_bytes(parts[2], parts[3]),
                            {"Content-Type": "image/png"})

    def image_bytes(self, size: str, file: str) -> bytes:
        """What the image host serves for ``/t/p/{size}/{file}``: the show's own picture
        when the file is one of its default paths (``p``/``b``/``l`` + its TMDB id)."""
        stem = file.rsplit(".", 1)[0]
        title = ""
        if stem[1:].isdigit():
            with self._data:
                rec = self._shows.get(int(stem[1:]))
            title = rec.name if rec is not None else ""
        return png(f"/{size}/{file}", title, _SHAPES.get(file[:1], _SHAPES["p"]))

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
