"""A command or schedule killed after claiming its run but before starting it: the run names
no worker yet, and must not hold its scope until a queue's redelivery window passes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from catalog.models import SyncRun
from catalog.runs import run_claim
from tests.crash.procs import ROOT, SLOW_MACHINE, subprocess_env

# The real in-process path (manage.py sync, a schedule), killed between the claim and the start.
CLAIM_THEN_DIE = """
import os, signal, django
django.setup()
from catalog.runs import execute as services
services.job_run = lambda run: os.kill(os.getpid(), signal.SIGKILL)
services.sync_run_now(kind="tvmaze", options={"full": True}, triggered_by="command")
"""


@pytest.mark.django_db(transaction=True)
def test_a_sync_killed_between_claim_and_start_frees_its_scope_at_once(tmp_path):
    proc = subprocess.run([sys.executable, "-c", CLAIM_THEN_DIE], cwd=ROOT,  # noqa: S603
                          env=subprocess_env(tmp_path), capture_output=True, text=True,
                          timeout=SLOW_MACHINE)
    assert proc.returncode == -9, proc.stderr
    left = SyncRun.objects.get()
    assert left.status == SyncRun.Status.QUEUED
    again = run_claim(kind="tvmaze", scope="catalog")  # the re-run, at once
    left.refresh_from_db()
    assert (left.status, again.status) == (SyncRun.Status.FAILED, SyncRun.Status.QUEUED)
    assert left.error.startswith("abandoned: the process that claimed it")
