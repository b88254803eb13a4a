"""``/metrics``: for a viewer's session or API token, or for Prometheus' scrape token."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from catalog.auth.roles import Role, has_role
from catalog.metrics.collector import DatabaseCollector
from catalog.runs.counters import upstream_counters_flush_quietly


def _scrape_token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not given.strip():
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def _user(request: HttpRequest) -> object | None:
    """The session's user, else the API token's; None when neither authenticates."""
    if request.user.is_authenticated:
        return request.user
    try:
        result = TokenAuthentication().authenticate(request)
    except (AuthenticationFailed, DatabaseError):  # DatabaseError: e.g. a NUL in the token
        return None
    return result[0] if result else None


def _text(message: str, status: int) -> HttpResponse:
    response = HttpResponse(f"{message}\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Catalog, job and upstream metrics in the Prometheus text format."""
    if not _scrape_token_ok(request):
        user = _user(request)
        if user is None:
            return _text("authentication required", 401)
        if not has_role(user, Role.VIEWER):
            return _text("the viewer role is required", 403)
    upstream_counters_flush_quietly()  # this process's own calls count too
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    try:
        body = generate_latest(registry)
    except DatabaseError:
        return _text("the database is unavailable", 503)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
