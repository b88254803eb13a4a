"""Webhook secrets: generated here, shown once, kept only as a SHA-256, compared in constant
time.

A secret is 32 random bytes (``token_urlsafe``), so a fast hash is enough: there is nothing
to brute-force, and checking it costs one digest per request. A request naming a server that
does not exist, has no secret, or sends the wrong one is refused the same way, after the
same work, so the answer never tells which it was.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.utils import timezone

from catalog.models import SonarrServer

MAX_SERVER_ID = 2**63 - 1
MAX_SECRET_LENGTH = 200
# Compared against when there is no stored hash, so a refusal costs what a check does.
_NOTHING = hashlib.sha256(b"no secret is stored for this server").hexdigest()


def webhook_secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def sonarr_webhook_secret_new(*, server_id: int) -> str | None:
    """A fresh secret for the server (the previous one stops working at once); returns it
    for the caller to show once, or None when the server is gone."""
    secret = secrets.token_urlsafe(32)
    updated = SonarrServer.objects.filter(pk=server_id).update(
        webhook_secret_hash=webhook_secret_digest(secret), webhook_secret_at=timezone.now())
    return secret if updated else None


def sonarr_webhook_secret_clear(*, server_id: int) -> int:
    """Turn the server's webhook off: no secret is accepted until a new one is generated."""
    return SonarrServer.objects.filter(pk=server_id).update(webhook_secret_hash="",
                                                            webhook_secret_at=None)


def sonarr_webhook_server(server_id: str, secret: str | None) -> SonarrServer | None:
    """The server the secret opens, or None (no such server, no secret set, a wrong one)."""
    digits = server_id.isascii() and server_id.isdigit() and len(server_id) <= 19
    pk = int(server_id) if digits else 0
    server = (SonarrServer.objects.filter(pk=pk).first()
              if 0 < pk <= MAX_SERVER_ID else None)
    stored = server.webhook_secret_hash if server is not None else ""
    given = webhook_secret_digest((secret or "")[:MAX_SECRET_LENGTH])
    matches = hmac.compare_digest(given, stored or _NOTHING)
    if server is None or not stored or not secret or not matches:
        return None
    return server
