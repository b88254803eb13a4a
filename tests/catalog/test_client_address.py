"""The client address: the peer, unless a trusted proxy names the client."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from catalog.auth.addresses import client_address


def _request(peer: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "fd00::/8"])
@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("10.1.2.3", "203.0.113.5", "203.0.113.5"),              # one trusted proxy
    ("10.1.2.3", "203.0.113.5, 10.9.9.9", "203.0.113.5"),    # two trusted hops
    ("10.1.2.3", "6.6.6.6, 203.0.113.5", "203.0.113.5"),     # a forged entry on the left
    ("10.1.2.3", "garbage, 10.9.9.9", "10.9.9.9"),           # trust stops at garbage
    ("10.1.2.3", "", "10.1.2.3"),                            # nothing forwarded
    ("10.1.2.3", "203.0.113.5:4711", "203.0.113.5"),         # a port on the hop
    ("fd00::1", "[2001:db8::7]", "2001:db8::7"),
    ("192.0.2.1", "203.0.113.5", "192.0.2.1"),               # not a proxy: header ignored
    ("::ffff:10.1.2.3", "203.0.113.5", "203.0.113.5"),       # IPv4-mapped peer
])
def test_it_believes_forwarded_for_only_from_trusted_proxies(peer, forwarded, expected):
    assert client_address(_request(peer, forwarded)) == expected


def test_it_ignores_forwarded_for_when_no_proxy_is_trusted():
    assert client_address(_request("10.1.2.3", "203.0.113.5")) == "10.1.2.3"
