"""Adversarial (issue #20): a ``charset`` naming a codec that is not a text encoding
(``rot13``, ``base64``, ``hex``, ``zlib``...: Django accepts any name ``codecs.lookup``
knows, and ``bytes.decode`` then raises LookupError) must be a 4xx, not a 500, on the
webhook and on the one JSON endpoint anyone may call."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.catalog.test_sonarr_webhook_auth import basic, url
from tests.catalog.test_sonarr_webhook_hostile import _unchanged, world  # noqa: F401

pytestmark = pytest.mark.django_db

CODECS = ["rot13", "base64", "hex", "zlib", "bz2", "uu", "quopri"]
DELETE = b'{"eventType":"SeriesDelete","series":{"id":3,"tvdbId":81190}}'


@pytest.mark.parametrize("codec", CODECS)
def test_a_charset_that_is_no_text_encoding_is_a_4xx_not_a_500(world, codec):  # noqa: F811
    server, secret, decisions = world
    client = Client(raise_request_exception=False)
    answer = client.generic("POST", url(server.pk), DELETE,
                            content_type=f"application/json; charset={codec}", **basic(secret))
    assert 400 <= answer.status_code < 500, answer.status_code
    _unchanged(server, decisions)


@pytest.mark.parametrize("codec", ["rot13", "base64"])
def test_the_anonymous_token_endpoint_takes_such_a_charset_without_a_500(codec):
    """The same parser serves the one JSON endpoint anyone may call, without a secret."""
    client = Client(raise_request_exception=False)
    answer = client.generic("POST", "/api/auth/token/", b'{"username":"a","password":"b"}',
                            content_type=f"application/json; charset={codec}")
    assert 400 <= answer.status_code < 500, answer.status_code
