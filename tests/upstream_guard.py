"""No test may reach a real upstream on the developer's machine.

A developer running Sonarr (8989), Plex (32400), Radarr (7878) or Jellyfin/Emby (8096) on
this machine must never get requests from the suite. For the whole session,
``socket.socket.connect`` / ``connect_ex`` (which ``socket.create_connection``, urllib3 and
asyncio all go through) refuse a connection to one of those ports on a loopback or
unspecified address unless a socket of this process (a fake the test started) listens there.
The refusal is a ``ConnectionRefusedError`` whose message names the test, so the code under
test sees what it would see with nothing listening; and since that code may swallow it (a
client that reports "Sonarr is down"), the test is failed all the same (a makereport hook).

The guard lives in each pytest process (xdist workers included); subprocesses a test starts
are not guarded, which is fine: they are pointed at fakes or closed ports by their tests.
Factories use ``CLOSED_URL`` (port 9, the discard port, where nothing listens).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import weakref
from collections.abc import Iterator

import pytest

CLOSED_PORT = 9
CLOSED_URL = f"http://127.0.0.1:{CLOSED_PORT}"
GUARDED_PORTS = {8989: "Sonarr", 32400: "Plex", 7878: "Radarr", 8096: "Jellyfin/Emby"}


class RealUpstreamError(ConnectionRefusedError):
    """A test tried to reach a real upstream's port where no fake of its own listens."""


def current_test() -> str:
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    return current.rsplit(" (", 1)[0] if current else "<outside any test>"


def _is_local(host: object) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


class _Guard:
    def __init__(self) -> None:
        self.hits: list[str] = []
        self._lock = threading.Lock()
        self._bound: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._originals: dict[str, object] = {}

    def listening_here(self, port: int) -> bool:
        """A live socket of this process (a test's fake) is bound to the port."""
        for sock in list(self._bound):
            try:
                if sock.fileno() != -1 and sock.getsockname()[1] == port:
                    return True
            except OSError:
                continue
        return False

    def check(self, address: object) -> None:
        if not isinstance(address, tuple) or len(address) < 2:
            return  # Unix sockets and the like
        host, port = address[0], address[1]
        if port not in GUARDED_PORTS or not _is_local(host) or self.listening_here(port):
            return
        test = current_test()
        message = (f"{test} connected to {host}:{port}, where a real {GUARDED_PORTS[port]} "
                   "listens on a developer's machine, and no fake of the test does: point "
                   f"it at a fake (integrations.fakes) or at a closed port ({CLOSED_URL})")
        with self._lock:
            self.hits.append(message)
        raise RealUpstreamError(message)

    def install(self) -> None:
        original_connect = socket.socket.connect
        original_connect_ex = socket.socket.connect_ex
        original_bind = socket.socket.bind
        self._originals = {"connect": original_connect, "connect_ex": original_connect_ex,
                           "bind": original_bind}
        guard = self

        def connect(sock: socket.socket, address: object) -> None:
            guard.check(address)
            return original_connect(sock, address)

        def connect_ex(sock: socket.socket, address: object) -> int:
            guard.check(address)
            return original_connect_ex(sock, address)

        def bind(sock: socket.socket, address: object) -> None:
            original_bind(sock, address)
            guard._bound.add(sock)

        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.socket.bind = bind  # type: ignore[method-assign]

    def uninstall(self) -> None:
        for name, original in self._originals.items():
            setattr(socket.socket, name, original)
        self._originals = {}

    def take_hits(self) -> list[str]:
        with self._lock:
            hits, self.hits = self.hits, []
        return hits


GUARD = _Guard()


@pytest.fixture(scope="session", autouse=True)
def _no_real_upstreams() -> Iterator[_Guard]:
    GUARD.install()
    yield GUARD
    GUARD.uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Fails the phase (setup, call or teardown) in which the test tried a guarded port,
    even if its code swallowed the refusal."""
    report = yield
    hits = list(dict.fromkeys(GUARD.take_hits()))
    if hits:
        text = "\n".join(hits)
        if report.passed:
            report.outcome = "failed"
            report.longrepr = text
        else:
            report.sections.append(("real upstream reached", text))
    return report


@pytest.fixture
def upstream_guard(_no_real_upstreams: _Guard) -> _Guard:
    """For tests of the guard itself: ``upstream_guard.take_hits()`` forgives what it took."""
    return _no_real_upstreams
