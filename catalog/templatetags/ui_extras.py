"""Template filters the web UI needs: a dict lookup and a run's duration."""

from __future__ import annotations

from typing import Any

from django import template

from catalog.models import SyncRun
from catalog.ui.charts import duration_text

register = template.Library()


@register.filter
def lookup(mapping: dict, key: Any) -> Any:
    """``{{ counts|lookup:status }}``: 0 when absent (counts are what the pages look up)."""
    return mapping.get(key, 0) if mapping else 0


@register.filter
def duration(run: SyncRun) -> str:
    if not (run.started_at and run.finished_at):
        return "—"
    return duration_text((run.finished_at - run.started_at).total_seconds())
