"""Saving a Plex or Sonarr server: check that it answers and takes its key first.

The check is one or two quick requests (no retries). ``verify=False`` skips it, for a server
that is down right now but known to be right.
"""

from __future__ import annotations

from typing import Any

from integrations.checks import ServerCheckError, check_plex, check_sonarr

__all__ = ["ServerCheckError", "plex_server_check", "server_needs_check", "sonarr_server_check"]


def plex_server_check(*, url: str, token: str) -> dict[str, Any]:
    """The facts to store for a working Plex server; ServerCheckError otherwise."""
    info = check_plex(base_url=url, token=token)
    return {"machine_identifier": info.machine_identifier[:100],
            "version": (info.version or "")[:64]}


def sonarr_server_check(*, url: str, api_key: str) -> dict[str, Any]:
    """The facts to store for a working Sonarr server; ServerCheckError otherwise."""
    return {"version": check_sonarr(base_url=url, api_key=api_key).version[:64]}


def server_needs_check(instance: Any, changes: dict[str, Any], secret: str) -> bool:
    """A new server always; an existing one when its address or key changes."""
    if instance is None or instance.pk is None:
        return True
    return any(name in changes and changes[name] != getattr(instance, name)
               for name in ("url", secret))
