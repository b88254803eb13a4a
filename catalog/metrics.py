"""Prometheus metrics: upstream counters from integrations plus catalog gauges."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from catalog.roles import Role, has_role


def _authorized(request: HttpRequest) -> bool:
    if has_role(request.user, Role.VIEWER):
        return True
    try:
        result = TokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return False
    return result is not None and has_role(result[0], Role.VIEWER)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The process's counters in the Prometheus text format (viewer role, session or token)."""
    if not _authorized(request):
        return HttpResponse("authentication required\n", status=401, content_type="text/plain")
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
