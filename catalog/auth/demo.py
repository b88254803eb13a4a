"""What the demo tells a first-time operator: its accounts and five things to try. ``make
demo`` prints them once it is ready, and the login page shows them while ``DEMO_MODE`` is on
(the demo sets it; a normal deployment never does, so its login page names no account).

Plain constants, so that ``mediasync.demo`` can print them without setting Django up.
"""

from __future__ import annotations

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo's own loopback accounts
ACCOUNTS = (
    ("operator", "scans, approves, cancels"),
    ("viewer", "reads everything, changes nothing"),
    ("admin", "all of that, and the admin pages"),
)
SLOW_LIBRARY = "Archive"  # the demo's library on a slow disk: its scan takes about 30 s
WHAT_TO_TRY = (
    ("Log in as operator", f"password {DEMO_PASSWORD}"),
    ("Scan a library", f"Libraries → “{SLOW_LIBRARY}” → Scan; on Runs its progress bar "
                       "moves for about 30 s"),
    ("Cancel a slow run", f"Runs → Cancel on the “{SLOW_LIBRARY}” scan while it runs"),
    ("Approve a decision", "Shows → filter “Awaiting approval” → open a show → Approve"),
    ("Preview a rule", "Rules → Preview → change the filters → see who comes and goes"),
)


def what_to_try_lines() -> list[str]:
    """The list as the terminal prints it, one line a step."""
    return [f"  {n}. {what} — {how}" for n, (what, how) in enumerate(WHAT_TO_TRY, 1)]
