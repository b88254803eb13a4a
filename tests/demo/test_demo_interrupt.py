"""Ctrl-C pressed more than once (or SIGINT and SIGTERM together) still stops the demo and
everything it started: the second signal must neither hang the stop nor skip it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The demo with its steps replaced: one long-lived child, then the real wait-for-Ctrl-C loop.
SCRIPT = """
import sys
from mediasync import demo

def fakes(self):
    child = self.spawn("child", [sys.executable, "-c", "import time; time.sleep(300)"])
    print(f"child {child.pid}", flush=True)
    return {}

demo.Demo.fakes = fakes
demo.Demo.manage = lambda self, *argv: None
demo.Demo.serve = lambda self: None
sys.exit(demo.main(["--data-dir", sys.argv[1], "--port", "1"]))
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", SCRIPT, str(tmp_path / "demo")], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    child = None
    for line in proc.stdout:
        if line.startswith("child "):
            child = int(line.split()[1])
        if "Ctrl-C stops everything" in line:
            return proc, child
    raise AssertionError("the demo script did not get ready")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("attempt", range(5))
def test_it_stops_everything_when_signals_come_in_a_burst(attempt, tmp_path):
    proc, child = _start(tmp_path)
    time.sleep(0.05 * attempt)  # land the burst at different points of the wait loop
    try:
        for sig in [signal.SIGINT, signal.SIGTERM] * 100:
            proc.send_signal(sig)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # a hung stop: clean up what the test started
            proc.kill()
        left = _alive(child)
        if left:
            os.kill(child, signal.SIGKILL)
    output = proc.stdout.read()
    assert code == 0, output
    assert "demo: stopped." in output
    assert not left
