"""Pages every surface shares about who you are: the admin and the web UI answer an account
without a role with the same page, so they agree on why and on the way out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.auth.demo import ACCOUNTS, DEMO_PASSWORD, WHAT_TO_TRY
from catalog.auth.forms import LoginForm


def no_role(request: HttpRequest) -> HttpResponse:
    """What a signed-in account without a role sees everywhere: why, and a way out."""
    return render(request, "no_role.html", status=403)


class LoginView(auth_views.LoginView):
    """The login page; under ``DEMO_MODE`` (``make demo``) it names the demo's accounts and
    what to try, and otherwise nothing about any account."""

    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if settings.DEMO_MODE:
            context["demo"] = {"password": DEMO_PASSWORD, "accounts": ACCOUNTS,
                               "steps": WHAT_TO_TRY}
        return context
