"""Admin for the catalog's shows and episodes (100k rows: no full counts, no N+1)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import Episode, Show, SyncRun
from catalog.runs import RunInProgress
from catalog.services import EnqueueFailed, sync_enqueue
from catalog.slots import slot_map

MAX_SELECTED = 1000


@admin.register(Show, site=site)
class ShowAdmin(ReadOnlyAdmin):
    list_display = ["title", "tvmaze_id", "tvdb_id", "imdb_id", "tmdb_id", "language", "country",
                    "status", "premiered", "tmdb_status"]
    list_filter = ["status", "tmdb_status", "operator_added", "loading_status", "type", "language"]
    search_fields = ["title", "=tvmaze_id", "=tvdb_id", "=imdb_id", "=tmdb_id"]
    ordering = ["id"]
    actions = ["refresh_from_tvmaze", "force_tmdb_sync", "add_to_library",
               "remove_from_library"]
    readonly_fields = ["episode_slots"]

    @admin.display(description="Episode slots (Plex / TMDB)")
    def episode_slots(self, obj: Show) -> str:
        slots = slot_map(obj)
        text = slots.summary or "no TMDB seasons yet"
        return f"{text} — {slots.warning}" if slots.warning else text

    @admin.action(description="Force TMDB sync", permissions=["operate"])
    def force_tmdb_sync(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = sorted(queryset.values_list("pk", flat=True)[:MAX_SELECTED])
        try:
            run = sync_enqueue(kind=SyncRun.Kind.TMDB, options={"show_ids": ids, "force": True},
                               triggered_by=request.user.get_username())
        except RunInProgress as exc:
            self.message_user(request, f"That refresh is already running (run {exc.run.pk}).",
                              messages.WARNING)
            return
        except EnqueueFailed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Queued a TMDB refresh of {len(ids)} show(s) "
                          f"(run {run.pk}).", messages.SUCCESS)

    @admin.action(description="Add to the library (kept fresh from TMDB)",
                  permissions=["operate"])
    def add_to_library(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(operator_added=True)
        self.message_user(request, f"{count} show(s) added to the library.", messages.SUCCESS)

    @admin.action(description="Remove from the library (operator-added only)",
                  permissions=["operate"])
    def remove_from_library(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.update(operator_added=False)
        self.message_user(request, f"{count} show(s) no longer added by hand (shows in Plex "
                          "or added to Sonarr stay in the library).", messages.SUCCESS)

    @admin.action(description="Refresh from TVMaze now", permissions=["operate"])
    def refresh_from_tvmaze(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.exclude(tvmaze_id=None).values_list("tvmaze_id", flat=True)[:500])
        if not ids:
            self.message_user(request, "None of these shows is on TVMaze.", messages.WARNING)
            return
        try:
            run = sync_enqueue(kind=SyncRun.Kind.TVMAZE, options={"refresh_ids": ids},
                               triggered_by=request.user.get_username())
        except RunInProgress as exc:
            self.message_user(request, f"A TVMaze refresh is already running (run "
                              f"{exc.run.pk}); try again when it ends.", messages.WARNING)
            return
        except EnqueueFailed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Queued a TVMaze refresh of {len(ids)} show(s) "
                          f"(run {run.pk}).", messages.SUCCESS)


@admin.register(Episode, site=site)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "show", "season", "number", "airdate"]
    list_select_related = ["show"]
    raw_id_fields = ["show"]
    search_fields = ["title", "=tvmaze_id"]
