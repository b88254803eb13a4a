"""Adversarial (issue #20): a lone UTF-16 surrogate in ``eventType`` (JSON allows
``\\ud800``) must be a 400 like any other unknown event, not a 500: the 400 that echoes the
bad choice ("... is not a valid choice.") cannot be encoded as UTF-8 by DRF's renderer."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.catalog.test_sonarr_webhook_auth import basic, url
from tests.catalog.test_sonarr_webhook_hostile import _unchanged, world  # noqa: F401

pytestmark = pytest.mark.django_db

SURROGATES = {
    "eventType a lone surrogate": b'{"eventType":"\\ud800"}',
    "eventType ending in a lone surrogate": b'{"eventType":"SeriesAdd\\udfff",'
                                            b'"series":{"id":7,"tvdbId":81189}}',
}


@pytest.mark.parametrize("name", SURROGATES)
def test_a_lone_surrogate_in_the_event_is_a_400_not_a_500(world, name):  # noqa: F811
    server, secret, decisions = world
    client = Client(raise_request_exception=False)
    answer = client.generic("POST", url(server.pk), SURROGATES[name],
                            content_type="application/json", **basic(secret))
    assert answer.status_code == 400, answer.status_code
    _unchanged(server, decisions)
