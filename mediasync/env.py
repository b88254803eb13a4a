"""Typed readers for environment settings that fail loudly with the variable's name.

Every secret also has a ``NAME_FILE`` variant (the Docker-secrets pattern): when it is
set, the file's content (stripped) is the value.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit


class SettingsError(Exception):
    """A bad environment value; the message names the variable and stops start-up."""


def _raw(name: str, env: Mapping[str, str]) -> str | None:
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            with open(file_name, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise SettingsError(f"{name}_FILE: {_unreadable(file_name, exc)}") from None
    value = env.get(name)
    return value if value not in (None, "") else None


def _unreadable(path: str, exc: OSError) -> str:
    """Why a secret file cannot be read, with the fix (bin/mediasync checks the same at start)."""
    if isinstance(exc, PermissionError):
        uid = os.getuid()
        return (f"cannot read {path!r} as uid {uid}: run `sudo chown {uid} {path}` or "
                f"`chmod 644 {path}`")
    if isinstance(exc, IsADirectoryError):
        return f"{path!r} is a directory, not a file: write the secret into a file there"
    return f"cannot read {path!r} ({exc.strerror})"


def envstr(
    name: str, default: str | None = None, env: Mapping[str, str] = os.environ
) -> str | None:
    value = _raw(name, env)
    return default if value is None else value


def envbool(name: str, default: bool, env: Mapping[str, str] = os.environ) -> bool:
    value = _raw(name, env)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}: expected a boolean (true/false), got {value!r}")


def envint(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    env: Mapping[str, str] = os.environ,
) -> int:
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name}: expected an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {number}")
    return number


def envfloat(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    env: Mapping[str, str] = os.environ,
) -> float:
    value = _raw(name, env)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise SettingsError(f"{name}: must be at least {minimum}, got {number}")
    return number


def envurl(
    name: str,
    default: str | None,
    *,
    schemes: tuple[str, ...],
    env: Mapping[str, str] = os.environ,
) -> str | None:
    """A URL whose scheme is one of ``schemes`` and which names a host (or a path for sqlite)."""
    value = _raw(name, env)
    if value is None:
        return default
    try:
        parts = urlsplit(value)
    except ValueError:
        raise SettingsError(f"{name}: not a valid URL: {_redact(value)!r}") from None
    if parts.scheme not in schemes:
        allowed = ", ".join(schemes)
        raise SettingsError(f"{name}: scheme must be one of {allowed}, got {_redact(value)!r}")
    if parts.scheme != "sqlite" and not parts.hostname:
        raise SettingsError(f"{name}: URL has no host: {_redact(value)!r}")
    return value


def envlist(name: str, default: list[str], env: Mapping[str, str] = os.environ) -> list[str]:
    value = _raw(name, env)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envnetworks(name: str, env: Mapping[str, str] = os.environ) -> list[str]:
    """Comma-separated IP addresses or networks (``10.0.0.5, 172.16.0.0/12, ::1``)."""
    entries = envlist(name, [], env)
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"{name}: expected IP addresses or networks, got {entry!r}") from None
    return entries


def envchoice(
    name: str, default: str, choices: tuple[str, ...], env: Mapping[str, str] = os.environ
) -> str:
    value = _raw(name, env)
    if value is None:
        return default
    if value.lower() not in choices:
        raise SettingsError(f"{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value.lower()


def _redact(url: str) -> str:
    """Drop any password from a URL before it is shown in an error."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
