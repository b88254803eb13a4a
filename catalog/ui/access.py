"""Who may open a page and who may press its buttons: the same role rule as every surface.

Anonymous visitors are sent to the login page; accounts without a role get a page saying so
(403); every role reads every page; actions need ``operator`` (or what the view asks).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url

from catalog.auth.pages import no_role
from catalog.auth.roles import Role, user_role

View = Callable[..., HttpResponse]


def _hx_login(request: HttpRequest) -> HttpResponse:
    """The session ended under a polling page: send the whole page to the login, instead of
    letting the fragment's target fill with a login form."""
    current = request.headers.get("HX-Current-URL", "")
    path = urlsplit(current).path or "/"
    response = HttpResponse(status=200)
    response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': path})}"
    return response


def ui_view(needed: Role = Role.VIEWER) -> Callable[[View], View]:
    """Gate a page on ``needed``; sets ``request.role`` and ``request.can_operate``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not request.user.is_authenticated:
                if request.headers.get("HX-Request"):  # a polled fragment: move the page
                    return _hx_login(request)
                return redirect_to_login(request.get_full_path())
            role = user_role(request.user)
            if role is None:
                return no_role(request)
            request.role = role
            if role < needed:
                return render(request, "ui/forbidden.html", {"needed": needed.name.lower()},
                              status=403)
            request.can_operate = role >= Role.OPERATOR
            request.is_admin = role >= Role.ADMIN
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
