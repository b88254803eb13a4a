"""Run a management command that stops for good at its N-th page, for a SIGKILL to land there.

``python -m tests.crash.held --marker PATH [--at N [--inside]] -- <manage.py args>``

Every sync engine reports each page through ``run_progress`` inside the page's transaction.
Counting those reports (less a ``final=True`` one, which comes after the work's last write)
gives the test a point it knows is mid-run, whatever the machine's speed: at the N-th report
the process writes ``PATH`` and blocks, either still inside the page's transaction
(``--inside``: a kill must roll the page back) or once it has committed (a kill between two
pages). The test waits for ``PATH``, then kills. Without ``--at`` the command runs through and
``PATH`` receives the number of reports, so a test knows how many pages its workload has.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Long enough for any test to kill the process first; a process a failed test left behind
# still goes away by itself.
HOLD_SECONDS = 300
EXIT_UNKILLED = 86


def _write(path: Path, text: str) -> None:
    """Whole or not at all: the test polls for the file while it is written."""
    part = path.with_name(path.name + ".part")
    part.write_text(text)
    os.replace(part, path)


def _hold(marker: Path, note: str) -> None:
    _write(marker, note)
    time.sleep(HOLD_SECONDS)
    sys.stderr.write(f"held at {note} for {HOLD_SECONDS} s and never killed\n")
    os._exit(EXIT_UNKILLED)


def _install(original: Callable[..., None], wrapper: Callable[..., None]) -> None:
    """Put ``wrapper`` wherever ``original`` is bound: the lifecycle module, the package that
    re-exports it and every module imported so far; the engines dispatch imports later bind
    the wrapper from the package."""
    for module in list(sys.modules.values()):
        if getattr(module, "__dict__", {}).get("run_progress") is original:
            module.run_progress = wrapper
    import catalog.runs

    assert catalog.runs.run_progress is wrapper


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--at", type=int, default=0, help="hold at this page report (1-based)")
    parser.add_argument("--inside", action="store_true", help="hold inside its transaction")
    split = argv.index("--")
    options, command = parser.parse_args(argv[:split]), argv[split + 1:]

    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.db import transaction

    from catalog.runs import lifecycle

    original = lifecycle.run_progress
    calls = 0

    def run_progress(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        original(*args, **kwargs)
        if kwargs.get("final"):
            return
        calls += 1
        if calls != options.at:
            return
        if options.inside:
            _hold(options.marker, f"inside {calls}")
        else:
            transaction.on_commit(lambda n=calls: _hold(options.marker, f"after {n}"))

    _install(original, run_progress)
    execute_from_command_line(["manage.py", *command])
    if not options.at:
        _write(options.marker, str(calls))


if __name__ == "__main__":
    main(sys.argv[1:])
