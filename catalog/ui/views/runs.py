"""Runs: live progress (a polled fragment), history, and a chart of recent runs per kind."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from catalog.models import SyncRun
from catalog.ui import charts, selectors
from catalog.ui.access import ui_view
from catalog.ui.filters import MAX_PAGE
from catalog.ui.ids import is_digits

KINDS = dict(SyncRun.Kind.choices)
PER_PAGE = 25


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if is_digits(raw) and 1 <= int(raw) <= MAX_PAGE else 1


def _history(request: HttpRequest) -> tuple[str, object]:
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    return kind, selectors.runs_history(kind=kind or None, number=_page_number(request),
                                        per_page=PER_PAGE)


@ui_view()
def runs(request: HttpRequest) -> HttpResponse:
    kind, history = _history(request)
    chart = [(KINDS.get(k, k), charts.runs_svg(rows, title=f"Last {len(rows)} {k} runs"))
             for k, rows in selectors.runs_chart().items()]
    return render(request, "ui/runs.html", {
        "active": selectors.runs_active(), "history": history, "charts": chart,
        "kind": kind, "kinds": KINDS})


@never_cache
@ui_view()
def runs_active(request: HttpRequest) -> HttpResponse:
    """The fragment the pages poll every two seconds: two queries, a few hundred bytes."""
    return render(request, "ui/_runs_active.html", {"runs": selectors.runs_active(),
                                                    "loading": selectors.shows_loading_active()})


@never_cache
@ui_view()
def runs_history(request: HttpRequest) -> HttpResponse:
    """The history table, polled on its first page: a run that ends moves from the active
    table to this one without a reload."""
    kind, history = _history(request)
    return render(request, "ui/_runs_history.html", {"history": history, "kind": kind})
