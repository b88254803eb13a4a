"""Failed-login throttling shared by every login surface (login page, admin, API token).

Failures are counted per (user name, client address) and per client address, each in a
fixed window that starts at its first failure and ends ``LOGIN_FAILURE_WINDOW`` seconds later
whatever happens meanwhile. Past a limit, that pair (or that address) is refused until its
window ends; attempts made while refused are not checked and not counted, so retrying never
extends a lock-out. Nothing is counted per user name alone: a stranger failing from their
address never locks the owner out of the account from another one.

Counters live in the cache (Redis or the database cache), so every process sees them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest

from catalog.auth.addresses import client_address, parse_ip

_LOCKED_FLAG = "_mediasync_login_locked"


def _user_key(username: str | None) -> str:
    """Hashed, so any user name makes a short, safe cache key."""
    return hashlib.sha256((username or "").casefold().encode()).hexdigest()[:32]


def address_key(address: str) -> str:
    """An IPv6 client is counted by its /64: one host holds a whole /64 and could otherwise
    start afresh from each of its 2^64 addresses."""
    parsed = parse_ip(address)
    if parsed is not None and parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def _buckets(address: str, username: str | None) -> list[tuple[str, int]]:
    """(cache key, failure limit) of each counter an attempt belongs to."""
    address = address_key(address)
    return [
        (f"login-fail:pair:{_user_key(username)}:{address}", settings.LOGIN_FAILURE_LIMIT),
        (f"login-fail:addr:{address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ]


def _window_start(key: str, now: float, window: int, *, create: bool) -> float | None:
    """When ``key``'s current window began; a new one begins at ``now`` if asked."""
    start = cache.get(f"{key}:start")
    if start is not None and now < start + window:
        return start
    if not create:
        return None
    if start is not None:  # the cache kept it a little past its window
        cache.delete(f"{key}:start")
    cache.add(f"{key}:start", now, timeout=window)  # add: racing failures share one window
    return cache.get(f"{key}:start", now)


def _count_key(key: str, start: float) -> str:
    return f"{key}:{int(start * 1000)}"  # a new window never inherits an old count


def window_remaining(key: str, *, limit: int, window: int, now: float) -> float:
    """Seconds left of ``key``'s fixed window once ``limit`` failures were counted in it;
    0 while fewer were (or no window is open)."""
    start = _window_start(key, now, window, create=False)
    if start is not None and (cache.get(_count_key(key, start)) or 0) >= limit:
        return start + window - now
    return 0.0


def window_count(key: str, *, window: int, now: float) -> None:
    """Count one failure under ``key``; its window starts with the first."""
    counter = _count_key(key, _window_start(key, now, window, create=True))
    cache.add(counter, 0, timeout=window + 60)
    try:
        cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, timeout=window + 60)


def lockout_remaining(*, address: str, username: str | None) -> int:
    """Seconds until this (user, address) may try again; 0 when it may now."""
    now, window = time.time(), settings.LOGIN_FAILURE_WINDOW
    return math.ceil(max(window_remaining(key, limit=limit, window=window, now=now)
                         for key, limit in _buckets(address, username)))


def record_failure(*, address: str, username: str | None) -> None:
    """Count one wrong password in every bucket it belongs to (not while locked)."""
    if lockout_remaining(address=address, username=username):
        return
    now = time.time()
    for key, _ in _buckets(address, username):
        window_count(key, window=settings.LOGIN_FAILURE_WINDOW, now=now)


def clear_failures(*, address: str, username: str | None) -> None:
    """A successful login forgives its own pair (not the address: other names stay counted)."""
    key, _ = _buckets(address, username)[0]
    start = cache.get(f"{key}:start")
    cache.delete_many([f"{key}:start", *([_count_key(key, start)] if start else [])])


def request_lockout(request: Any, username: str | None) -> int:
    """``lockout_remaining`` for the client of ``request``."""
    return lockout_remaining(address=client_address(request), username=username)


def refused_for(request: Any) -> int:
    """Seconds left of the lock that made the backend refuse this request unchecked; 0 when
    it did not. The backend sees the name as the form or serializer cleaned it (trimmed,
    normalised), which a check made on the raw input may miss."""
    return int(getattr(request, _LOCKED_FLAG, 0))


def describe_wait(seconds: int) -> str:
    """"4 minutes", "1 minute", "30 seconds": how long a locked-out user waits."""
    if seconds >= 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


class ThrottledModelBackend(ModelBackend):
    """The model backend, refusing a locked (user, address) without checking the password."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        seconds = request_lockout(request, username) if request is not None else 0
        if seconds:
            setattr(request, _LOCKED_FLAG, seconds)
            raise PermissionDenied("too many failed logins")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict, request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    if request is None or getattr(request, _LOCKED_FLAG, False):
        return  # a refused attempt while locked is not another failure
    record_failure(address=client_address(request), username=credentials.get("username"))


@receiver(user_logged_in)
def _clear_pair(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None:
        clear_failures(address=client_address(request), username=user.get_username())
