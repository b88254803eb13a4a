"""Who owns a run: this process's identity, and whether another owner still lives.

A run records the host, process id and process start time of its owner, plus a random token
per start. On the same host a dead owner is detected at once (no such process, a zombie, or a
different process that reused the pid); across hosts only the lease can tell. "The same host"
means the same process table: containers that share a host name (host networking) each have
their own, where pid 1 is a different process, and two machines may share a name too.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# Tokens of the runs this process is executing right now: a run that names this very process
# but is not among them was left behind by an earlier task of the same process.
_live_tokens: set[str] = set()
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Owner:
    host: str
    pid: int
    started: int
    token: str


def _process_table_mark() -> str:
    """What tells this process table apart from others under the same host name: the boot
    and the pid namespace ("" parts where /proc cannot say)."""
    parts = []
    try:
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    except OSError:
        parts.append("")
    try:
        parts.append(os.readlink("/proc/self/ns/pid"))
    except OSError:
        parts.append("")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


@cache
def host_identity() -> str:
    """The host name and a mark of the process table whose pids a run's owner names."""
    return f"{socket.gethostname()[:91]}#{_process_table_mark()}"


def process_started(pid: int) -> int:
    """The process's start time in clock ticks since boot (Linux), 0 when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    # The command name may hold spaces and parentheses: fields follow the last ')'.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19]) if len(fields) > 19 else 0


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2:].startswith("Z")


def owner_new() -> Owner:
    """A fresh identity for one run start in this process."""
    pid = os.getpid()
    return Owner(host_identity(), pid, process_started(pid), secrets.token_hex(16))


def owner_register(token: str) -> None:
    with _lock:
        _live_tokens.add(token)


def owner_release(token: str) -> None:
    with _lock:
        _live_tokens.discard(token)


def owner_is_dead(*, host: str, pid: int | None, started: int | None, token: str) -> bool:
    """True only when we can see for certain that the owner is gone (same host only)."""
    if not pid or host != host_identity():
        return False
    if pid == os.getpid():  # alive; the run is dead if this process no longer runs it
        with _lock:
            return bool(token) and token not in _live_tokens  # no token: claimed, not started
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    if _is_zombie(pid):
        return True
    now_started = process_started(pid)
    return bool(started and now_started and now_started != started)
