"""Who is asking: the client address, believing ``X-Forwarded-For`` only from trusted proxies.

``TRUSTED_PROXIES`` lists the addresses or networks of the reverse proxies in front of
mediasync. A request whose peer is one of them may name the client in ``X-Forwarded-For``;
the header is read from the right (the hop our proxy appended) and the first address that is
not itself a trusted proxy is the client. Anyone else's forwarding headers are ignored, so a
client cannot pick the address its failed logins are counted under.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_networks() -> tuple[Network, ...]:
    """The parsed ``TRUSTED_PROXIES`` (validated at start-up by the settings)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def parse_ip(text: str | None) -> IPAddress | None:
    """An address from a header or REMOTE_ADDR (``[v6]``, ``v4:port`` tolerated); an
    IPv4-mapped IPv6 address becomes plain IPv4. None when it is not an address."""
    value = (text or "").strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def is_trusted_proxy(address: IPAddress | None) -> bool:
    return address is not None and any(address in net for net in trusted_networks())


def peer_is_trusted_proxy(request: Any) -> bool:
    """Whether the TCP peer of ``request`` is one of the trusted proxies."""
    return is_trusted_proxy(parse_ip(request.META.get("REMOTE_ADDR")))


def client_address(request: Any) -> str:
    """The client's address: the peer, or what trusted proxies say in X-Forwarded-For."""
    peer_text = request.META.get("REMOTE_ADDR") or ""
    current = parse_ip(peer_text)
    if current is None:
        return peer_text or "unknown"
    if not is_trusted_proxy(current):
        return str(current)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = parse_ip(hop)
        if address is None:  # garbage: believe no further than the last proxy
            break
        current = address
        if not is_trusted_proxy(address):
            break
    return str(current)


def is_loopback_client(request: Any) -> bool:
    address = parse_ip(client_address(request))
    return address is not None and address.is_loopback
