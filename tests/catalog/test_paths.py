"""resolve_local_path: prefix boundaries, overlapping prefixes, Windows paths, separators."""

from __future__ import annotations

import unicodedata

import pytest

from catalog.models import PathMapping
from catalog.paths.resolve import PathResolver, resolve_local_path
from tests.factories import PlexServerFactory


def resolver(*pairs: tuple[str, str]) -> PathResolver:
    return PathResolver([PathMapping(plex_prefix=p, local_prefix=loc) for p, loc in pairs])


def test_it_maps_a_path_under_the_prefix():
    assert resolver(("/data/tv", "/mnt/tv")).resolve("/data/tv/Show/S01/e1.mkv") == \
        "/mnt/tv/Show/S01/e1.mkv"


def test_it_matches_on_path_boundaries_only():
    paths = resolver(("/data/tv", "/mnt/tv"))
    assert paths.resolve("/data/tvshows/x.mkv") is None
    assert paths.resolve("/data/tv") == "/mnt/tv"
    assert paths.resolve("/data/t") is None


def test_it_ignores_trailing_separators_in_the_mapping():
    assert resolver(("/data/tv/", "/mnt/tv/")).resolve("/data/tv/x.mkv") == "/mnt/tv/x.mkv"


def test_it_prefers_the_longest_overlapping_prefix():
    paths = resolver(("/data", "/mnt/all"), ("/data/tv/anime", "/anime"), ("/data/tv", "/tv"))
    assert paths.resolve("/data/tv/anime/a.mkv") == "/anime/a.mkv"
    assert paths.resolve("/data/tv/b.mkv") == "/tv/b.mkv"
    assert paths.resolve("/data/movies/c.mkv") == "/mnt/all/movies/c.mkv"
    assert paths.resolve("/data/tv/animated/d.mkv") == "/tv/animated/d.mkv"


@pytest.mark.parametrize("prefix", ["D:\\TV", "D:/TV", "d:\\tv\\", "D:\\TV/"])
def test_it_maps_windows_paths_with_either_separator_in_the_mapping(prefix):
    paths = resolver((prefix, "/mnt/tv"))
    assert paths.resolve("D:\\TV\\Show (2001)\\Season 01\\e.mkv") == \
        "/mnt/tv/Show (2001)/Season 01/e.mkv"
    assert paths.resolve("D:\\TVshows\\e.mkv") is None
    assert paths.resolve("E:\\TV\\e.mkv") is None


def test_it_maps_windows_paths_to_a_windows_local_prefix():
    paths = resolver(("\\\\nas\\media", "M:\\media"))
    assert paths.resolve("\\\\nas\\media\\tv\\e.mkv") == "M:\\media\\tv\\e.mkv"
    assert paths.resolve("//nas/media/tv/e.mkv") == "M:\\media\\tv\\e.mkv"


def test_it_reads_a_posix_mapping_typed_with_backslashes():
    assert resolver(("\\data\\tv", "/mnt/tv")).resolve("/data/tv/x.mkv") == "/mnt/tv/x.mkv"


def test_it_keeps_posix_paths_case_sensitive():
    assert resolver(("/data/TV", "/mnt/tv")).resolve("/data/tv/x.mkv") is None


def test_it_maps_the_root():
    assert resolver(("/", "/srv")).resolve("/data/x.mkv") == "/srv/data/x.mkv"


def test_it_answers_none_when_nothing_resolves():
    assert resolver(("/data/tv", "/mnt/tv")).resolve("/elsewhere/x.mkv") is None
    assert resolver(("/data/tv", "/mnt/tv")).resolve(None) is None
    assert resolver().resolve("/data/tv/x.mkv") is None


@pytest.mark.django_db
def test_it_resolves_with_the_servers_own_mappings_only():
    server, other = PlexServerFactory(), PlexServerFactory()
    PathMapping.objects.create(server=server, plex_prefix="/data/tv", local_prefix="/mnt/tv")
    PathMapping.objects.create(server=other, plex_prefix="/data", local_prefix="/other")
    assert resolve_local_path(server, "/data/tv/x.mkv") == "/mnt/tv/x.mkv"
    assert resolve_local_path(server.pk, "/data/movies/x.mkv") is None
    assert resolve_local_path(other, "/data/tv/x.mkv") == "/other/tv/x.mkv"


def test_it_matches_a_decomposed_path_from_a_mac_hosted_plex():
    """macOS hands Plex NFD names ("e" + combining accent); a prefix typed in a browser is
    NFC. Both spell one folder: the item is reachable, not remote_only."""
    composed = unicodedata.normalize("NFC", "/Volumes/Séries")
    decomposed = unicodedata.normalize("NFD", "/Volumes/Séries/Amélie/e.mkv")
    assert resolver((composed, "/mnt/series")).resolve(decomposed) == \
        "/mnt/series/" + unicodedata.normalize("NFD", "Amélie/e.mkv")
    nfd_prefix = resolver((unicodedata.normalize("NFD", "D:\\Séries"), "/mnt/s"))
    assert nfd_prefix.resolve(unicodedata.normalize("NFC", "d:\\SÉRIES\\x.mkv")) == "/mnt/s/x.mkv"
