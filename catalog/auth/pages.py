"""Pages every surface shares about who you are: the admin and the web UI answer an account
without a role with the same page, so they agree on why and on the way out."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def no_role(request: HttpRequest) -> HttpResponse:
    """What a signed-in account without a role sees everywhere: why, and a way out."""
    return render(request, "no_role.html", status=403)
