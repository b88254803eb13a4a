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

Counters are the login throttle's fixed windows (``catalog.auth.throttle``), in the cache
(Redis or the database cache), so every process sees them.
"""

from __future__ import annotations

import math
import time

from django.conf import settings

from catalog.auth.throttle import address_key, window_count, window_remaining

WINDOW = 60  # seconds
clock = time.time  # the wall clock, replaceable in tests


def _key(address: str) -> str:
    return f"webhook-fail:{address_key(address)}"


def webhook_lockout(address: str) -> int:
    """Seconds until refused calls from ``address`` are answered 401 again (429 until then);
    0 when they are now."""
    left = window_remaining(_key(address), limit=settings.SONARR_WEBHOOK_RATE, window=WINDOW,
                            now=clock())
    return max(1, math.ceil(left)) if left > 0 else 0


def webhook_failure_record(address: str) -> None:
    """Count one refused call from ``address`` (its window starts with its first)."""
    window_count(_key(address), window=WINDOW, now=clock())
