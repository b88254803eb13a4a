"""Plex guid strings -> external ids, for new (`tvdb://1`, `plex://show/...`) and legacy agents.

Pure functions: the sync links Plex shows and items to the catalog through these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from integrations.values import Authority, ExternalId

__all__ = ["is_legacy", "item_external_ids", "parse_guid", "show_external_ids"]

# New-agent Guid children and legacy agents, by scheme.
_SCHEMES: dict[str, Authority] = {
    "tvdb": Authority.TVDB,
    "tmdb": Authority.TMDB,
    "imdb": Authority.IMDB,
    "plex": Authority.PLEX,
    "com.plexapp.agents.thetvdb": Authority.TVDB,
    "com.plexapp.agents.tvdb": Authority.TVDB,
    "com.plexapp.agents.themoviedb": Authority.TMDB,
    "com.plexapp.agents.tmdb": Authority.TMDB,
    "com.plexapp.agents.imdb": Authority.IMDB,
}


def _decimal(value: str) -> bool:
    return value.isdecimal()  # what the regex ``\d+`` matched: Unicode decimal digits


def _imdb(value: str) -> bool:
    return value.startswith("tt") and value[2:].isdecimal()


def _plex(value: str) -> bool:
    """``[a-z]+/[0-9a-zA-Z]+``."""
    kind, slash, ident = value.partition("/")
    return (bool(slash) and kind.isascii() and kind.isalpha() and kind.islower()
            and ident.isascii() and ident.isalnum())


# String tests rather than regexes: a scan parses two or three guids per listed row.
_VALID: dict[Authority, Callable[[str], bool]] = {
    Authority.TVDB: _decimal,
    Authority.TMDB: _decimal,
    Authority.IMDB: _imdb,
    Authority.PLEX: _plex,
}
_new = object.__new__
_set = object.__setattr__


def _trusted(authority: Authority, value: str) -> ExternalId:
    """An ExternalId from parts already checked here (skipping its own normalisation)."""
    made = _new(ExternalId)
    _set(made, "authority", authority)
    _set(made, "value", value)
    return made


def parse_guid(text: str | None) -> ExternalId | None:
    """Parse one guid; None for agents without a usable id (hama, anidb, none, local, junk).

    For legacy episode/season guids (`...thetvdb://81189/1/2?lang=en`) the id is the SHOW's:
    the first path segment.
    """
    if not text:
        return None
    scheme, sep, rest = text.strip().partition("://")
    authority = _SCHEMES.get(scheme) or _SCHEMES.get(scheme.lower())
    if not sep or authority is None:
        return None
    rest = rest.split("?", 1)[0].split("#", 1)[0]
    value = rest.strip("/") if authority is Authority.PLEX else rest.split("/", 1)[0]
    if not _VALID[authority](value):
        return None
    return _trusted(authority, value)


def is_legacy(guid: str | None) -> bool:
    """Legacy agent guids start with `com.plexapp.agents.`."""
    return guid is not None and guid.startswith("com.plexapp.agents.")


def show_external_ids(guid: str | None, guid_children: Iterable[str]) -> tuple[ExternalId, ...]:
    """A show's ids: its own guid (legacy or plex://) and every Guid child, deduplicated."""
    return _dedupe([parse_guid(guid), *(parse_guid(child) for child in guid_children)])


def item_external_ids(
    guid: str | None, guid_children: Iterable[str], kind: str
) -> tuple[ExternalId, ...]:
    """An episode's or movie's own ids.

    A legacy EPISODE guid names its show (`thetvdb://81189/1/2`), so for episodes only
    plex:// guids and new-agent Guid children count; a legacy movie guid is the movie's own id.
    """
    episode_legacy = kind == "episode" and is_legacy(guid)  # never a plex:// id: skip it
    own = None if episode_legacy else parse_guid(guid)
    if own is not None and kind == "episode" and own.authority is not Authority.PLEX:
        own = None
    return _dedupe([own, *(parse_guid(child) for child in guid_children)])


def _dedupe(ids: list[ExternalId | None]) -> tuple[ExternalId, ...]:
    out: list[ExternalId] = []
    for one in ids:
        if one is not None and one not in out:
            out.append(one)
    return tuple(out)
