"""Settings read from the environment fail loudly, naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from mediasync.env import SettingsError, envbool, envint, envstr, envurl

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("reader", "env", "needle"),
    [
        (lambda e: envint("TMDB_CACHE_TTL_DAYS", 7, minimum=0, env=e),
         {"TMDB_CACHE_TTL_DAYS": "-1"}, "TMDB_CACHE_TTL_DAYS"),
        (lambda e: envint("PORT", 8000, env=e), {"PORT": "eighty"}, "PORT"),
        (lambda e: envbool("DEBUG", False, env=e), {"DEBUG": "maybe"}, "DEBUG"),
        (lambda e: envurl("DATABASE_URL", None, schemes=("sqlite", "postgres"), env=e),
         {"DATABASE_URL": "mysql://u:hunter2@db/x"}, "DATABASE_URL"),
        (lambda e: envurl("TMDB_BASE_URL", None, schemes=("http", "https"), env=e),
         {"TMDB_BASE_URL": "https://"}, "TMDB_BASE_URL"),
    ],
)
def test_it_names_the_variable_of_a_bad_value(reader, env, needle):
    with pytest.raises(SettingsError) as excinfo:
        reader(env)
    assert str(excinfo.value).startswith(needle)


def test_it_never_echoes_a_password_from_a_bad_url():
    with pytest.raises(SettingsError) as excinfo:
        envurl("DATABASE_URL", None, schemes=("postgres",),
               env={"DATABASE_URL": "mysql://u:hunter2@db/x"})
    assert "hunter2" not in str(excinfo.value)


def test_it_reads_secrets_from_file_variants(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    assert envstr("TMDB_API_KEY", env={"TMDB_API_KEY_FILE": str(secret)}) == "from-a-file"


def test_it_reports_an_unreadable_secret_file(tmp_path):
    with pytest.raises(SettingsError, match="TMDB_API_KEY_FILE"):
        envstr("TMDB_API_KEY", env={"TMDB_API_KEY_FILE": str(tmp_path / "missing")})


def test_a_secret_file_it_may_not_read_names_the_uid_and_the_fix(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    with mock.patch("builtins.open", side_effect=PermissionError(13, "Permission denied")), \
            pytest.raises(SettingsError) as excinfo:
        envstr("TMDB_API_KEY", env={"TMDB_API_KEY_FILE": str(secret)})
    uid = os.getuid()
    assert str(excinfo.value) == (f"TMDB_API_KEY_FILE: cannot read {str(secret)!r} as uid {uid}: "
                                  f"run `sudo chown {uid} {secret}` or `chmod 644 {secret}`")


def test_a_directory_in_place_of_a_secret_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match="is a directory, not a file"):
        envstr("TMDB_API_KEY", env={"TMDB_API_KEY_FILE": str(tmp_path)})


def _manage_check(extra: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "mediasync.settings", "DATA_DIR": str(tmp_path)})
    env.update(extra)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_it_stops_start_up_with_one_clear_line(tmp_path):
    result = _manage_check({"TMDB_CACHE_TTL_DAYS": "-3"}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["configuration error: TMDB_CACHE_TTL_DAYS: must be at least 0, got -3"]


def test_it_generates_and_keeps_a_secret_key_in_the_data_dir(tmp_path):
    env_extra = {"SECRET_KEY": ""}
    assert _manage_check(env_extra, tmp_path).returncode == 0
    first = (tmp_path / "secret_key").read_text()
    assert _manage_check(env_extra, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == first and len(first) > 40


@pytest.mark.parametrize("extra", [{"RUN_HEARTBEAT_SECONDS": "60"},
                                   {"RUN_LEASE_SECONDS": "5"}])
def test_it_refuses_a_heartbeat_too_slow_for_the_lease(extra, tmp_path):
    # Beats slower than half the lease let live runs be taken over between two beats.
    result = _manage_check(extra, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: RUN_HEARTBEAT_SECONDS: must be at most half of "
        f"RUN_LEASE_SECONDS ({extra.get('RUN_LEASE_SECONDS', '60')} s) so that a live run "
        f"keeps its lease, got {float(extra.get('RUN_HEARTBEAT_SECONDS', '5'))}"]


@pytest.mark.parametrize("name", ["two words", "x" * 65, "queue:1", "é"])
def test_it_refuses_a_queue_name_redis_keys_would_mangle(name, tmp_path):
    result = _manage_check({"Q_CLUSTER_NAME": name}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: Q_CLUSTER_NAME: 1 to 64 letters, digits, '-' or '_', got {name!r}"]


def test_the_queue_is_named_by_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "mediasync.settings", "DATA_DIR": str(tmp_path)})
    code = "from django.conf import settings; print(settings.Q_CLUSTER['name'])"
    for given, expected in (("second_install-2", "second_install-2"), (None, "mediasync")):
        env.pop("Q_CLUSTER_NAME", None)
        if given:
            env["Q_CLUSTER_NAME"] = given
        shown = subprocess.run([sys.executable, "manage.py", "shell", "--no-imports", "-c", code],  # noqa: S603
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert shown.stdout.strip() == expected, shown.stderr


def test_each_test_worker_and_the_clusters_it_starts_share_a_queue_of_their_own(tmp_path):
    # Clusters started by two xdist workers on one Redis took each other's tasks.
    from django.conf import settings

    from tests.crash.procs import subprocess_env

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    assert settings.Q_CLUSTER["name"] == f"mediasync-test-{worker}"
    assert subprocess_env(tmp_path)["Q_CLUSTER_NAME"] == settings.Q_CLUSTER["name"]


def test_it_refuses_a_guessable_metrics_token(tmp_path):
    result = _manage_check({"METRICS_TOKEN": "short"}, tmp_path)
    assert result.returncode == 2
    assert "METRICS_TOKEN: use at least 16 characters" in result.stderr
    assert "short" not in result.stderr
