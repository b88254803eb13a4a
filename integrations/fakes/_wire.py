"""HTTP mechanics of the fakes: a quiet keep-alive handler that answers in one segment.

Split from ``base`` so that module holds only what a fake *does* (routing hooks, counts,
faults, rate limit); this one holds how bytes go out (Nagle off, one write per answer).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol


class Receiver(Protocol):
    """What the server calls back into (``FakeServer`` implements it)."""

    def _receive(self, handler: Handler, method: str, target: str,
                 headers: Mapping[str, str], body: bytes) -> None: ...

    def _track(self, connection: socket.socket, *, add: bool) -> None: ...


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a fake answering thousands of requests must not flood test output."""

    def setup(self) -> None:
        super().setup()
        self.server.receiver._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.receiver._track(self.connection, add=False)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.receiver._receive(self, self.command, self.path, self.headers, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def send_whole(self, status: int, headers: Mapping[str, str | None], body: bytes, *,
                   truncate: bool = False) -> None:
        """Status line, headers and body in one write (half the body when truncating); a
        header given as None is left out (``"Date": None``: a server without a clock)."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}", "Server: mediasync-fake"]
        if "Date" not in headers:  # a fake with a clock of its own sends its own
            lines.append(f"Date: {self.date_time_string()}")
        lines += [f"{name}: {value}" for name, value
                  in {"Content-Length": str(len(body)), **headers}.items() if value is not None]
        if truncate:
            body = body[: len(body) // 2]
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head if self.command == "HEAD" else head + body)
        self.wfile.flush()
        if truncate:
            self.drop()

    def drop(self) -> None:
        """Close the socket without saying anything (more)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], receiver: Receiver) -> None:
        self.receiver = receiver
        super().__init__(address, Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer is routine for a fault-injecting fake."""
