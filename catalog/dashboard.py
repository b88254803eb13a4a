"""The small dashboard: what the catalog holds and what the jobs are doing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.health import cluster_alive
from catalog.library import library_shows, placeholders
from catalog.models import Decision, MediaItem, PlexLibrary, Show, SyncRun
from catalog.roles import Role, has_role, user_role


def no_role(request: HttpRequest) -> HttpResponse:
    """What a signed-in account without a role sees everywhere: why, and a way out."""
    return render(request, "no_role.html", status=403)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Counts, per-library state, and the latest runs with their progress."""
    if not has_role(request.user, Role.VIEWER):
        return no_role(request)
    states = dict(MediaItem.objects.values_list("state").annotate(n=Count("id")))
    decisions = dict(Decision.objects.values_list("status").annotate(n=Count("id")))
    runs = list(SyncRun.objects.order_by("-id")[:15])
    context = {
        "role": user_role(request.user).name.lower(),
        "show_count": Show.objects.count(),
        "library_count": library_shows().count(),
        "placeholder_count": placeholders().count(),
        "item_states": [(label, states.get(value, 0)) for value, label in MediaItem.State.choices],
        "decisions": [(label, decisions.get(value, 0)) for value, label in Decision.Status.choices],
        "libraries": PlexLibrary.objects.select_related("server").order_by("server__name", "title"),
        "runs": runs,
        "cluster_down": any(run.status in SyncRun.ACTIVE for run in runs) and not cluster_alive(),
        "can_operate": has_role(request.user, Role.OPERATOR),
    }
    return render(request, "dashboard.html", context)
