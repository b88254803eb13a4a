"""Liveness and readiness: what a load balancer and an orchestrator ask."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.metrics.listener import listener_state


class CheckFailed(Exception):
    """A readiness check failed; the message says why, without secrets."""


def check_database() -> None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        raise CheckFailed(f"database unreachable ({type(exc).__name__})") from None


def check_migrations() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise CheckFailed(f"{len(plan)} migration(s) not applied")


def check_broker() -> None:
    from django_q.brokers import get_broker

    try:
        ok = get_broker().ping()
    except Exception as exc:
        raise CheckFailed(f"broker unreachable ({type(exc).__name__})") from None
    if not ok:
        raise CheckFailed("broker did not answer")


def check_cluster() -> None:
    from django_q.status import Stat

    try:
        clusters = Stat.get_all()
    except Exception as exc:
        raise CheckFailed(f"cannot read cluster status ({type(exc).__name__})") from None
    if not clusters:
        raise CheckFailed("no qcluster is running")


def cluster_alive() -> bool:
    """Is any job cluster reporting? (A queued run waits for one.)"""
    try:
        check_cluster()
    except CheckFailed:
        return False
    return True


def cluster_ready() -> bool:
    """Will a task queued now be run? At once in django-q2's sync mode (tests), else only by
    a cluster that reports."""
    return bool(settings.Q_CLUSTER.get("sync")) or cluster_alive()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "cluster": check_cluster,
}


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. No auth, no database."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: every check in order; the first failure answers 503 and names itself."""
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        try:
            check()
        except CheckFailed as exc:
            results[name] = str(exc)
            return JsonResponse(
                {"status": "unavailable", "failed": name, "reason": str(exc), "checks": results,
                 "sonarr": sonarr_state() if name not in ("database", "migrations") else {},
                 "plex_listener": (listener_state() if name not in ("database", "migrations")
                                   else {})},
                status=503,
            )
        results[name] = "ok"
    return JsonResponse({"status": "ok", "checks": results, "sonarr": sonarr_state(),
                         "plex_listener": listener_state()})


def sonarr_state() -> dict[str, dict[str, str]]:
    """Rules and servers that need an operator: reported, never a reason to be unready
    (a misconfigured rule must not get the whole service restarted)."""
    from catalog.models import DiscoveryRule, SonarrServer

    rules = {name: f"{state}: {message}".rstrip(": ")
             for name, state, message in DiscoveryRule.objects.filter(enabled=True).exclude(
                 validation=DiscoveryRule.Validation.OK).values_list(
                 "name", "validation", "validation_message")}
    servers = {name: f"{state}: {message}".rstrip(": ")
               for name, state, message in SonarrServer.objects.filter(enabled=True).exclude(
                   state__in=[SonarrServer.State.OK, SonarrServer.State.UNKNOWN]).values_list(
                   "name", "state", "state_message")}
    return {"rules": rules, "servers": servers}
