"""bin/mediasync stops at start, with the exact fix, when a secret or the data dir is out of reach.

The script runs with a recorder in place of python, so nothing but the check really runs. As
root, permissions stop nothing: the unreadable cases drop to another uid with setpriv (or, for
an ordinary user, use a file that user cannot read).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / "bin" / "mediasync")
OTHER_UID = 10001  # the image's user


@pytest.fixture
def place() -> Iterator[Path]:
    """A directory any uid may enter (pytest's tmp_path is private to its owner)."""
    path = Path(tempfile.mkdtemp(prefix="mediasync-check-"))
    path.chmod(0o755)
    recorder = path / "python"
    recorder.write_text('#!/bin/sh\necho "python $@"\n')
    recorder.chmod(0o755)
    (path / "data").mkdir(mode=0o777)
    (path / "data").chmod(0o777)
    # The script's own copy: the checkout may sit in a directory other uids cannot enter.
    (path / "bin").mkdir(mode=0o755)
    shutil.copy2(SCRIPT, path / "bin" / "mediasync")
    (path / "bin" / "mediasync").chmod(0o755)
    yield path
    shutil.rmtree(path)


def _run(place: Path, *, as_other: bool = False, command: str = "prepare",
         **env: str) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if as_other and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop to another uid")
        prefix = [setpriv, f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"]
    return subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        [*prefix, str(place / "bin" / "mediasync"), command], cwd=place, capture_output=True,
        text=True, timeout=30,
        env={"PATH": os.environ["PATH"], "PYTHON": str(place / "python"),
             "DATA_DIR": str(place / "data"), **env},
    )


def _uid(as_other: bool) -> int:
    return OTHER_UID if as_other and os.geteuid() == 0 else os.geteuid()


def _unreadable(path: Path) -> None:
    """A file the uid that runs the check cannot read."""
    path.write_text("s3cret\n")
    path.chmod(0o600 if os.geteuid() == 0 else 0o000)  # root's, or nobody's


def test_readable_secrets_and_a_writable_data_dir_go_on_to_prepare(place):
    secret = place / "secret_key"
    secret.write_text("s3cret\n")
    secret.chmod(0o644)
    result = _run(place, as_other=True, SECRET_KEY_FILE=str(secret), METRICS_TOKEN_FILE="")
    assert result.returncode == 0, result.stderr
    assert "python manage.py migrate --noinput" in result.stdout


def test_a_missing_secret_file_is_named_with_its_fix(place):
    result = _run(place, DATABASE_PASSWORD_FILE=str(place / "db_password"))
    assert result.returncode == 78
    assert result.stdout == ""  # nothing started
    assert result.stderr.strip() == (
        f"mediasync: DATABASE_PASSWORD_FILE: {place}/db_password does not exist: "
        f"write the secret into {place}/db_password")


def test_a_directory_in_place_of_a_secret_file_is_named_with_its_fix(place):
    (place / "tmdb_api_key").mkdir()
    result = _run(place, command="worker", TMDB_API_KEY_FILE=str(place / "tmdb_api_key"))
    assert result.returncode == 78
    assert f"TMDB_API_KEY_FILE: {place}/tmdb_api_key is a directory, not a file: run " \
        f"`rm -r {place}/tmdb_api_key`" in result.stderr


def test_an_unreadable_secret_names_the_uid_and_the_chown_or_chmod_that_fixes_it(place):
    secret = place / "admin_password"
    _unreadable(secret)
    result = _run(place, as_other=True, MEDIASYNC_ADMIN_PASSWORD_FILE=str(secret))
    uid = _uid(as_other=True)
    assert result.returncode == 78
    assert result.stderr.strip() == (
        f"mediasync: MEDIASYNC_ADMIN_PASSWORD_FILE: cannot read {secret} as uid {uid}: "
        f"run `sudo chown {uid} {secret}` or `chmod 644 {secret}`")
    secret.chmod(0o644)  # the fix it names works
    assert _run(place, as_other=True, MEDIASYNC_ADMIN_PASSWORD_FILE=str(secret)).returncode == 0


def test_other_file_variables_of_the_environment_do_not_stop_start_up(place):
    """COMPOSE_FILE, a tool's config file, anything *_FILE exported on a developer's box: not
    the project's secrets, so not checked (the settings never read them either)."""
    others = {"FOO_FILE": "/nonexistent", "TF_CLI_CONFIG_FILE": "/root/.terraformrc-missing",
              "COMPOSE_FILE": "a.yml:b.yml", "KUBECONFIG_FILE": str(place)}
    result = _run(place, **others)
    assert result.returncode == 0, result.stderr
    assert "python manage.py migrate --noinput" in result.stdout
    missing = _run(place, **others, DATABASE_PASSWORD_FILE=str(place / "db_password"))
    assert missing.returncode == 78  # while a missing secret of the project still stops it
    assert missing.stderr.startswith("mediasync: DATABASE_PASSWORD_FILE: ")


def _script_secrets() -> list[str]:
    match = re.search(r"^SECRETS=\(([^)]*)\)", Path(SCRIPT).read_text(), re.MULTILINE)
    assert match, "bin/mediasync has no SECRETS=(...) list"
    return match.group(1).split()


def _variables_read_by_the_code() -> set[str]:
    """Every variable the settings and the commands read through mediasync.env's readers."""
    readers = {"envstr", "envbool", "envint", "envfloat", "envurl", "envlist", "envnetworks",
               "envchoice"}
    found = set()
    for path in [ROOT / "mediasync" / "settings.py",
                 *sorted((ROOT / "catalog" / "management" / "commands").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in readers and node.args
                    and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def test_every_secret_the_script_checks_is_one_the_code_reads_and_the_docs_name():
    """bin/mediasync's SECRETS is the one list; this keeps it from drifting from the code, the
    docs and the compose file."""
    secrets = _script_secrets()
    assert len(secrets) == len(set(secrets))
    read = _variables_read_by_the_code()
    assert sorted(set(secrets) - read) == []  # no stale name
    looks_secret = {name for name in read if re.search(r"PASSWORD|TOKEN|API_KEY|SECRET", name)}
    assert sorted(looks_secret - set(secrets)) == []  # no secret left unchecked
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    marked = {re.match(r"\| `([A-Z][A-Z0-9_]+)`", row).group(1)
              for row in re.findall(r"^\| `[A-Z].*\(secret\) \|$", configuration, re.MULTILINE)}
    assert marked == set(secrets)
    operating = (ROOT / "docs" / "operating.md").read_text()
    section = operating[operating.index("## Secrets"):operating.index("Plex tokens")]
    assert set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section)) - {"NAME_FILE"} == set(secrets)
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if "build" in service:  # ours (postgres reads POSTGRES_PASSWORD_FILE itself)
            files = {key.removesuffix("_FILE") for key in service.get("environment", {})
                     if key.endswith("_FILE")}
            assert sorted(files - set(secrets)) == [], name


def test_in_the_image_the_fix_names_the_host_file_of_the_compose_layout(place):
    missing = "/run/secrets/mediasync-test-no-such-secret"
    result = _run(place, MEDIASYNC_CONTAINER="1", SECRET_KEY_FILE=missing)
    assert result.returncode == 78
    assert f"{missing} does not exist: write the secret into " \
        "secrets/mediasync-test-no-such-secret" in result.stderr


def test_an_unwritable_data_dir_names_the_chown_that_fixes_it(place):
    data = place / "data"
    data.chmod(0o755 if os.geteuid() == 0 else 0o555)  # root's, or read-only
    result = _run(place, as_other=True, command="web")
    uid = _uid(as_other=True)
    gid = OTHER_UID if os.geteuid() == 0 else os.getegid()
    assert result.returncode == 78
    assert result.stderr.strip() == (
        f"mediasync: DATA_DIR: cannot write {data} as uid {uid}: "
        f"run `sudo chown -R {uid}:{gid} {data}`")
    assert "gunicorn" not in result.stdout


def test_a_data_dir_that_cannot_be_created_names_its_fix(place):
    parent = place / "locked"
    parent.mkdir(mode=0o755)
    parent.chmod(0o755 if os.geteuid() == 0 else 0o555)
    result = _run(place, as_other=True, DATA_DIR=str(parent / "data"))
    uid = _uid(as_other=True)
    assert result.returncode == 78
    assert f"DATA_DIR: cannot create {parent}/data as uid {uid}: " \
        f"run `mkdir -p {parent}/data && sudo chown {uid}:" \
        in result.stderr


def test_a_file_in_place_of_the_data_dir_is_named(place):
    (place / "not-a-dir").write_text("")
    result = _run(place, DATA_DIR=str(place / "not-a-dir"))
    assert result.returncode == 78
    assert f"DATA_DIR: {place}/not-a-dir is not a directory" in result.stderr


def test_the_settings_name_the_same_fix_when_started_without_the_script(place):
    """`docker compose exec web python manage.py …` skips bin/mediasync: the settings stop
    with the same fix before anything writes to the data dir."""
    data = place / "data"
    data.chmod(0o755 if os.geteuid() == 0 else 0o555)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop to another uid")
        prefix = [setpriv, f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups"]
        probe = subprocess.run([*prefix, sys.executable, "-c", "import mediasync"],  # noqa: S603
                               cwd=ROOT, capture_output=True, timeout=60, check=False)
        if probe.returncode != 0:
            pytest.skip(f"uid {OTHER_UID} cannot reach this checkout or its interpreter "
                        "(a private parent directory): nothing to import as that uid")
    result = subprocess.run(  # noqa: S603 (our interpreter, fixed arguments)
        [*prefix, sys.executable, "-c", "import mediasync.settings"], cwd=ROOT,
        capture_output=True, text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "DATA_DIR": str(data), "SECRET_KEY": "x" * 50},
    )
    uid = _uid(as_other=True)
    gid = OTHER_UID if os.geteuid() == 0 else os.getegid()
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"DATA_DIR: cannot write {data} as uid {uid}: run `sudo chown -R {uid}:{gid} {data}`")
    assert list(data.iterdir()) == []
