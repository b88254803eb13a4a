"""Loopback HTTP/1.1 fake-server base: routing hook, request counts, faults, rate limit.

Subclasses implement ``handle`` (and ``endpoint_name`` for counts). Every response goes
out as one ``write`` with Nagle off, so keep-alive clients never stall ~40 ms on a delayed
ACK and benchmarks measure the code, not the fake.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

from requests.structures import CaseInsensitiveDict

from integrations.fakes._wire import Handler, Server

__all__ = [
    "FakeRequest",
    "FakeResponse",
    "FakeServer",
    "Fault",
    "json_response",
    "text_response",
]

FaultKind = Literal["status", "slow", "drop", "truncate", "nonjson"]
NONJSON_BODY = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>Bad Gateway</h1><p>cloudflare</p></body></html>"
)


@dataclass
class FakeRequest:
    """One parsed request as a fake's ``handle`` sees it (``headers`` is case-insensitive)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header, case-insensitively (``headers`` is case-insensitive too)."""
        value = self.headers.get(name)
        if value is None:
            lowered = name.lower()
            value = next((v for k, v in self.headers.items() if k.lower() == lowered), None)
        return default if value is None else value

    def json(self) -> Any:
        """The request body parsed as JSON (None when empty)."""
        return json.loads(self.body or b"null")


@dataclass
class FakeResponse:
    """What ``handle`` answers; Content-Length is added when it is sent."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> FakeResponse:
    """``obj`` serialized compactly (bytes are taken as already-rendered JSON)."""
    body = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return FakeResponse(status, body, {"Content-Type": "application/json; charset=utf-8",
                                       **(headers or {})})


def text_response(
    text: str,
    status: int = 200,
    content_type: str = "text/plain",
    headers: Mapping[str, str] | None = None,
) -> FakeResponse:
    return FakeResponse(status, text.encode(), {"Content-Type": f"{content_type}; charset=utf-8",
                                                **(headers or {})})


@dataclass
class Fault:
    """A failure to inject: ``status`` (with optional Retry-After), ``slow`` (answer after
    ``delay`` s), ``drop`` (hang up unanswered), ``truncate`` (full Content-Length, half the
    body, then close) or ``nonjson`` (200 with an HTML body)."""

    kind: FaultKind
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    body: bytes | None = None


@dataclass
class _Hook:
    callback: Callable[[FakeRequest], None]
    method: str | None
    path_prefix: str | None
    remaining: int


@dataclass
class _Armed:
    fault: Fault
    remaining: int
    path_prefix: str | None


class FakeServer:
    """Loopback HTTP/1.1 keep-alive server on its own thread (see module docstring)."""

    name: str = "fake"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.counts: Counter[str] = Counter()
        self.rate_limited = 0
        self.connections_opened = 0  # TCP connections accepted: shows keep-alive at work
        self._lock = threading.Lock()
        self._faults: list[_Armed] = []
        self._hooks: list[_Hook] = []
        self.hook_errors: list[BaseException] = []  # a failing callback, for the test to see
        self._limit: tuple[int, float] | None = None
        self._window: deque[float] = deque()
        self._httpd: Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # lifecycle -----------------------------------------------------------------------
    def start(self) -> Self:
        if self._httpd is None:
            self._httpd = Server((self.host, self.port), self)
            self.port = self._httpd.server_address[1]
            self._thread = threading.Thread(target=self._httpd.serve_forever,
                                            kwargs={"poll_interval": 0.05},
                                            name=f"{self.name}-fake", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and hang up on every kept-alive connection."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, connection: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(connection)
                self.connections_opened += 1
            else:
                self._connections.discard(connection)

    # subclass hooks ------------------------------------------------------------------
    def handle(self, request: FakeRequest) -> FakeResponse:
        return json_response({"message": "Not Found"}, status=404)

    def endpoint_name(self, request: FakeRequest) -> str:
        return f"{request.method} {request.path}"

    # counting ------------------------------------------------------------------------
    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.rate_limited = 0
            self.connections_opened = 0

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    # faults and rate limit -----------------------------------------------------------
    def inject(self, fault: Fault, *, times: int = 1, path_prefix: str | None = None) -> None:
        """The next ``times`` requests under ``path_prefix`` (any if None) get ``fault``."""
        with self._lock:
            self._faults.append(_Armed(fault, times, path_prefix))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._hooks.clear()

    def on_request(self, callback: Callable[[FakeRequest], None], *,
                   method: str | None = None, path_prefix: str | None = None,
                   times: int = 1) -> None:
        """Call ``callback(request)`` when the next ``times`` matching requests arrive,
        before they are answered: a test acts at that exact instant of a client's run (the
        client waits for its answer meanwhile)."""
        with self._lock:
            self._hooks.append(_Hook(callback, method, path_prefix, times))

    def enforce_rate_limit(self, calls: int, period: float) -> None:
        """Answer 429 to any request beyond ``calls`` in the last ``period`` s (all clients)."""
        with self._lock:
            self._limit = (calls, period) if calls > 0 else None
            self._window.clear()

    # dispatch ------------------------------------------------------------------------
    def _receive(self, handler: Handler, method: str, target: str,
                 headers: Mapping[str, str], body: bytes) -> None:
        split = urlsplit(target)
        request = FakeRequest(method, split.path, parse_qs(split.query, keep_blank_values=True),
                              CaseInsensitiveDict(headers.items()), body)
        if (request.header("Upgrade") or "").lower() == "websocket":
            with self._lock:
                self.counts[self.endpoint_name(request)] += 1
            handler.close_connection = True  # whatever happens, no HTTP request follows
            self.upgrade(request, handler)
            return
        self._dispatch(request, handler)

    def upgrade(self, request: FakeRequest, handler: Handler) -> None:
        """A WebSocket upgrade request; this fake serves none (a 404, then hang up)."""
        _send(handler, json_response({"message": "Not Found"}, status=404))

    def _dispatch(self, request: FakeRequest, handler: Handler) -> None:
        with self._lock:
            self.counts[self.endpoint_name(request)] += 1
            limited = self._over_limit()
            fault = None if limited else self._take_fault(request.path)
            hook = self._take_hook(request)
        if hook is not None:
            try:
                hook(request)
            except Exception as exc:  # the request is still answered; the test reads this
                self.hook_errors.append(exc)
        if limited:
            _send(handler, json_response({"message": "Too Many Requests"}, status=429))
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
            fault = None
        if fault is not None and fault.kind == "drop":
            handler.drop()
            return
        if fault is not None and fault.kind == "status":
            _send(handler, self._status_response(fault))
            return
        if fault is not None and fault.kind == "nonjson":
            _send(handler, FakeResponse(200, fault.body or NONJSON_BODY,
                                            {"Content-Type": "text/html; charset=utf-8"}))
            return
        try:
            response = self.handle(request)
        except Exception as exc:  # a bug in a fake must surface as a 500, not a hang
            response = json_response({"message": f"fake error: {exc!r}"}, status=500)
        _send(handler, response, truncate=fault is not None and fault.kind == "truncate")

    def _over_limit(self) -> bool:
        """Sliding window over arrival times; called with the lock held."""
        if self._limit is None:
            return False
        calls, period = self._limit
        now = time.monotonic()
        while self._window and self._window[0] <= now - period:
            self._window.popleft()
        if len(self._window) >= calls:
            self.rate_limited += 1
            return True
        self._window.append(now)
        return False

    def _take_hook(self, request: FakeRequest) -> Callable[[FakeRequest], None] | None:
        for hook in self._hooks:
            if ((hook.method is None or hook.method == request.method)
                    and (hook.path_prefix is None or request.path.startswith(hook.path_prefix))):
                hook.remaining -= 1
                if hook.remaining <= 0:
                    self._hooks.remove(hook)
                return hook.callback
        return None

    def _take_fault(self, path: str) -> Fault | None:
        for armed in self._faults:
            if armed.path_prefix is None or path.startswith(armed.path_prefix):
                armed.remaining -= 1
                if armed.remaining <= 0:
                    self._faults.remove(armed)
                return armed.fault
        return None

    @staticmethod
    def _status_response(fault: Fault) -> FakeResponse:
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(max(0, math.ceil(fault.retry_after)))
        if fault.body is not None:
            return FakeResponse(fault.status, fault.body,
                                {"Content-Type": "application/json", **headers})
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Injected fault"
        return json_response({"message": phrase}, fault.status, headers)


def _send(handler: Handler, response: FakeResponse, *, truncate: bool = False) -> None:
    handler.send_whole(response.status, response.headers, response.body, truncate=truncate)
