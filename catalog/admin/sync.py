"""Read-only history of job runs, and the checkpoints they keep."""

from __future__ import annotations

from django.contrib import admin

from catalog.admin.site import ReadOnlyAdmin, site
from catalog.models import SyncCursor, SyncRun


@admin.register(SyncRun, site=site)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "scope", "status", "started_at", "finished_at", "processed",
                    "changed", "skipped", "errors", "total"]
    list_filter = ["kind", "status"]
    search_fields = ["scope"]
    date_hierarchy = "created_at"


@admin.register(SyncCursor, site=site)
class SyncCursorAdmin(ReadOnlyAdmin):
    list_display = ["key", "updated_at"]
    search_fields = ["key"]
