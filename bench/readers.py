"""Readers during a write: the TVMaze full mirror while eight API clients read the catalog.

The app is served as it is deployed (gunicorn, ``WEB_CONCURRENCY`` workers, the same
database); the clients run in a process of their own, each reading show pages and single
shows in a loop with a viewer's token. The mirror's CPU is the syncing process's alone; the
reads' p50/p95 say whether a page write holds readers up (a lock, a long transaction).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.apireaders import read_until_told
from bench.fakeproc import FakeProcess
from bench.harness import Row, measure
from bench.tvmaze import START, _sync
from integrations.fakes.ports import free_port
from integrations.fakes.tvmaze import TvmazeFake
from integrations.tvmaze import TvmazeClient

CLIENTS = 8

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 500


def _server(port: int) -> subprocess.Popen:
    env = {**os.environ, "LOG_LEVEL": "warning"}
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "mediasync.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", os.environ.get("WEB_CONCURRENCY", "2")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_up(url: str, server: subprocess.Popen) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited before serving")
        try:
            requests.get(url + "/health", timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _viewer_token() -> str:
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    from catalog.auth.roles import VIEWER_GROUP

    user = User.objects.create_user("bench-reader", password=None)
    user.groups.add(Group.objects.get_or_create(name=VIEWER_GROUP)[0])
    return Token.objects.create(user=user).key


def run(shows: int) -> list[Row]:
    token, port = _viewer_token(), free_port()
    url = f"http://127.0.0.1:{port}"
    server = _server(port)
    try:
        _wait_up(url, server)
        with FakeProcess(TvmazeFake, count=shows, seed=11, start_ts=START) as fake:
            fake.call("prerender")
            client = TvmazeClient.build(base_url=fake.url, rate_limit=None)
            spawn = mp.get_context("spawn")
            conn, child = spawn.Pipe()
            reader = spawn.Process(target=read_until_told, args=(url, token, CLIENTS, child))
            reader.start()
            conn.recv()
            row, _ = measure(f"tvmaze full sync, {CLIENTS} API readers ({shows:,})",
                             f"reads p95 < {TARGET_P95_MS} ms",
                             lambda: _sync(client, datetime.fromtimestamp(START, tz=UTC)),
                             lambda: fake.call("total_requests"))
            conn.send("done")
            latencies, errors = conn.recv()
            reader.join(timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ordered = sorted(latencies) or [0.0]
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    row.note = (f"{len(latencies):,} reads, p50 {statistics.median(ordered) * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, errors {len(errors)}"
                + (f" ({Counter(errors).most_common(3)})" if errors else ""))
    return [row]
