"""`make demo` end to end: it starts offline, answers /health and /ready, its fake Sonarr is
connected to mediasync's webhook, its first syncs succeed, the episode its fake Plex gains
reaches the catalog through the Plex listener (no scan), and Ctrl-C stops everything it
started (web, cluster, listener and the fakes)."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from integrations.fakes.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
# Two minutes on an idle machine; a shared CI box may need more.
START_TIMEOUT = int(os.environ.get("DEMO_SMOKE_TIMEOUT", 300))


def _listening(url_or_port: str | int) -> bool:
    port = int(str(url_or_port).rsplit(":", 1)[-1].split("/")[0])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def _read_until(proc: subprocess.Popen, marker: str, timeout: float) -> str:
    """Lines of the demo's output up to ``marker`` (read by a thread: a pipe's buffered text
    is invisible to select)."""
    lines: queue.Queue[str | None] | None = getattr(proc, "lines", None)
    if lines is None:  # one reader per process, however often this is called
        lines = proc.lines = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
    out, deadline = [], time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        out.append(line)
        if marker in line:
            return "".join(out)
    raise AssertionError(f"no {marker!r} within {timeout} s:\n{''.join(out)[-3000:]}")


@pytest.mark.timeout(START_TIMEOUT + 60)
def test_it_runs_the_demo_offline_and_stops_cleanly(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DATA_DIR")}
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, this checkout's module
        [sys.executable, "-m", "mediasync.demo", "--port", str(port), "--shows", "200",
         "--data-dir", str(tmp_path / "demo")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = _read_until(proc, "Ctrl-C stops everything", START_TIMEOUT)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/health", timeout=5).status_code == 200
        assert requests.get(f"{base}/ready", timeout=10).json()["status"] == "ok"
        token = requests.post(f"{base}/api/auth/token/", timeout=5, data={
            "username": "admin", "password": "demo-password"}).json()["token"]
        runs = requests.get(f"{base}/api/sync-runs/", timeout=5, headers={
            "Authorization": f"Token {token}"}).json()["results"]
        # Refilters follow the rules' creation; show loaders keep running in the background.
        first = [r for r in runs if r["kind"] not in ("rules", "load")
                 and r["triggered_by"] != "plex listener"]
        assert {r["status"] for r in first} == {"succeeded"}, output
        kinds = Counter(r["kind"] for r in first)
        # a discovery per server, then every library but the slow one left for an operator
        assert kinds == {"tvmaze": 1, "plex": 6, "tmdb": 1, "sonarr": 1}, output
        assert output.count("what to try:") == 1 and output.count("Plex servers,") == 1, output
        assert "Scan a library" in output and "WARNING" not in output, output
        assert "schedules: 10 in place" in output, output
        servers = requests.get(f"{base}/api/plex/servers/", timeout=5, headers={
            "Authorization": f"Token {token}"}).json()["results"]
        assert all(s["version"] and s["machine_identifier"] for s in servers), servers
        # The fake Sonarr was connected to our webhook: its Test, then the echo of each add.
        assert "Sonarr calls mediasync's webhook" in output, output
        [sonarr] = requests.get(f"{base}/api/sonarr/servers/", timeout=5, headers={
            "Authorization": f"Token {token}"}).json()["results"]
        assert sonarr["webhook_configured"] and sonarr["webhook_event"] in ("Test", "SeriesAdd")
        login = requests.get(f"{base}/login/", timeout=5).text
        assert 'id="demo-hint"' in login and "demo-password" in login
        fakes = [line.split("=", 1)[1] for line in
                 (tmp_path / "demo" / "fakes.env").read_text().splitlines()
                 if line.startswith("export TVMAZE_BASE_URL=")]
        assert fakes and _listening(fakes[0])
        output += _read_until(proc, "gained an episode", 30)
        deadline, live = time.monotonic() + 30, []
        while not live and time.monotonic() < deadline:
            time.sleep(0.5)
            live = [r for r in requests.get(f"{base}/api/sync-runs/", timeout=5, headers={
                "Authorization": f"Token {token}"}).json()["results"]
                if r["triggered_by"] == "plex listener" and r["status"] == "succeeded"]
        assert live, output
        assert live[0]["kind"] == "plex" and live[0]["summary"]["mode"] == "refresh"
        assert live[0]["summary"]["created"] == 1
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0
    assert not _listening(port)
    assert not _listening(fakes[0])
