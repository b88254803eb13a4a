"""Run a management command that stops for good at a run's N-th page, for a SIGKILL to land
there.

``python -m tests.crash.held --marker PATH [--at N [--inside]] -- <manage.py args>``
``python -m tests.crash.held --gate DIR -- qcluster``

Every sync engine reports each page through ``run_progress`` inside the page's transaction.
Counting those reports (less a ``final=True`` one, which comes after the work's last write)
gives the test a point it knows is mid-run, whatever the machine's speed: at the N-th report
the process writes its marker and blocks, either still inside the page's transaction
(``--inside``: a kill must roll the page back) or once it has committed (a kill between two
pages). The test waits for the marker, then kills.

With ``--marker`` the whole command is one run: at ``--at`` it writes ``PATH``; without
``--at`` it runs through and ``PATH`` receives the number of reports, so a test knows how
many pages its workload has. With ``--gate`` (a cluster, whose forked workers inherit the
wrapper) only the runs the test asked for are held: a file ``DIR/<run id>`` reading
``N inside|after``; the worker holding it writes ``DIR/<run id>.held`` with its pid.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Django is set up in main(), before the models can be imported
    from catalog.models import SyncRun

# Long enough for any test to kill the process first; a process a failed test left behind
# still goes away by itself.
HOLD_SECONDS = 300
EXIT_UNKILLED = 86

# Where a run's n-th report holds: its marker, and whether inside the transaction.
Plan = Callable[["SyncRun", int], tuple[Path, bool] | None]


def _write(path: Path, text: str) -> None:
    """Whole or not at all: the test polls for the file while it is written."""
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    part.write_text(text)
    os.replace(part, path)


def _hold(marker: Path, note: str) -> None:
    _write(marker, f"{os.getpid()} {note}")
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


def _one_run(marker: Path, at: int, inside: bool) -> Plan:
    """The command's only run: held at report ``at``."""
    return lambda _run, n: (marker, inside) if n == at else None


def _gated(gate: Path) -> Plan:
    """Each run held where ``gate/<run id>`` asks, if it does (read at the run's first report:
    the test writes it before the run is queued)."""
    asked: dict[int, tuple[int, bool] | None] = {}

    def plan(run: SyncRun, n: int) -> tuple[Path, bool] | None:
        if run.pk not in asked:
            request = gate / str(run.pk)
            at, where = request.read_text().split() if request.exists() else ("0", "after")
            asked[run.pk] = (int(at), where == "inside") if int(at) else None
        wanted = asked[run.pk]
        if wanted is None or wanted[0] != n:
            return None
        return gate / f"{run.pk}.held", wanted[1]

    return plan


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--marker", type=Path, help="the command's one run: its marker")
    where.add_argument("--gate", type=Path, help="runs held on request: their folder")
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
    plan = (_gated(options.gate) if options.gate is not None
            else _one_run(options.marker, options.at, options.inside))
    reports: dict[int, int] = {}  # by run id

    def run_progress(run: SyncRun, *args: Any, **kwargs: Any) -> None:
        original(run, *args, **kwargs)
        if kwargs.get("final"):
            return
        n = reports[run.pk] = reports.get(run.pk, 0) + 1
        held = plan(run, n)
        if held is None:
            return
        marker, inside = held
        if inside:
            _hold(marker, f"inside {n}")
        else:
            transaction.on_commit(lambda: _hold(marker, f"after {n}"))

    _install(original, run_progress)
    execute_from_command_line(["manage.py", *command])
    if options.marker is not None and not options.at:
        _write(options.marker, str(sum(reports.values())))


if __name__ == "__main__":
    main(sys.argv[1:])
