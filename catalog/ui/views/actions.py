"""Operator buttons: each POST calls one action, says what happened, and goes back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from catalog.auth.roles import Role
from catalog.models import PlexLibrary, Show, SyncRun
from catalog.runs import run_cancel
from catalog.ui import buttons
from catalog.ui.access import ui_view
from catalog.ui.ids import as_id


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        target = fallback
    return redirect(target or fallback)


def _say(request: HttpRequest, ok: bool, message: str) -> None:
    (messages.success if ok else messages.error)(request, message)


@require_POST
@ui_view(Role.OPERATOR)
def sync(request: HttpRequest, kind: str) -> HttpResponse:
    """Sync TVMaze now, scan a library, push to Sonarr, force a TMDB batch, wake loaders."""
    if kind not in buttons.TRIGGERS:
        return HttpResponseBadRequest(
            f"'{kind[:40]}' cannot be started here; choose one of "
            f"{', '.join(buttons.TRIGGERS)}.", content_type="text/plain; charset=utf-8")
    if kind == SyncRun.Kind.LOAD:
        _say(request, *buttons.loaders_start())
        return _back(request, "/runs/")
    options: dict = {}
    if kind == SyncRun.Kind.TVMAZE:
        options = {"full": request.POST.get("full") == "1"}
    elif kind == SyncRun.Kind.PLEX:
        library_id = as_id(request.POST.get("library"))
        library = (PlexLibrary.objects.filter(pk=library_id, enabled=True,
                                              server__enabled=True).first()
                   if library_id else None)
        if library is None:  # a disabled library or server is not scanned (as by schedule)
            _say(request, False, "Choose an enabled library of an enabled server to scan.")
            return _back(request, "/libraries/")
        options = {"library_id": library.pk, "deep": request.POST.get("deep") == "1"}
    by = request.user.get_username()
    if kind == SyncRun.Kind.SONARR:
        _say(request, *buttons.enqueue_many(kind=kind, options=buttons.sonarr_push_options(),
                                            by=by))
    else:
        _say(request, *buttons.enqueue(kind=kind, options=options, by=by))
    return _back(request, "/runs/")


@require_POST
@ui_view(Role.OPERATOR)
def show_action(request: HttpRequest, show_id: int, action: str) -> HttpResponse:
    """Per-show buttons: refresh from TVMaze, force TMDB, push to Sonarr, load missing parts."""
    show = Show.objects.filter(pk=show_id).first()
    back = f"/shows/{show_id}/"
    if show is None:
        _say(request, False, "That show no longer exists.")
        return redirect("/shows/")
    by = request.user.get_username()
    if action == "refresh" and show.tvmaze_id:
        result = buttons.enqueue(kind=SyncRun.Kind.TVMAZE,
                                 options={"refresh_ids": [show.tvmaze_id]}, by=by)
    elif action == "tmdb":
        result = buttons.enqueue(kind=SyncRun.Kind.TMDB,
                                 options={"show_ids": [show.pk], "force": True}, by=by)
    elif action == "sonarr" and SyncRun.Kind.SONARR in buttons.WORK:
        result = buttons.enqueue_many(kind=SyncRun.Kind.SONARR,
                                      options=buttons.sonarr_push_options(show_id=show.pk),
                                      by=by)
    elif action == "load":
        result = buttons.missing_load(show)
    else:
        result = (False, "This show cannot do that (no matching id, or an unknown action).")
    _say(request, *result)
    return _back(request, back)


@require_POST
@ui_view(Role.OPERATOR)
def review(request: HttpRequest) -> HttpResponse:
    """Approve, decline or skip the checked decisions."""
    verdict = request.POST.get("verdict", "")
    ids = [i for i in map(as_id, request.POST.getlist("decision")) if i][:500]
    if verdict not in buttons.VERDICTS or not ids:
        _say(request, False, "Choose decisions and approve, decline or skip.")
    else:
        changed, held = buttons.decisions_review(ids=ids, verdict=verdict,
                                                 by=request.user.get_username())
        _say(request, bool(changed), buttons.review_message(verdict, changed, held, len(ids)))
    return _back(request, "/")


@require_POST
@ui_view(Role.OPERATOR)
def cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run, outcome = run_cancel(run_id, by=request.user.get_username())
    if run is None:
        _say(request, False, f"Run #{run_id} does not exist.")
    elif outcome == "finished":
        _say(request, False, f"Run #{run.pk} has already {run.status}.")
    elif outcome == "cancelled":
        _say(request, True, f"Run #{run.pk} was cancelled before it started.")
    else:
        _say(request, True, f"Run #{run.pk} will stop at its next page; pages already "
                            "written stay.")
    return _back(request, "/runs/")
