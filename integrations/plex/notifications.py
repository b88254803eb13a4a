"""Plex's notification stream: one WebSocket per server, read with websocket-client.

The token travels in the ``X-Plex-Token`` header of the handshake only: never in the URL,
never in a log line or an error's text (every message passes the scrubber, which knows the
token's value). A redirect is followed only to the same origin (scheme, host, port); one to
another origin is refused before anything is sent there, as for every credentialed request
(``integrations.http_redirects``). Every failure is an ``UpstreamError``; a dead connection
is a ``TransientError`` with ``lost`` set.

A message is capped at ``MAX_MESSAGE`` bytes where the frames are read, not after: a frame
announcing more (or fragments adding up to more) ends the connection as soon as its length is
known, before its payload is read, so a hostile or broken server cannot make us buffer
gigabytes. websocket-client has no size option, so its frame reader and fragment assembler
(``websocket._abnf``, pinned in requirements.txt) are replaced by capped subclasses.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import websocket
from websocket._abnf import ABNF, continuous_frame, frame_buffer

from integrations.errors import (
    AuthError,
    InvalidError,
    Scrubber,
    TransientError,
    UpstreamError,
    error_for_status,
)
from integrations.http import DEFAULT_SECRET_NAMES
from integrations.http_redirects import origin
from integrations.plex.events import MAX_MESSAGE

__all__ = ["PATH", "FrameTooLarge", "NotificationSocket", "notifications_url"]

UPSTREAM = "plex"
PATH = "/:/websockets/notifications"
MAX_REDIRECTS = 3
PING_AFTER = 20.0  # seconds of silence before we ping
DEAD_AFTER = 45.0  # seconds of silence (a ping unanswered) before the connection is dead


class FrameTooLarge(websocket.WebSocketPayloadException):
    """A frame, or a fragmented message, longer than the cap: the connection is dropped."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a message of {size} bytes is over the {limit}-byte limit")
        self.size, self.limit = size, limit


class _CappedFrames(frame_buffer):
    """websocket-client's frame reader, refusing a frame once its header announces more than
    ``limit`` bytes (before any of the payload is buffered)."""

    def __init__(self, recv: Callable[[int], bytes], skip_utf8_validation: bool,
                 limit: int) -> None:
        super().__init__(recv, skip_utf8_validation)
        self.limit = limit

    def recv_length(self) -> None:
        super().recv_length()
        if self.length is not None and self.length > self.limit:
            raise FrameTooLarge(self.length, self.limit)


class _CappedFragments(continuous_frame):
    """websocket-client's fragment assembler, refusing a message whose fragments add up to
    more than ``limit`` bytes."""

    def __init__(self, fire_cont_frame: bool, skip_utf8_validation: bool, limit: int) -> None:
        super().__init__(fire_cont_frame, skip_utf8_validation)
        self.limit = limit

    def add(self, frame: ABNF) -> None:
        held = len(self.cont_data[1]) if self.cont_data else 0
        if held + len(frame.data) > self.limit:
            raise FrameTooLarge(held + len(frame.data), self.limit)
        super().add(frame)


class CappedWebSocket(websocket.WebSocket):
    """A ``websocket.WebSocket`` whose messages are at most ``max_size`` bytes."""

    def __init__(self, *args: Any, max_size: int = MAX_MESSAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        frames, fragments = self.frame_buffer, self.cont_frame
        self.frame_buffer = _CappedFrames(frames.recv, frames.skip_utf8_validation, max_size)
        self.cont_frame = _CappedFragments(fragments.fire_cont_frame,
                                           fragments.skip_utf8_validation, max_size)


def notifications_url(base_url: str) -> str:
    """``ws(s)://host:port/:/websockets/notifications`` for a server's http(s) address."""
    parts = urlsplit(base_url.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path + PATH, "", ""))


class NotificationSocket:
    """One connection to one server's stream: ``connect``, then ``receive`` in a loop."""

    def __init__(self, base_url: str, token: str, *, connect_timeout: float = 5.0,
                 poll: float = 1.0) -> None:
        self.url = notifications_url(base_url)
        self._token = token
        self._connect_timeout = connect_timeout
        self._poll = poll
        self._ws: CappedWebSocket | None = None
        self._heard = 0.0
        self._pinged = False
        self.scrubber = Scrubber.for_config(DEFAULT_SECRET_NAMES, {"X-Plex-Token": token})

    def __repr__(self) -> str:
        return f"NotificationSocket(url={self.url!r}, token='***')"

    def connect(self) -> None:
        """Open the stream (following same-origin redirects only); raises UpstreamError."""
        url = self.url
        for _ in range(MAX_REDIRECTS + 1):
            ws = CappedWebSocket(enable_multithread=True)
            try:
                ws.connect(url, header={"X-Plex-Token": self._token}, redirect_limit=0,
                           timeout=self._connect_timeout, suppress_origin=True)
            except websocket.WebSocketBadStatusException as exc:
                raise self._status_error(exc.status_code, url) from None
            except websocket.WebSocketException as exc:
                target = self._redirect_target(ws, url)
                if target is None:
                    raise self._error(TransientError, f"handshake failed: {exc}", url) from None
                url = target
                continue
            except (OSError, ssl.SSLError, ValueError) as exc:
                raise self._error(TransientError, f"cannot connect ({type(exc).__name__}: "
                                  f"{exc})", url) from None
            ws.settimeout(self._poll)
            self._ws, self._heard, self._pinged = ws, time.monotonic(), False
            return
        raise self._error(InvalidError, f"more than {MAX_REDIRECTS} redirects", self.url)

    def _redirect_target(self, ws: websocket.WebSocket, url: str) -> str | None:
        """Where a redirect points, when it stays on the origin; refuses any other origin."""
        response = ws.handshake_response
        location = response.headers.get("location") if response is not None else None
        if response is None or response.status not in (301, 302, 303, 307, 308) or not location:
            return None
        target = urljoin(url.replace("ws", "http", 1), location)
        target = target.replace("http", "ws", 1)
        if origin(target.replace("ws", "http", 1)) != origin(url.replace("ws", "http", 1)):
            raise self._error(InvalidError, f"refused a redirect to {target} (the token is only "
                              f"sent to {self.url.split(PATH)[0]}): fix the server's URL", url)
        return target

    def receive(self) -> str | None:
        """The next text message, or None when nothing came within the poll interval (so
        that the caller can look around); raises TransientError once the stream is dead."""
        ws = self._ws
        if ws is None:
            raise self._error(TransientError, "not connected", self.url)
        try:
            opcode, frame = ws.recv_data_frame(True)
        except websocket.WebSocketTimeoutException:
            return self._silence()
        except FrameTooLarge as exc:
            self.close()
            raise self._error(TransientError, f"dropped the stream: {exc}", self.url) from None
        except (websocket.WebSocketException, OSError, ssl.SSLError, ValueError) as exc:
            self.close()
            raise self._error(TransientError, f"connection lost ({type(exc).__name__})",
                              self.url) from None
        self._heard, self._pinged = time.monotonic(), False
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            self.close()
            raise self._error(TransientError, "the server closed the stream", self.url)
        if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
            data = frame.data
            return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        return None  # ping, pong, continuation bookkeeping

    def _silence(self) -> None:
        quiet = time.monotonic() - self._heard
        if quiet > DEAD_AFTER:
            self.close()
            raise self._error(TransientError, f"no answer for {int(quiet)} s", self.url)
        if quiet > PING_AFTER and not self._pinged and self._ws is not None:
            try:
                self._ws.ping()
            except (websocket.WebSocketException, OSError):
                self.close()
                raise self._error(TransientError, "connection lost on ping", self.url) from None
            self._pinged = True
        return None

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is None:
            return
        try:
            ws.close(timeout=0.2)
        except (websocket.WebSocketException, OSError, ValueError):
            pass
        finally:
            ws.shutdown()

    def _status_error(self, status: int, url: str) -> UpstreamError:
        if status in (401, 403):
            return self._error(AuthError, "unauthorized: check the Plex token", url, status)
        cls = error_for_status(status)
        return self._error(cls, "the server refused the stream", url, status)

    def _error(self, cls: type[UpstreamError], message: str, url: str,
               status: int | None = None) -> UpstreamError:
        return cls(self.scrubber.text(message), upstream=UPSTREAM, method="GET",
                   url=self.scrubber.url(url), status=status)
