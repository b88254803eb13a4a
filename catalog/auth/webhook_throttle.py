"""Failed webhook calls, counted per client address (per /64 for IPv6): refused calls are
limited, a Sonarr that sends the right secret never is.

The secret is checked first, on every call. Only a refused call (no, a malformed or a wrong
secret; a server without one or that does not exist) counts. Past ``SONARR_WEBHOOK_RATE`` of
them in a window of ``WINDOW`` seconds that starts at the address's first failure, a refused
call from that address is answered 429 instead of 401, until the window ends; those are not
counted, so retrying never extends it. A limit against load, not guessing: a secret is 256
random bits. A call with the right secret is never limited nor counted, whatever its address
shares with a client sending wrong ones (a NAT, an IPv6 /64): a user deleting a thousand series
in Sonarr at once sends a thousand ``SeriesDelete`` calls, and Sonarr does not send a refused
one again (it logs "Unable to send OnDelete notification" and moves on; v4 also pauses a
notification that keeps failing), so a dropped delete would be lost for good.

Counters live in the cache (Redis or the database cache), so every process sees them.
"""

from __future__ import annotations

import math
import time

from django.conf import settings
from django.core.cache import cache

from catalog.auth.throttle import address_key

WINDOW = 60  # seconds
clock = time.time  # the wall clock, replaceable in tests


def _key(address: str) -> str:
    return f"webhook-fail:{address_key(address)}"


def webhook_lockout(address: str) -> int:
    """Seconds until refused calls from ``address`` are answered 401 again (429 until then);
    0 when they are now."""
    key, now = _key(address), clock()
    start = cache.get(f"{key}:start")
    if start is None or now >= start + WINDOW:
        return 0
    if (cache.get(f"{key}:count") or 0) < settings.SONARR_WEBHOOK_RATE:
        return 0
    return max(1, math.ceil(start + WINDOW - now))


def webhook_failure_record(address: str) -> None:
    """Count one refused call from ``address`` (its window starts with its first)."""
    key, now = _key(address), clock()
    start = cache.get(f"{key}:start")
    if start is not None and now >= start + WINDOW:  # the cache kept it past its window
        cache.delete_many([f"{key}:start", f"{key}:count"])
    cache.add(f"{key}:start", now, timeout=WINDOW)  # add: racing failures share it
    cache.add(f"{key}:count", 0, timeout=WINDOW)
    try:
        cache.incr(f"{key}:count")
    except ValueError:  # expired between add and incr: a new window
        cache.set(f"{key}:count", 1, timeout=WINDOW)
