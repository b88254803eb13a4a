"""The show list (search, filters, cheap pages) and one show's page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.ui import buttons, selectors
from catalog.ui.access import ui_view
from catalog.ui.filters import GENRES, LOADING, parse_show_filters

PER_PAGE = 50


@ui_view()
def shows_list(request: HttpRequest) -> HttpResponse:
    filters = parse_show_filters(request.GET, decision_statuses=selectors.DECISION_STATUSES)
    page = selectors.shows_page(filters, number=filters.page, per_page=PER_PAGE)
    context = {
        "filters": filters, "page": page, "facets": selectors.shows_facets(),
        "genres": GENRES, "loading_choices": LOADING, "rules": selectors.rules_choices(),
        "decision_statuses": selectors.DECISION_STATUSES,
        "prev_query": filters.query(page=page.number - 1),
        "next_query": filters.query(page=page.number + 1),
    }
    status = 400 if filters.errors else 200
    return render(request, "ui/shows.html", context, status=status)


@ui_view()
def show_detail(request: HttpRequest, show_id: int) -> HttpResponse:
    show = selectors.show_get(show_id)
    items = selectors.show_items(show)
    decisions = selectors.show_decisions(show)
    for decision in decisions:
        decision.reviewable = buttons.reviewable(decision.status)
    loading = selectors.show_loading(show)
    context = {
        "show": show, "items": items, "seasons": selectors.show_slot_map(show, items),
        "decisions": decisions, "verdicts": buttons.verdicts_for(d.status for d in decisions),
        # a push only sends pending decisions; a load only what is not loaded and not queued
        # pending under an enabled rule of an enabled server: what a push would take
        "can_push": bool(buttons.sonarr_push_options(show_id=show.pk)),
        "can_load": loading["status"] not in buttons.LOAD_BUSY
        and not all(done for _, done, _ in loading["parts"]),
        "loading": loading,
        "artwork": selectors.show_artwork_url(show), "available": buttons.available(),
    }
    return render(request, "ui/show.html", context)
