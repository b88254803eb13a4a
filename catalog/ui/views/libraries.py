"""Plex servers and libraries: item states, scan freshness, coverage; a server's mappings."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.models import MediaItem
from catalog.ui import buttons, selectors
from catalog.ui.access import ui_view


@ui_view()
def libraries(request: HttpRequest) -> HttpResponse:
    return render(request, "ui/libraries.html", {
        "servers": selectors.libraries_overview(), "available": buttons.available(),
        "states": MediaItem.State.choices})


@ui_view()
def server(request: HttpRequest, server_id: int) -> HttpResponse:
    return render(request, "ui/server.html", {
        "detail": selectors.server_detail(server_id), "available": buttons.available(),
        "states": MediaItem.State.choices})
