"""The suite cannot reach a real Sonarr or Plex on a developer's machine (upstream_guard)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from integrations.fakes.sonarr import SonarrFake
from tests import factories
from tests.upstream_guard import CLOSED_URL, RealUpstreamError

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("host", "port"), [
    ("127.0.0.1", 8989), ("localhost", 32400), ("::1", 8989), ("0.0.0.0", 7878),
    ("127.0.0.2", 8096),
])
def test_connecting_to_a_real_upstream_port_fails_naming_the_test(upstream_guard, request,
                                                                   host, port):
    with pytest.raises(RealUpstreamError) as refused:
        socket.create_connection((host, port), timeout=1)
    assert request.node.nodeid in str(refused.value)
    assert f":{port}" in str(refused.value) and "no fake of the test" in str(refused.value)
    assert isinstance(refused.value, ConnectionRefusedError)  # what "nothing listens" raises
    (hit,) = upstream_guard.take_hits()  # forgiven: this test meant it
    assert request.node.nodeid in hit


def test_connect_ex_is_guarded_too(upstream_guard, request):
    with socket.socket() as sock, pytest.raises(RealUpstreamError, match=request.node.name):
        sock.connect_ex(("127.0.0.1", 8989))
    assert len(upstream_guard.take_hits()) == 1


def test_other_ports_and_hosts_are_left_alone(upstream_guard):
    with socket.socket() as sock:  # the closed port factories use: refused by the kernel
        assert sock.connect_ex(("127.0.0.1", 9)) != 0
    assert upstream_guard.take_hits() == []


def test_a_fake_of_the_test_listening_on_a_guarded_port_may_be_reached(upstream_guard):
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            server.bind(("127.0.0.1", 8989))
        except OSError:
            pytest.skip("something on this machine already listens on 8989")
        server.listen()
        with socket.create_connection(("127.0.0.1", 8989), timeout=2):
            pass
    assert upstream_guard.take_hits() == []


def test_fakes_on_random_ports_are_reached_as_before(upstream_guard):
    with SonarrFake(version=SonarrFake.V4, catalog_size=3) as fake, \
            socket.create_connection(("127.0.0.1", fake.port), timeout=2):
        pass
    assert upstream_guard.take_hits() == []


def test_factories_point_at_a_closed_port():
    assert factories.SonarrServerFactory.url == CLOSED_URL
    assert factories.PlexServerFactory.url == CLOSED_URL
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex(("127.0.0.1", 9)) != 0  # nothing listens there


def test_a_test_whose_code_swallows_the_refusal_still_fails_naming_itself(tmp_path):
    """Run in a pytest of its own: a test whose client catches the error (as a Sonarr client
    reporting "down" would) is failed all the same, with its node id in the report."""
    (tmp_path / "test_reaches.py").write_text(textwrap.dedent("""
        import socket

        def test_reaches_a_real_sonarr():
            try:
                socket.create_connection(("127.0.0.1", 8989), timeout=1)
            except OSError:
                pass  # "Sonarr is down": the code under test carries on

        def test_stays_home():
            pass
    """))
    result = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.upstream_guard", "-p", "no:django",
         "-p", "no:xdist", "-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir",
         str(tmp_path), "-c", os.devnull, str(tmp_path / "test_reaches.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "FAILED" in result.stdout and "test_reaches.py::test_reaches_a_real_sonarr" \
        in result.stdout
    assert "test_reaches.py::test_reaches_a_real_sonarr connected to 127.0.0.1:8989" \
        in result.stdout
