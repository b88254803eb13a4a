"""A real ``manage.py listen`` killed with SIGKILL while it holds an event it has not
submitted yet: the event is lost with it, a new listener takes the stream over, and the next
scan heals what the dead one never did (the successor runs in the test's process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from catalog.models import MediaItem, PlexListenerState, SyncRun
from tests.catalog.live.helpers import listener_for, settle, wait_for
from tests.catalog.sync.plex_fixtures import T0, scan
from tests.test_qcluster import _database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[3]


def _spawn(tmp_path: Path, window: float) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mediasync.settings_test",
           "DATA_DIR": str(tmp_path), "DATABASE_URL": _database_url(), "LOG_LEVEL": "warning"}
    return subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", "listen", "--window", str(window), "--reload", "1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _handled(server_id: int) -> int:
    row = PlexListenerState.objects.filter(server_id=server_id).first()
    return row.events_handled if row else 0


def test_a_listener_killed_holding_an_event_loses_nothing_the_next_scan_needs(
        fake, library, tmp_path):
    hub = fake.notifications
    # A 10-minute window: whatever it hears, the victim submits nothing before it dies.
    victim = _spawn(tmp_path, 600)
    try:
        assert hub.wait_for_clients(1, timeout=30)
        missed = fake.add_episode(fake.shows_of("1")[0].rk)
        assert wait_for(lambda: _handled(library.server_id) >= 1, timeout=10)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    assert not SyncRun.objects.filter(triggered_by="plex listener").exists()
    assert not MediaItem.objects.filter(library=library, rating_key=missed).exists()
    successor, clock = listener_for()  # the next listener (here, to keep the test short)
    successor.step()
    try:
        assert hub.wait_for_clients(1, accepted=2, timeout=10)
        seen = fake.add_episode(fake.shows_of("1")[1].rk)  # it works at once
        settle(successor, clock, library.server_id, 1)
        assert MediaItem.objects.filter(library=library, rating_key=seen).exists()
    finally:
        successor.shutdown()
    healed = scan(library, fake, T0 + timedelta(hours=1))
    assert healed.summary["complete"]
    assert MediaItem.objects.get(library=library, rating_key=missed).state == "active"
