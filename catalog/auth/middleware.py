"""Request hygiene that must run before anything reads the host or the scheme."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port

from catalog.auth.addresses import is_loopback_client, peer_is_trusted_proxy

_FORWARDED = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
              "HTTP_X_FORWARDED_PORT")


class ProxyHeadersMiddleware:
    """Forwarding headers count only from ``TRUSTED_PROXIES``; loopback host names only from
    loopback clients; session and CSRF cookies are ``Secure`` on every TLS request.

    Django's ``SECURE_PROXY_SSL_HEADER`` believes ``X-Forwarded-Proto`` from anyone, so the
    header is dropped here unless the peer is a trusted proxy. ``localhost``, ``127.0.0.1``
    and ``[::1]`` are always served (the container's health check uses them), but only to a
    client that really is on this machine: anyone else naming them gets a 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted_proxy(request):
            for name in _FORWARDED:
                request.META.pop(name, None)
        self._check_loopback_host(request)
        response = self.get_response(request)
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response

    @staticmethod
    def _check_loopback_host(request: HttpRequest) -> None:
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        domain, _ = split_domain_port(host)
        if domain and domain.lower() in settings.LOOPBACK_ONLY_HOSTS \
                and not is_loopback_client(request):
            raise DisallowedHost(f"Invalid HTTP_HOST header: {host!r} is for local clients only.")
