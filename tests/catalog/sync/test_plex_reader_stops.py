"""The Plex episode reader (``prefetched``: a thread with a bounded queue, read ahead of the
writer) stops when the writer fails: ``flat_episodes`` closes it whatever ends the loop, so a
lost run leaves no thread behind, and a process interrupted while writing (Ctrl-C, SIGTERM's
``Interrupted``) exits instead of waiting at shutdown for a reader polling its full queue."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from catalog.runs import RunLost
from catalog.sync.plex import flat
from integrations.values import Page

ROOT = Path(__file__).resolve().parents[3]


def _endless(key, *, kind, start):
    return Page(tuple(range(200)), str(start + 200), total=10**6)


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("plex-episodes")]


def test_a_writer_that_loses_its_run_leaves_no_reader_running(monkeypatch):
    def lost(*args, **kwargs):
        raise RunLost("taken over")

    monkeypatch.setattr(flat, "items_pages", lost)
    with pytest.raises(RunLost) as excinfo:  # a handler holding the exception, as log.exception
        flat.flat_episodes(SimpleNamespace(client=SimpleNamespace(items=_endless), key="1"))
    # No wait: closing the listing joins its reader before the exception leaves flat_episodes,
    # while the exception (and its traceback) is still held here.
    assert excinfo.value is not None
    assert [t.name for t in _readers() if t.is_alive()] == []


SCRIPT = """
import django
django.setup()
from types import SimpleNamespace
from catalog.sync.plex import flat
from integrations.values import Page

def items(key, *, kind, start):
    return Page(tuple(range(200)), str(start + 200), total=10**6)

def interrupted(*args, **kwargs):  # Ctrl-C or SIGTERM while a batch is written
    raise KeyboardInterrupt

flat.items_pages = interrupted
flat.flat_episodes(SimpleNamespace(client=SimpleNamespace(items=items), key="1"))
"""


def test_a_process_interrupted_while_writing_a_batch_exits(tmp_path):
    env = {**os.environ, "DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT),
           "DJANGO_SETTINGS_MODULE": "mediasync.settings"}
    env.pop("DATABASE_URL", None)
    try:
        done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,  # noqa: S603
                              text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("the process hung at exit: the episode reader thread never stopped")
    assert "KeyboardInterrupt" in done.stderr
