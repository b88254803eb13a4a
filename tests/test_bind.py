"""`make run` listens on loopback unless BIND says otherwise; the image listens everywhere."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _web_command(tmp_path: Path, **env: str) -> str:
    """The gunicorn command line ``bin/mediasync web`` would run (python is a recorder)."""
    recorder = tmp_path / "python"
    recorder.write_text('#!/bin/sh\necho "$@"\n')
    recorder.chmod(0o755)
    script = str(ROOT / "bin" / "mediasync")
    result = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [script, "web"], cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={"PATH": os.environ["PATH"], "PYTHON": str(recorder), **env},
    )
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if "gunicorn" in line)


@pytest.mark.parametrize(("bind", "expected"), [
    (None, "--bind 127.0.0.1:8000"),
    ("0.0.0.0", "--bind 0.0.0.0:8000"),
    ("::", "--bind [::]:8000"),
    ("[::1]", "--bind [::1]:8000"),
    ("192.168.1.2", "--bind 192.168.1.2:8000"),
])
def test_it_binds_loopback_unless_bind_says_otherwise(tmp_path, bind, expected):
    env = {"BIND": bind} if bind is not None else {}
    assert expected in _web_command(tmp_path, **env)


def test_it_binds_every_interface_in_the_container_image():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "BIND=0.0.0.0" in dockerfile
