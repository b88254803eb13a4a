"""Settings -> Connect -> Webhook, made through Sonarr's API (``POST /api/v3/notification``).

Sonarr sends the connection its "Test" event before saving it and answers 400 with its
validation failures when that fails. The password (the receiving end's secret) is in the body
only: it never appears in an error's text.
"""

from __future__ import annotations

from collections.abc import Mapping

from integrations.errors import InvalidError
from integrations.http import HttpClient

PATH = "/api/v3/notification"
# The events mediasync's webhook reads (the others would be acknowledged and ignored).
EVENTS = ("onDownload", "onUpgrade", "onImportComplete", "onRename", "onSeriesAdd",
          "onSeriesDelete", "onEpisodeFileDelete", "onEpisodeFileDeleteForUpgrade")
POST = 1  # Sonarr's WebhookMethod


def webhook_body(*, name: str, url: str, username: str, password: str) -> dict:
    return {"name": name, "implementation": "Webhook", "implementationName": "Webhook",
            "configContract": "WebhookSettings", "tags": [], **dict.fromkeys(EVENTS, True),
            "fields": [{"name": "url", "value": url}, {"name": "method", "value": POST},
                       {"name": "username", "value": username},
                       {"name": "password", "value": password}]}


def webhook_connect(http: HttpClient, headers: Mapping[str, str], *, name: str, url: str,
                    username: str, password: str) -> int:
    """Save the connection; returns its id, or raises an UpstreamError (InvalidError when
    Sonarr refused it)."""
    response = http.request("POST", PATH, json=webhook_body(
        name=name, url=url, username=username, password=password),
        headers=dict(headers), ok=(200, 201, 400))
    text = response.text.replace(password, "***") if password else response.text
    if response.status_code == 400:
        raise InvalidError(f"Sonarr refused the webhook: {text[:300]}", upstream="sonarr",
                           method="POST", url=http.url(PATH), status=400)
    try:
        return int(response.json()["id"])
    except (ValueError, KeyError, TypeError):
        raise InvalidError(f"unexpected answer to the webhook's connection: {text[:200]}",
                           upstream="sonarr", method="POST", url=http.url(PATH)) from None
