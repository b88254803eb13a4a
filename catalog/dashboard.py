"""The small dashboard: what the catalog holds and what the jobs are doing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.health import cluster_alive
from catalog.models import Decision, MediaItem, PlexLibrary, Show, SyncRun
from catalog.roles import Role, has_role, user_role


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, per-library state, and the latest runs with their progress."""
    if not has_role(request.user, Role.VIEWER):
        raise PermissionDenied("Your account has no role yet; ask an admin.")
    states = dict(MediaItem.objects.values_list("state").annotate(n=Count("id")))
    decisions = dict(Decision.objects.values_list("status").annotate(n=Count("id")))
    runs = list(SyncRun.objects.order_by("-id")[:15])
    context = {
        "role": user_role(request.user).name.lower(),
        "show_count": Show.objects.count(),
        "placeholder_count": Show.objects.filter(tmdb_status=Show.TmdbStatus.UNKNOWN).count(),
        "item_states": [(label, states.get(value, 0)) for value, label in MediaItem.State.choices],
        "decisions": [(label, decisions.get(value, 0)) for value, label in Decision.Status.choices],
        "libraries": PlexLibrary.objects.select_related("server").order_by("server__name", "title"),
        "runs": runs,
        "cluster_down": any(run.status in SyncRun.ACTIVE for run in runs) and not cluster_alive(),
        "can_operate": has_role(request.user, Role.OPERATOR),
    }
    return render(request, "dashboard.html", context)
