"""Read-only history of job runs, and the checkpoints they keep."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import SyncCursor, SyncRun
from catalog.runs import run_cancel


@admin.register(SyncRun, site=site)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "scope", "status", "started_at", "finished_at", "processed",
                    "changed", "skipped", "errors", "total"]
    list_filter = ["kind", "status"]
    search_fields = ["scope"]
    date_hierarchy = "created_at"
    actions = ["cancel_runs"]

    @admin.action(description="Cancel (queued now, running at its next page)",
                  permissions=["operate"])
    def cancel_runs(self, request: HttpRequest, queryset: QuerySet) -> None:
        by = request.user.get_username()
        active = queryset.filter(status__in=SyncRun.ACTIVE).values_list("pk", flat=True)
        outcomes = [run_cancel(pk, by=by)[1] for pk in active]
        self.message_user(
            request, f"Cancelled {outcomes.count('cancelled')} queued run(s); asked "
            f"{outcomes.count('requested')} running run(s) to stop.", messages.SUCCESS)


@admin.register(SyncCursor, site=site)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ["key", "updated_at"]
    search_fields = ["key"]
