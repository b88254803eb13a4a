"""Template filters the web UI needs: a dict lookup, a run's duration, values in words."""

from __future__ import annotations

from typing import Any

from django import template

from catalog.models import SyncRun
from catalog.ui import labels
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


@register.filter
def label(value: Any, vocabulary: str) -> str:
    """``{{ run.status|label:"run" }}``: the status in words (``catalog.ui.labels``)."""
    return labels.label(value, vocabulary)


@register.filter
def reason(value: Any) -> str:
    """``{{ decision.reason|reason }}``: a decision's reason in words."""
    return labels.reason_label(value)
