"""TMDB artwork: the image configuration, a show's logos, and image downloads.

Image URLs are ``{secure_base_url}{size}{file_path}`` with the base and sizes from
``GET /configuration`` (API_NOTES: cache it). Files come from TMDB's image host, which takes no
credentials, so downloads go through a policy client of their own that never carries the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from integrations import metrics
from integrations.errors import InvalidError
from integrations.http import HttpClient, HttpConfig
from integrations.tmdb import TmdbClient, tmdb_error_message

__all__ = ["ImageConfig", "ImageDownloader", "image_configuration", "parse_image_config",
           "show_logo"]

UPSTREAM = "tmdb"
MAX_IMAGE_BYTES = 20 * 1024 * 1024
_PATH = re.compile(r"^/[A-Za-z0-9._-]{1,150}$")


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """Where images live and which sizes each kind comes in."""

    base_url: str
    poster_sizes: tuple[str, ...]
    backdrop_sizes: tuple[str, ...]
    logo_sizes: tuple[str, ...]

    def url(self, path: str, sizes: tuple[str, ...], wanted: str) -> str:
        """The image at ``wanted`` size when offered, else ``original``."""
        size = wanted if wanted in sizes else "original"
        return f"{self.base_url.rstrip('/')}/{size}{path}"

    def as_dict(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "poster_sizes": list(self.poster_sizes),
                "backdrop_sizes": list(self.backdrop_sizes), "logo_sizes": list(self.logo_sizes)}


def _sizes(images: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = images.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"images.{key} is not a list of sizes")
    return tuple(value)


def parse_image_config(body: Any) -> ImageConfig:
    """``/configuration`` (or a cached ``as_dict``) -> ImageConfig; ValueError if malformed."""
    images = body.get("images", body) if isinstance(body, Mapping) else None
    if not isinstance(images, Mapping):
        raise ValueError("configuration has no images object")
    base = images.get("secure_base_url") or images.get("base_url")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise ValueError("images.secure_base_url is missing or not a URL")
    return ImageConfig(base_url=base, poster_sizes=_sizes(images, "poster_sizes"),
                       backdrop_sizes=_sizes(images, "backdrop_sizes"),
                       logo_sizes=_sizes(images, "logo_sizes"))


def _invalid(client: TmdbClient, path: str, message: str) -> InvalidError:
    metrics.record(UPSTREAM, "errors", kind=InvalidError.kind.value)
    return InvalidError(message, upstream=UPSTREAM, method="GET",
                        url=client.http.scrubber.url(client.http.url(path)))


def image_configuration(client: TmdbClient) -> ImageConfig:
    """``GET /configuration`` (one request; callers cache the answer)."""
    body = client.http.get_json("/configuration", params={}, error_message=tmdb_error_message)
    try:
        return parse_image_config(body)
    except ValueError as exc:
        raise _invalid(client, "/configuration", f"malformed configuration: {exc}") from None


def is_image_path(value: Any) -> bool:
    """A TMDB file path such as ``/abc.jpg``: nothing that could climb out of a directory."""
    return isinstance(value, str) and bool(_PATH.match(value))


def show_logo(client: TmdbClient, tmdb_id: int) -> str | None:
    """The best-voted logo of a show (English or language-less), or None if it has none."""
    path = f"/tv/{int(tmdb_id)}/images"
    body = client.http.get_json(path, params={"include_image_language": "en,null"},
                                error_message=tmdb_error_message)
    logos = body.get("logos") if isinstance(body, Mapping) else None
    if not isinstance(logos, list):
        raise _invalid(client, path, "images answer has no logos array")
    usable = [lg for lg in logos if isinstance(lg, Mapping) and is_image_path(lg.get("file_path"))]
    if not usable:
        return None
    best = max(usable, key=lambda lg: (lg.get("iso_639_1") == "en",
                                       float(lg.get("vote_average") or 0)))
    return str(best["file_path"])


class ImageDownloader:
    """Downloads image files under the shared policy, without TMDB credentials."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def build(cls, *, connect_timeout: float = 5, read_timeout: float = 30,
              max_retries: int = 4, backoff_factor: float = 0.5,
              session: requests.Session | None = None) -> ImageDownloader:
        config = HttpConfig(upstream=UPSTREAM, base_url="https://image.tmdb.org/t/p",
                            connect_timeout=connect_timeout, read_timeout=read_timeout,
                            max_retries=max_retries, backoff_factor=backoff_factor)
        return cls(HttpClient(config, session=session))

    def download(self, url: str) -> tuple[bytes, str]:
        """The file's bytes and content type; a non-image or oversized answer is invalid."""
        response = self.http.request("GET", url)
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if not kind.startswith("image/"):
            raise self._invalid(url, f"not an image ({kind or 'no content type'})")
        if len(response.content) > MAX_IMAGE_BYTES:
            raise self._invalid(url, f"image larger than {MAX_IMAGE_BYTES} bytes")
        return response.content, kind

    def _invalid(self, url: str, message: str) -> InvalidError:
        metrics.record(UPSTREAM, "errors", kind=InvalidError.kind.value)
        return InvalidError(message, upstream=UPSTREAM, method="GET",
                            url=self.http.scrubber.url(url))
