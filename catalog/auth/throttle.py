"""Failed-login throttling shared by every login surface (admin, dashboard, API token).

Failures are counted per username and per client address in the cache (the database cache or
Redis, so every process sees them); past the limit, authentication is refused until the window
passes, even with the right password.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest


def _keys(request: HttpRequest | None, username: str | None) -> list[str]:
    keys = [f"login-fail:user:{(username or '').lower()}"]
    if request is not None:
        keys.append(f"login-fail:ip:{request.META.get('REMOTE_ADDR', '')}")
    return keys


def is_locked_out(request: HttpRequest | None, username: str | None) -> bool:
    limit = settings.LOGIN_FAILURE_LIMIT
    return any((cache.get(key) or 0) >= limit for key in _keys(request, username))


def record_failure(request: HttpRequest | None, username: str | None) -> None:
    window = settings.LOGIN_FAILURE_WINDOW
    for key in _keys(request, username):
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)


class ThrottledModelBackend(ModelBackend):
    """The model backend, refusing anyone over the failed-login limit."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None,
        password: str | None = None, **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get("username")
        if is_locked_out(request, username):
            raise PermissionDenied("too many failed logins")
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict, request: HttpRequest | None = None,
                   **kwargs: Any) -> None:
    record_failure(request, credentials.get("username"))


@receiver(user_logged_in)
def _clear_user_failures(sender: Any, request: HttpRequest | None, user: Any,
                         **kwargs: Any) -> None:
    cache.delete(f"login-fail:user:{user.get_username().lower()}")
