"""Discovery rules: decision counts, top filter reasons, validation and preview."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.ui import charts, selectors
from catalog.ui.access import ui_view


@ui_view()
def rules(request: HttpRequest) -> HttpResponse:
    rows = selectors.rules_overview()
    for row in rows:
        row.chart = charts.bar_chart(row.reasons, title=f"Top filter reasons of {row.rule.name}")
    return render(request, "ui/rules.html", {"rows": rows,
                                             "statuses": selectors.DECISION_STATUSES})
