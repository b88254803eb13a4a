"""The landing page: what needs attention first, then the catalog at a glance."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.ui import buttons, selectors
from catalog.ui.access import ui_view


@ui_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {
        "attention": selectors.attention(),
        "counts": selectors.dashboard_counts(),
        "runs": selectors.runs_active(),
        "loading": selectors.shows_loading_active(),
        "available": buttons.available(),
        "libraries": selectors.libraries_scannable() if request.can_operate else [],
    }
    return render(request, "ui/dashboard.html", context)
