"""Running real ``manage.py`` processes against the test database, and killing them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def database_url() -> str:
    """The test database as a URL, for a subprocess to share it."""
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{params['NAME']}"
    host, port = params.get("HOST") or "127.0.0.1", params.get("PORT") or 5432
    return f"postgres://{params['USER']}@{host}:{port}/{params['NAME']}"


def subprocess_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "mediasync.settings",
            "DATA_DIR": str(data_dir), "DATABASE_URL": database_url(), "LOG_LEVEL": "warning",
            "RUN_HEARTBEAT_SECONDS": "1", "TVMAZE_RATE_CALLS": "0", "TMDB_RATE_CALLS": "0",
            **extra}


def manage(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# How long a step may take before a test calls it stuck: bounds for a machine with every core
# busy several times over (a subprocess's start-up alone can take tens of seconds there), never
# a race; on a quiet machine each wait ends as soon as its condition holds.
SLOW_MACHINE = 180


def wait_for(predicate: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def held(args: list[str], env: dict[str, str], marker: Path, *, at: int = 0,
         inside: bool = False) -> subprocess.Popen:
    """``manage.py args`` through ``tests.crash.held``: it stops at page report ``at`` (inside
    its transaction or once committed) and writes ``marker``; without ``at`` it runs through
    and writes how many page reports it made."""
    marker.unlink(missing_ok=True)
    hold = [f"--at={at}", *(["--inside"] if inside else [])] if at else []
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.crash.held", f"--marker={marker}", *hold, "--", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def gated(args: list[str], env: dict[str, str], gate: Path) -> subprocess.Popen:
    """``manage.py args`` (a cluster) through ``tests.crash.held``: a run whose id names a
    file in ``gate`` is held where that file says, see ``hold_run``."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tests.crash.held", f"--gate={gate}", "--", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def hold_run(gate: Path, run_id: int, at: int, *, inside: bool) -> None:
    """Ask a ``gated`` cluster to hold run ``run_id`` at its report ``at``; write this before
    the run is queued, since a worker reads it at the run's first report."""
    (gate / str(run_id)).write_text(f"{at} {'inside' if inside else 'after'}")


def holder(gate: Path, run_id: int) -> int | None:
    """The pid of the worker holding run ``run_id`` as asked, or None while none does."""
    held = gate / f"{run_id}.held"
    return int(held.read_text().split()[0]) if held.exists() else None


def pages(args: list[str], env: dict[str, str], marker: Path) -> int:
    """Run ``manage.py args`` to the end; how many page reports it made."""
    proc = held(args, env, marker)
    _out, err = proc.communicate(timeout=2 * SLOW_MACHINE)
    assert proc.returncode == 0, err[-2000:]
    return int(marker.read_text())


def kill_held(proc: subprocess.Popen, marker: Path, seconds: float = SLOW_MACHINE) -> str:
    """SIGKILL a ``held`` process once it holds (waiting as long as a loaded machine may
    need); returns where it held ("inside 3", "after 2"). Fails if it ended first: then the
    kill would not have been mid-run."""
    try:
        holding = wait_for(lambda: marker.exists() or proc.poll() is not None, seconds)
        ended = proc.poll() is not None
        if not ended:
            proc.send_signal(signal.SIGKILL)
        _out, err = proc.communicate(timeout=SLOW_MACHINE)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert holding and marker.exists() and not ended, (
        f"never held (exit {proc.returncode}): {err[-2000:]}")
    assert proc.returncode == -signal.SIGKILL
    return marker.read_text().split(" ", 1)[1]


def stop(proc: subprocess.Popen, seconds: float = 30) -> None:
    """SIGTERM (a cluster finishes its tasks and exits), SIGKILL if it lingers."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
