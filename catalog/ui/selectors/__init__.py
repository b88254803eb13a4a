"""Every read the web pages make, one function per page section with a fixed query count.

The pages call nothing else, so pointing a section at a new model is a change here alone.
Functions marked ``WIRE:`` in their docstring (the show's loading parts and artwork) read
the flags stored today and return the documented shape.
"""

from catalog.rules.preview import Preview, PreviewError, rule_preview
from catalog.ui.selectors.ops import (
    attention,
    dashboard_counts,
    libraries_overview,
    libraries_scannable,
    rule_spec_text,
    rule_validation,
    rules_invalid,
    rules_overview,
    runs_active,
    runs_chart,
    runs_history,
    server_detail,
    shows_loading_active,
)
from catalog.ui.selectors.paging import Page, page_of
from catalog.ui.selectors.shows import (
    DECISION_STATUSES,
    rules_choices,
    show_artwork_url,
    show_decisions,
    show_get,
    show_items,
    show_loading,
    show_slot_map,
    shows_facets,
    shows_page,
)

__all__ = [
    "DECISION_STATUSES", "Page", "Preview", "PreviewError", "attention", "dashboard_counts",
    "libraries_overview",
    "libraries_scannable",
    "page_of", "rule_preview", "rule_spec_text", "rule_validation", "rules_choices",
    "rules_invalid",
    "rules_overview", "runs_active", "runs_chart", "runs_history", "server_detail",
    "show_artwork_url", "show_decisions", "show_get", "show_items", "show_loading",
    "show_slot_map", "shows_facets", "shows_loading_active", "shows_page",
]
