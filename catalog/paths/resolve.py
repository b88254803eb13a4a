"""Plex-side file paths -> where mediasync sees the same files, through a server's mappings.

Nothing is stored: local paths are resolved on demand, so editing a mapping takes effect at
once. Matching is on path boundaries (``/data/tv`` maps ``/data/tv/x.mkv``, never
``/data/tvshows/x.mkv``), longest prefix first, and understands Windows-style Plex paths
(``D:\\TV\\...``, matched case-insensitively) and either separator in a mapping's prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from catalog.models import PathMapping, PlexServer
from catalog.paths.prefixes import compare_key as _key
from catalog.paths.prefixes import is_windows as _is_windows
from catalog.paths.prefixes import segments as _segments


@dataclass(frozen=True, slots=True)
class _Rule:
    key: tuple[str, ...]  # the plex prefix's comparable segments
    windows: bool         # a Windows-style prefix only ever matches Windows-style paths
    local: str            # local prefix without a trailing separator ("/" stays "/")
    separator: str        # the local side's separator


def _rule(mapping: PathMapping) -> _Rule:
    plex = mapping.plex_prefix.strip()
    windows = _is_windows(plex)
    # A mapping typed with backslashes for a POSIX server ("\\data\\tv") still means /data/tv.
    segments = _segments(plex if windows else plex.replace("\\", "/"), windows)
    local = mapping.local_prefix.strip()
    separator = "\\" if "\\" in local and "/" not in local else "/"
    trimmed = local.rstrip("/\\")
    return _Rule(_key(segments, windows), windows, trimmed or local[:1], separator)


class PathResolver:
    """One server's mappings, longest prefix first: load once per run, resolve many paths."""

    def __init__(self, mappings: Iterable[PathMapping]) -> None:
        rules = [_rule(m) for m in mappings if m.plex_prefix.strip() and m.local_prefix.strip()]
        self._rules = sorted(rules, key=lambda r: len(r.key), reverse=True)

    @classmethod
    def for_server(cls, server: PlexServer | int) -> PathResolver:
        """Load the server's mappings (uses a ``prefetch_related`` cache when present)."""
        if isinstance(server, PlexServer):
            return cls(server.path_mappings.all())
        return cls(PathMapping.objects.filter(server_id=server))

    def resolve(self, plex_path: str | None) -> str | None:
        """The local path of ``plex_path``, or None when no mapping covers it."""
        if not plex_path or not self._rules:
            return None
        windows = _is_windows(plex_path)
        segments = _segments(plex_path, windows)
        key = _key(segments, windows)
        for rule in self._rules:
            if rule.windows == windows and key[: len(rule.key)] == rule.key:
                rest = segments[len(rule.key):]
                if not rest:
                    return rule.local
                head = rule.local if rule.local.endswith(rule.separator) else \
                    rule.local + rule.separator
                return head + rule.separator.join(rest)
        return None


def resolve_local_path(server: PlexServer | int, plex_path: str | None, *,
                       resolver: PathResolver | None = None) -> str | None:
    """Where mediasync finds ``plex_path`` of ``server``; None when no mapping resolves it.

    Pass ``resolver`` (a ``PathResolver.for_server(server)``) to resolve many paths of one run
    with a single query.
    """
    return (resolver or PathResolver.for_server(server)).resolve(plex_path)
