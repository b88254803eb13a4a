"""The benchmarks never reach a real upstream on the benchmarking machine: servers a scenario
creates but does not sync point at the closed loopback port the test factories use, and no
scenario names a port a real Sonarr, Plex, Radarr or Jellyfin listens on."""

from __future__ import annotations

import re
from pathlib import Path

from bench.harness import CLOSED_URL as BENCH_CLOSED_URL
from tests.upstream_guard import CLOSED_URL, GUARDED_PORTS

BENCH = Path(__file__).resolve().parent.parent / "bench"
LOOPBACK_PORT = re.compile(r"(?:127\.0\.0\.1|localhost|\[::1\]|0\.0\.0\.0):(\d+)")


def test_the_bench_closed_url_is_the_factories_closed_port() -> None:
    assert BENCH_CLOSED_URL == CLOSED_URL


def test_no_bench_scenario_names_a_real_upstreams_port() -> None:
    named = {(path.name, int(port)) for path in sorted(BENCH.glob("*.py"))
             for port in LOOPBACK_PORT.findall(path.read_text())}
    assert {(name, port) for name, port in named if port in GUARDED_PORTS} == set()
