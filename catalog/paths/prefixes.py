"""Path-mapping prefixes in one canonical spelling, so that one place is one mapping.

``/data/tv``, ``/data/tv/`` and ``/data//tv`` are the same place for the resolver; they are
stored as ``/data/tv``. Windows-style Plex paths (``D:\\TV\\``, ``\\\\nas\\tv``) keep their
separator and case as typed but compare case-insensitively, as Windows does. Nothing here
touches the database (models, migrations and the resolver all use it).
"""

from __future__ import annotations

import re
import unicodedata

_WINDOWS = re.compile(r"^(?:[A-Za-z]:(?:[\\/]|$)|\\\\|//)")

PrefixKey = tuple[bool, tuple[str, ...]]


def is_windows(path: str) -> bool:
    """A drive letter or a UNC share: Plex runs on Windows and so may its paths."""
    return _WINDOWS.match(path) is not None


def segments(path: str, windows: bool) -> tuple[str, ...]:
    """The path's segments after its root marker (``/``, ``//`` for UNC, or a drive
    segment); separators collapse, so trailing and doubled ones do not matter."""
    text = path.replace("\\", "/") if windows else path
    root = "//" if windows and text.startswith("//") else "/" if text.startswith("/") else ""
    parts = tuple(part for part in text.split("/") if part)
    return (root, *parts) if root else parts


def compare_key(parts: tuple[str, ...], windows: bool) -> tuple[str, ...]:
    """Windows paths compare case-insensitively, POSIX ones exactly; both in composed (NFC)
    form, since a Mac-hosted Plex reports decomposed names for folders typed composed."""
    parts = tuple(s if s.isascii() else unicodedata.normalize("NFC", s) for s in parts)
    return tuple(s.casefold() for s in parts) if windows else parts


def plex_prefix_key(prefix: str) -> PrefixKey:
    """What makes two Plex prefixes the same mapping."""
    text = prefix.strip()
    windows = is_windows(text)
    parts = segments(text if windows else text.replace("\\", "/"), windows)
    return windows, compare_key(parts, windows)


def normalize_plex_prefix(prefix: str) -> str:
    """The canonical spelling: no surrounding blanks, doubled or trailing separators."""
    text = prefix.strip()
    if not is_windows(text):
        return _posix(text)
    separator = "/" if "/" in text and "\\" not in text else "\\"
    parts = segments(text, True)
    if parts and parts[0] == "//":  # UNC: \\server\share\...
        return separator * 2 + separator.join(parts[1:])
    drive, rest = parts[0], parts[1:]
    return drive + separator + separator.join(rest)


def normalize_local_prefix(prefix: str) -> str:
    """A local (POSIX) prefix without doubled or trailing slashes; ``/`` stays ``/``."""
    return _posix(prefix.strip())


def _posix(text: str) -> str:
    if not text.startswith("/"):
        return text  # not absolute: left for the validator to refuse as typed
    return "/" + "/".join(part for part in text.split("/") if part)
