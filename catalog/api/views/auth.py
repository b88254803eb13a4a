"""Logging in through the API: a token for a username and password, throttled like every
login and refused before any password check while the account is locked out here."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from catalog.api.parsers import JSONParser
from catalog.auth.addresses import client_address
from catalog.auth.throttle import describe_wait, refused_for, request_lockout


class LoginRateThrottle(ScopedRateThrottle):
    """The ``login`` rate per client address (trusted proxies considered), never per
    whatever X-Forwarded-For a client makes up."""

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (throttled like every login)."""

    permission_classes = [AllowAny]
    parser_classes = [JSONParser, parsers.FormParser, parsers.MultiPartParser]
    throttle_classes = [LoginRateThrottle]
    throttle_scope = "login"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A locked-out (user, address) gets 429 with Retry-After, before any password check."""
        username = request.data.get("username") if hasattr(request.data, "get") else None
        _raise_if_locked(request_lockout(request, str(username) if username is not None
                                         else None))
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            _raise_if_locked(refused_for(request))  # the trimmed name was the locked one
            raise


def _raise_if_locked(seconds: int) -> None:
    if seconds:
        raise Throttled(wait=seconds, detail=(
            "Too many failed logins for this account from your address; "
            f"try again in {describe_wait(seconds)}."))
