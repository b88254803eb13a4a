"""Sonarr's webhook (Settings -> Connect -> Webhook): ``POST /api/webhooks/sonarr/{id}/``.

Sonarr sends the server's webhook secret as the HTTP basic password (any user name) or in
an ``X-Webhook-Secret`` header. Sessions and tokens mean nothing here (so no CSRF either):
without the secret every role is refused, and a missing, malformed or wrong secret, a server
without one and a server that does not exist all get the same 401, byte for byte. The secret
is checked first, on every call: one with the right secret is never limited, nor counted, so a
mass delete in Sonarr arrives whole, whatever else shares its address. Refused calls are
counted per client address and, past ``SONARR_WEBHOOK_RATE`` a minute, are answered 429
instead of 401 (``catalog.auth.webhook_throttle``): a limit against load, not guessing (a
secret is 256 random bits). Bodies are JSON of
bounded size and depth (413 / 400), validated before anything is written. Thin:
``sonarr_webhook_handle`` does the work.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.fields import StrictBooleanField, StrictIntegerField
from catalog.auth.addresses import client_address
from catalog.auth.webhook_throttle import webhook_failure_record, webhook_lockout
from catalog.auth.webhooks import sonarr_webhook_server
from catalog.models import SonarrServer
from catalog.sync.sonarr.webhook import (
    EVENTS,
    FILE_EVENTS,
    SERIES_EVENTS,
    WebhookEvent,
    sonarr_webhook_handle,
)

REFUSED = "Send this server's webhook secret as the HTTP basic password."
REALM = 'Basic realm="mediasync webhook"'
SECRET_HEADER = "X-Webhook-Secret"  # noqa: S105 (a header name)
MAX_ID = 2**31 - 1  # Sonarr's ids are 32-bit


def _secret(request: Request) -> str | None:
    """The basic-auth password, else the secret header; None when neither parses."""
    header = get_authorization_header(request).split()
    if len(header) == 2 and header[0].lower() == b"basic":
        try:
            decoded = base64.b64decode(header[1], validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return decoded.partition(":")[2] or None
    return request.META.get("HTTP_" + SECRET_HEADER.upper().replace("-", "_")) or None


class SonarrWebhookAuthentication(BaseAuthentication):
    """The secret of the server named in the path; every failure is the same 401."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, SonarrServer]:
        server_id = str((request.parser_context or {}).get("kwargs", {}).get("server_id", ""))
        server = sonarr_webhook_server(server_id, _secret(request))
        if server is None:  # the same for every server id: the limit is per address
            address = client_address(request)
            wait = webhook_lockout(address)
            if wait:  # past the limit: not counted, so retrying never extends it
                raise Throttled(wait=wait)
            webhook_failure_record(address)
            raise AuthenticationFailed(REFUSED, code="webhook_secret")
        return AnonymousUser(), server

    def authenticate_header(self, request: Request) -> str:
        return REALM


class SonarrWebhookAuthScheme(OpenApiAuthenticationExtension):
    target_class = SonarrWebhookAuthentication
    name = "sonarrWebhookSecret"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "basic",
                "description": "The server's webhook secret as the password (any user name), "
                               f"or in an `{SECRET_HEADER}` header."}


class HasWebhookServer(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, SonarrServer)


class SeriesPayload(serializers.Serializer):
    id = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)
    tvdbId = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)


# Sonarr's webhook payload: the fields mediasync reads (others are accepted and ignored).
class SonarrWebhookPayload(serializers.Serializer):
    eventType = serializers.ChoiceField(choices=EVENTS)
    series = SeriesPayload(required=False, allow_null=True)
    deletedFiles = StrictBooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        event, series = attrs["eventType"], attrs.get("series") or {}
        if event in (*SERIES_EVENTS, *FILE_EVENTS) and "tvdbId" not in series:
            raise serializers.ValidationError({"series": [f"{event} needs series.tvdbId."]})
        if event == "SeriesAdd" and "id" not in series:
            raise serializers.ValidationError({"series": ["SeriesAdd needs series.id."]})
        return attrs

    def event(self) -> WebhookEvent:
        data = self.validated_data
        series = data.get("series") or {}
        return WebhookEvent(data["eventType"], series.get("tvdbId"), series.get("id"),
                            bool(data.get("deletedFiles")))


WebhookAnswer = inline_serializer("SonarrWebhookAnswer", {
    "event": serializers.CharField(),
    "settled": serializers.IntegerField(required=False),
    "removed": serializers.IntegerField(required=False),
    "being_sent": serializers.IntegerField(required=False),
    "refresh_in": serializers.IntegerField(required=False),
    "coalesced": serializers.BooleanField(required=False),
    "ignored": serializers.BooleanField(required=False)})


class SonarrWebhookView(APIView):
    """What a Sonarr server tells us (its webhook): 200 once applied, 202 when it queued a
    Plex scan for later. Authenticated by the server's webhook secret only."""

    authentication_classes = [SonarrWebhookAuthentication]
    permission_classes = [HasWebhookServer]
    throttle_classes: list[type] = []  # refused calls are limited by the authentication

    @extend_schema(
        request=SonarrWebhookPayload, responses={200: WebhookAnswer, 202: WebhookAnswer},
        parameters=[OpenApiParameter("server_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The Sonarr server's id in mediasync.")])
    def post(self, request: Request, server_id: str) -> Response:
        body = SonarrWebhookPayload(data=request.data)
        body.is_valid(raise_exception=True)
        event = body.event()
        answer = sonarr_webhook_handle(server_id=request.auth.pk, event=event)
        accepted = event.type in FILE_EVENTS and "refresh_in" in answer
        return Response(answer, status=status.HTTP_202_ACCEPTED if accepted
                        else status.HTTP_200_OK)

    @extend_schema(
        request=SonarrWebhookPayload, responses={200: WebhookAnswer, 202: WebhookAnswer},
        parameters=[OpenApiParameter("server_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The Sonarr server's id in mediasync.")])
    def put(self, request: Request, server_id: str) -> Response:
        """Sonarr's webhook may be set to PUT: the same as POST."""
        return self.post(request, server_id)
