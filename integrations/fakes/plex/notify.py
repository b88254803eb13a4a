"""The Plex fake's notification WebSocket (``/:/websockets/notifications``), served with wsproto.

The fake's HTTP handler hands an upgrade request to ``NotificationHub.serve``, which does the
RFC 6455 handshake with wsproto and then, in that handler's thread, sends whatever
``publish`` queued for it and answers the client's pings and close. Tests and the demo drive
it: mutations of the fake publish the timeline entries Plex would send, ``section_scan``
publishes a scan's activity and per-item burst, ``drop`` hangs up on every client,
``refuse`` answers new handshakes with 503 (a server restarting), and ``publish_frame`` sends
raw bytes (a frame header announcing gigabytes, say) as a hostile or broken server would.
"""

from __future__ import annotations

import contextlib
import json
import queue
import select
import socket
import struct
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

PATH = "/:/websockets/notifications"
LIBRARY = "com.plexapp.plugins.library"
TYPES = {"movie": 1, "show": 2, "season": 3, "episode": 4}
_POLL = 0.02


def timeline(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = list(entries)
    return {"NotificationContainer": {"type": "timeline", "size": len(rows),
                                      "TimelineEntry": rows}}


def timeline_entry(section: str, rk: int | str, kind: str, state: int, title: str = "",
                   updated_at: int = 0) -> dict[str, Any]:
    return {"identifier": LIBRARY, "sectionID": int(section), "itemID": int(rk),
            "type": TYPES[kind], "title": title, "state": state,
            "metadataState": "created" if state == 0 else "", "updatedAt": updated_at}


def activity(event: str, uuid: str, section: str, *, kind: str = "library.update.section",
             progress: int = 0) -> dict[str, Any]:
    return {"NotificationContainer": {"type": "activity", "size": 1, "ActivityNotification": [
        {"event": event, "uuid": uuid, "Activity": {
            "uuid": uuid, "type": kind, "cancellable": False, "userID": 1,
            "title": "Scanning", "subtitle": "", "progress": progress,
            "Context": {"accessible": True, "exists": True, "refreshed": False,
                        "key": f"/library/sections/{section}",
                        "librarySectionID": str(section)}}}]}}


def text_frame_header(length: int, *, fin: bool = True, continuation: bool = False) -> bytes:
    """An unmasked server frame's header announcing ``length`` payload bytes (RFC 6455)."""
    first = (0x80 if fin else 0) | (0x0 if continuation else 0x1)
    if length < 126:
        return bytes([first, length])
    if length < 2**16:
        return bytes([first, 126]) + struct.pack("!H", length)
    return bytes([first, 127]) + struct.pack("!Q", length)


class _Client:
    def __init__(self) -> None:
        # (raw, data): raw bytes go out as they are, the rest as one text message each
        self.outbox: queue.SimpleQueue[tuple[bool, bytes] | None] = queue.SimpleQueue()
        self.closed = threading.Event()


class NotificationHub:
    """Every connected notification client of one fake, and what is sent to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: list[_Client] = []
        self.refusing = False
        self.accepted = 0  # handshakes accepted, ever
        self.sent = 0  # messages queued to clients, ever
        self.connected = threading.Condition(self._lock)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def wait_for_clients(self, count: int = 1, *, accepted: int | None = None,
                         timeout: float = 5.0) -> bool:
        """Until ``count`` clients are connected (and ``accepted`` handshakes happened)."""
        with self.connected:
            return self.connected.wait_for(
                lambda: len(self._clients) >= count
                and (accepted is None or self.accepted >= accepted), timeout)

    def publish(self, message: Mapping[str, Any]) -> int:
        """Queue one JSON message to every client; returns how many got it."""
        return self.publish_raw(json.dumps(message, separators=(",", ":")))

    def publish_raw(self, text: str) -> int:
        return self._put(False, text.encode())

    def publish_frame(self, data: bytes) -> int:
        """Send these bytes as they are, between messages (a frame of one's own making)."""
        return self._put(True, data)

    def _put(self, raw: bool, data: bytes) -> int:
        with self._lock:
            for client in self._clients:
                client.outbox.put((raw, data))
            self.sent += len(self._clients)
            return len(self._clients)

    def drop(self) -> None:
        """Hang up on every client now, without a close frame."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            client.closed.set()
            client.outbox.put(None)

    def serve(self, connection: socket.socket, request_line: str,
              headers: Mapping[str, str], authorized: bool) -> None:
        """Run one client's connection in the calling (handler) thread until it ends."""
        ws = WSConnection(ConnectionType.SERVER)
        head = "\r\n".join([request_line, *(f"{k}: {v}" for k, v in headers.items())])
        ws.receive_data((head + "\r\n\r\n").encode("latin-1"))
        if not any(isinstance(event, Request) for event in ws.events()):
            return
        if not authorized or self.refusing:
            status = 401 if not authorized else 503
            connection.sendall(ws.send(RejectConnection(status_code=status, headers=[
                (b"content-length", b"0")])))
            return
        client = _Client()  # registered before the client hears it is connected
        with self.connected:
            self._clients.append(client)
            self.accepted += 1
            self.connected.notify_all()
        try:
            connection.sendall(ws.send(AcceptConnection()))
            self._pump(ws, connection, client)
        finally:
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @staticmethod
    def _pump(ws: WSConnection, connection: socket.socket, client: _Client) -> None:
        while not client.closed.is_set():
            try:
                while True:
                    item = client.outbox.get_nowait()
                    if item is None or client.closed.is_set():
                        return
                    raw, data = item
                    connection.sendall(data if raw else ws.send(Message(data=data.decode())))
            except queue.Empty:
                pass
            except OSError:
                return
            readable, _, _ = select.select([connection], [], [], _POLL)
            if not readable:
                continue
            try:
                chunk = connection.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            ws.receive_data(chunk)
            for event in ws.events():
                if isinstance(event, Ping):
                    connection.sendall(ws.send(event.response()))
                elif isinstance(event, CloseConnection):
                    with contextlib.suppress(Exception):
                        connection.sendall(ws.send(event.response()))
                    return
                elif isinstance(event, TextMessage):
                    continue
