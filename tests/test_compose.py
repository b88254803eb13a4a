"""docker-compose.yml is valid Compose and keeps the promises its header makes.

No Docker engine runs in CI, so the file is checked by reading it: against the Compose
Specification's JSON schema (vendored in tests/data/, see its README for the source and
licence), and against the rules a self-hoster's first `docker compose up` depends on:

- no option newer than Docker Engine 20.10 / Compose v2 as distributions ship it
  (``healthcheck.start_interval`` needs Engine 25 and stops `up` outright on older ones;
  ``env_file``'s long form, ``build.additional_contexts``, ``build.dockerfile_inline``,
  ``develop``, ``include``, ``depends_on.*.required`` / ``restart`` need newer Compose);
- the settings of .env (``ALLOWED_HOSTS``, ``CSRF_TRUSTED_ORIGINS``, ``PORT`` …) reach every
  app service through ``${NAME:-default}``, never a fixed value;
- every app healthcheck follows the container's ``$PORT`` (``$$PORT`` in the file), asks the
  TCP server on 127.0.0.1, and the published port's container side follows ``PORT`` too;
- every ``*_FILE`` variable names a secret declared under top-level ``secrets:``, mounted in
  that service, kept in ``./secrets/NAME`` (the layout bin/mediasync's hints assume);
- no two services build under one ``image:`` tag (a first parallel build then fails);
- every ``docker compose up`` instruction says ``--build``.

and that the Dockerfile builds with whatever ids a user's ``id -u`` / ``id -g`` print: an id the
base image already has (gid 100 ``users``, gid 20 ``dialout``) is reused, not created again (the
creating line is also run, against a copy of /etc), and later lines name only the ids; and
that no COPY/ADD option nor RUN line (chown, chmod) lets the runtime user write the code in /app.

Each rule is a function returning its problems, so that ``test_a_one_line_mutation_*`` can
show that breaking one line of the real file makes the rule report it.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
SCHEMA_README = ROOT / "tests" / "data" / "README.md"
DOCS = [COMPOSE, ROOT / "README.md", ROOT / "docs" / "operating.md", ROOT / ".env.example",
        ROOT / "Dockerfile"]

# Options that Docker Engine 20.10 or a distribution's Compose v2 (2.x before 2.20) refuse or
# ignore: the healthcheck's start_interval (Engine 25), include, develop, models, provider,
# lifecycle hooks, label_file, use_api_socket, depends_on's required / restart, build's
# additional_contexts and dockerfile_inline (Compose 2.17), and env_file's long form
# ({path, required, format}: Compose 2.24).
NEWER_KEYS = {"start_interval", "develop", "post_start", "pre_stop", "label_file",
              "use_api_socket", "models", "provider"}
NEWER_TOP_LEVEL = {"include", "models"}
NEWER_DEPENDS_ON = {"required", "restart"}
NEWER_BUILD = {"additional_contexts", "dockerfile_inline"}
# The settings .env must reach every app service through interpolation (never a fixed value).
ENV_SETTINGS = ("ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "HTTPS", "TRUSTED_PROXIES", "PORT")

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?-)(?P<default>[^}]*))?\}"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)")


def _load(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)  # resolves the `<<: *mediasync` merges as compose does


def _interpolate(node: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default} and $$ (a literal $)."""
    if isinstance(node, dict):
        return {key: _interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [_interpolate(value, env) for value in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("plain")
        value = env.get(name)
        if match.group("op") == ":-" and not value:
            return match.group("default")
        if match.group("op") == "-" and value is None:
            return match.group("default")
        return value or ""

    return _VARIABLE.sub(substitute, node)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _healthcheck_text(service: dict[str, Any]) -> str | None:
    check = service.get("healthcheck") or {}
    if check.get("disable") or "test" not in check:
        return None
    test = check["test"]
    return test if isinstance(test, str) else " ".join(str(part) for part in test[1:])


def _walk_keys(node: Any, path: str = ""):
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}.{key}".lstrip("."), key
            yield from _walk_keys(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk_keys(value, f"{path}[{index}]")


def _instructions(dockerfile: str) -> list[str]:
    """The Dockerfile's instructions, with continuation lines joined as Docker joins them
    (the backslash and the newline removed, comment lines inside an instruction dropped)."""
    instructions: list[str] = []
    current: str | None = None
    for line in dockerfile.splitlines():
        if line.strip().startswith("#") or (current is None and not line.strip()):
            continue
        continued = re.search(r"\\[ \t]*$", line)
        part = line[:continued.start()] if continued else line
        current = part.lstrip() if current is None else current + part
        if not continued:
            instructions.append(current)
            current = None
    if current is not None:
        instructions.append(current)
    return instructions


# --- the rules ---------------------------------------------------------------------------------

def schema_problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    schema = json.loads(SCHEMA.read_text())
    document = _interpolate(_load(text), env or {})
    return [f"{'.'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
            for error in Draft202012Validator(schema).iter_errors(document)]


def newer_option_problems(text: str) -> list[str]:
    document = _load(text)
    problems = [f"{path}: newer than Engine 20.10 / Compose v2"
                for path, key in _walk_keys(document) if key in NEWER_KEYS]
    problems += [f"{key}: newer than Compose v2 as distributions ship it"
                 for key in document if key in NEWER_TOP_LEVEL]
    for name, service in document.get("services", {}).items():
        depends_on = service.get("depends_on") or {}
        if isinstance(depends_on, dict):
            for other, spec in depends_on.items():
                for key in NEWER_DEPENDS_ON & set(spec or {}):
                    problems.append(f"{name}.depends_on.{other}.{key}: newer than Compose v2.20")
        build = service.get("build")
        if isinstance(build, dict):
            problems += [f"{name}.build.{key}: newer than Compose v2.17"
                         for key in sorted(NEWER_BUILD & set(build))]
        env_file = service.get("env_file")
        entries = env_file if isinstance(env_file, list) else [env_file]
        if any(isinstance(entry, dict) for entry in entries):
            problems.append(f"{name}.env_file: the long form ({{path, required}}) is newer "
                            "than Compose v2.24")
    if "start_interval" in text or "start-interval" in (ROOT / "Dockerfile").read_text():
        problems.append("start_interval is named in the file (or --start-interval in Dockerfile)")
    return problems


def port_problems(text: str) -> list[str]:
    """App services (built here) check and publish the port the container listens on."""
    problems = []
    for name, service in _load(text)["services"].items():
        check = _healthcheck_text(service)
        if check is not None and "127.0.0.1" not in check:
            problems.append(f"{name}: healthcheck does not ask the TCP server on 127.0.0.1")
        if name == "postgres" and check is not None \
                and not re.search(r"pg_isready\b.*(-h|--host[= ])\s*127\.0\.0\.1", check):
            problems.append("postgres: pg_isready without -h 127.0.0.1 passes for the "
                            "first-start server on the Unix socket")
        if "build" not in service and "PORT" not in _environment(service):
            continue  # not ours: postgres and redis listen where their images say
        if not re.fullmatch(r"\$\{PORT:-\d+\}", _environment(service).get("PORT", "")):
            problems.append(f"{name}: PORT does not come from .env (${{PORT:-8000}})")
        if service.get("healthcheck", {}).get("disable"):
            continue
        if check is None:
            problems.append(f"{name}: serves PORT but has no healthcheck test of its own")
            continue
        if not re.search(r"\$\$\{?PORT\b", check):
            problems.append(f"{name}: healthcheck does not follow the container's $PORT "
                            f"($$PORT in compose): {check!r}")
        if re.search(r"(?:127\.0\.0\.1|localhost|\[::1\]):\d", check) \
                or re.search(r"(?<![\d.])8000(?!\d)", check):
            problems.append(f"{name}: healthcheck hard-codes a port: {check!r}")
        for mapping in service.get("ports", []):
            target = str(mapping.get("target") if isinstance(mapping, dict) else mapping)
            if not re.search(r"\$\{PORT(?::?-[^}]*)?\}(/\w+)?$", target):
                problems.append(f"{name}: published port {mapping!r} does not lead to $PORT")
    return problems


def env_setting_problems(text: str) -> list[str]:
    """Each setting .env may change reaches every app service as ``${NAME}`` or
    ``${NAME:-default}``: a fixed value would ignore the user's .env."""
    problems = []
    for name, service in _load(text)["services"].items():
        if "build" not in service:
            continue
        environment = _environment(service)
        for setting in ENV_SETTINGS:
            value = environment.get(setting)
            if value is None or not re.fullmatch(
                    rf"\$\{{{setting}(?::?-[^}}]*)?\}}", value):
                problems.append(f"{name}.{setting}: {value!r} does not come from .env "
                                f"(${{{setting}:-default}})")
    return problems


def _writes_for_group_or_others(mode: str) -> bool:
    """Whether a chmod mode (octal or symbolic) grants write to group or others."""
    if re.fullmatch(r"[0-7]{1,4}", mode):
        digits = mode.zfill(3)
        return bool(int(digits[-2]) & 2 or int(digits[-1]) & 2)
    for clause in mode.split(","):
        match = re.fullmatch(r"([ugoa]*)([-+=][rwxXstugo]*)+", clause)
        if match is None:
            return True  # not understood: assume the worst
        who = match.group(1) or "a"  # no who: everyone (less the umask)
        for op, perms in re.findall(r"([-+=])([rwxXstugo]*)", clause[len(match.group(1)):]):
            if op in "+=" and "w" in perms and set(who) & set("goa"):
                return True
    return False


def code_write_problems(dockerfile: str) -> list[str]:
    """The app code (/app) stays root's and read-only for the runtime user: no COPY/ADD
    --chown, no --chmod, chmod or chown in a RUN line that gives it away or makes it writable."""
    problems = []
    workdir = "/"
    for line in _instructions(dockerfile):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "WORKDIR":
            workdir = posixpath.join(workdir, rest.strip())
        elif keyword in ("COPY", "ADD"):
            if re.search(r"--chown[= ]", rest):
                problems.append(f"{line}: --chown gives the code to another user")
            chmod = re.search(r"--chmod[= ](\S+)", rest)
            if chmod and _writes_for_group_or_others(chmod.group(1)):
                problems.append(f"{line}: --chmod makes the code writable")
        elif keyword == "RUN":
            cwd = workdir
            for command in re.split(r"&&|\|\||;|\|", rest):
                try:
                    words = shlex.split(command)
                except ValueError:
                    words = command.split()
                if not words:
                    continue
                operands = [word for word in words[1:] if not word.startswith("-")]
                if words[0] == "cd" and operands:
                    cwd = posixpath.join(cwd, operands[0])
                if words[0] not in ("chown", "chgrp", "chmod") or len(operands) < 2:
                    continue
                owner, paths = operands[0], operands[1:]
                under_app = [path for path in paths if posixpath.normpath(
                    posixpath.join(cwd, path)).split("/")[:2] == ["", "app"]]
                if not under_app:
                    continue
                if words[0] == "chmod" and _writes_for_group_or_others(owner):
                    problems.append(f"{line}: chmod {owner} makes {under_app} writable")
                elif words[0] != "chmod" and not re.fullmatch(r"(root|0)?(:(root|0)?)?", owner):
                    problems.append(f"{line}: {words[0]} {owner} gives {under_app} away")
    return problems


def secret_problems(text: str) -> list[str]:
    document = _load(text)
    declared = document.get("secrets") or {}
    problems = []
    for secret, spec in declared.items():
        if (spec or {}).get("file") != f"./secrets/{secret}":
            problems.append(f"secrets.{secret}: file is not ./secrets/{secret}")
    for name, service in document["services"].items():
        mounted: dict[str, str] = {}  # path in the container -> secret
        for entry in service.get("secrets") or []:
            if isinstance(entry, str):
                mounted[f"/run/secrets/{entry}"] = entry
            else:
                target = entry.get("target", entry["source"])
                path = target if target.startswith("/") else f"/run/secrets/{target}"
                mounted[path] = entry["source"]
        for variable, value in _environment(service).items():
            if not variable.endswith("_FILE"):
                continue
            secret = mounted.get(value)
            if secret is None:
                problems.append(f"{name}.{variable}: {value} is no secret mounted in {name}")
            elif secret not in declared:
                problems.append(f"{name}.{variable}: secret {secret} is not declared "
                                "under top-level secrets:")
        for secret in mounted.values():
            if secret not in declared:
                problems.append(f"{name}: mounts undeclared secret {secret}")
    return problems


def image_problems(text: str) -> list[str]:
    """One image build per tag: services that build under the same `image:` make recent
    Compose (buildx bake, in parallel) fail a first build with `image ... already exists`; and
    no service may expect to pull an image that only a build here makes."""
    services = _load(text)["services"]
    built: dict[str, str] = {}
    problems = []
    for name, service in services.items():
        image = service.get("image")
        if "build" not in service:
            if image is None:
                problems.append(f"{name}: neither build nor image")
            continue
        if image is not None and image in built:
            problems.append(f"{name} and {built[image]} both build the image {image}")
        elif image is not None:
            built[image] = name
    for name, service in services.items():
        if "build" not in service and service.get("image") in built:
            problems.append(f"{name}: uses {service['image']}, which only a build here makes")
    return problems


def build_instruction_problems(texts: dict[str, str]) -> list[str]:
    problems = []
    for where, text in texts.items():
        for number, line in enumerate(text.splitlines(), 1):
            for match in re.finditer(r"docker[ -]compose\s+up\b[^`\n]*", line):
                if "--build" not in match.group(0):
                    problems.append(f"{where}:{number}: {line.strip()}")
    return problems


def user_problems(dockerfile: str) -> list[str]:
    """The runtime user's ids may already exist in the base image (gid 100 `users`, gid 20
    `dialout`): the build reuses them instead of failing, and later lines name the ids only."""
    instructions = _instructions(dockerfile)
    creating = [index for index, line in enumerate(instructions)
                if line.startswith("RUN ") and re.search(r"\b(groupadd|useradd)\b", line)]
    if len(creating) != 1:
        return [f"expected one RUN that creates the user and group, found {len(creating)}"]
    run = instructions[creating[0]]
    problems = []
    if not re.search(r'if ! getent group "\$\{MEDIASYNC_GID\}" >/dev/null; then\s+'
                     r'groupadd --gid "\$\{MEDIASYNC_GID\}" mediasync;\s+fi', run):
        problems.append("groupadd is not guarded by `getent group \"${MEDIASYNC_GID}\"`: the "
                        "build fails when the gid exists (100 users, 20 dialout)")
    if not re.search(r'if ! getent passwd "\$\{MEDIASYNC_UID\}" >/dev/null; then\s+'
                     r'useradd --uid "\$\{MEDIASYNC_UID\}" --gid "\$\{MEDIASYNC_GID\}" ', run):
        problems.append("useradd is not guarded by `getent passwd \"${MEDIASYNC_UID}\"` or "
                        "does not take the numeric --gid")
    for line in instructions[creating[0] + 1:]:
        if re.search(r'(?:\bchown(?:\s+-\S+)*\s+|--chown=|^USER\s+)"?mediasync\b', line):
            problems.append(f"names the user or group, which may not exist: {line}")
    users = [line for line in instructions if line.startswith("USER ")]
    if users != ["USER ${MEDIASYNC_UID}:${MEDIASYNC_GID}"]:
        problems.append(f"USER is not ${{MEDIASYNC_UID}}:${{MEDIASYNC_GID}}: {users}")
    return problems


# --- the real files keep them ------------------------------------------------------------------

def test_the_vendored_schema_is_the_one_its_readme_names():
    digest = hashlib.sha256(SCHEMA.read_bytes()).hexdigest()
    assert digest in SCHEMA_README.read_text()
    assert json.loads(SCHEMA.read_text())["title"] == "Compose Specification"
    assert (SCHEMA.parent / "LICENSE.compose-spec").read_text().count("Apache License") >= 1


def test_the_compose_file_is_valid_against_the_compose_specification():
    assert schema_problems(COMPOSE.read_text()) == []


def test_it_stays_valid_with_the_settings_of_env_example():
    env = _env_file(ROOT / ".env.example")
    assert {"PUBLISH", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PORT",
            "MEDIASYNC_UID", "MEDIASYNC_GID"} <= set(env)
    assert schema_problems(COMPOSE.read_text(), env) == []


def test_env_example_settings_reach_the_app_with_the_defaults_its_header_explains():
    text = COMPOSE.read_text()
    web = _interpolate(_load(text), {})["services"]["web"]
    assert web["environment"]["ALLOWED_HOSTS"] == "localhost,127.0.0.1"
    assert web["environment"]["PORT"] == "8000"
    assert web["ports"] == ["8000:8000"]
    assert web["environment"]["CSRF_TRUSTED_ORIGINS"] == ""
    custom = _interpolate(_load(text), {
        "PORT": "9000", "PUBLISH": "127.0.0.1:80", "ALLOWED_HOSTS": "media.lan",
        "CSRF_TRUSTED_ORIGINS": "https://media.example.org"})["services"]
    assert custom["web"]["ports"] == ["127.0.0.1:80:9000"]
    assert custom["worker"]["environment"]["ALLOWED_HOSTS"] == "media.lan"
    assert custom["web"]["environment"]["PORT"] == "9000"
    for name in ("web", "worker", "listen"):
        assert custom[name]["environment"]["CSRF_TRUSTED_ORIGINS"] == "https://media.example.org"
    assert env_setting_problems(text) == []
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    for name in ("PUBLISH", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "PORT", "MEDIASYNC_UID",
                 "400 Bad Request", "chown -R 10001:10001 data secrets", "first created"):
        assert name in header


def test_it_uses_no_option_newer_than_engine_20_10():
    assert newer_option_problems(COMPOSE.read_text()) == []


def test_every_healthcheck_follows_the_configured_port_over_tcp():
    assert port_problems(COMPOSE.read_text()) == []


def test_the_image_healthcheck_follows_port_too():
    dockerfile = (ROOT / "Dockerfile").read_text()
    check = dockerfile[dockerfile.index("HEALTHCHECK"):dockerfile.index("ENTRYPOINT")]
    assert 'os.environ.get(\\"PORT\\"' in check
    assert "127.0.0.1:8000" not in check


def test_every_file_variable_names_a_declared_and_mounted_secret():
    assert secret_problems(COMPOSE.read_text()) == []


def test_no_two_services_build_the_same_image_tag():
    assert image_problems(COMPOSE.read_text()) == []
    services = _load(COMPOSE.read_text())["services"]
    assert all("build" in services[name] for name in ("web", "worker", "listen"))


def test_every_compose_up_instruction_rebuilds():
    texts = {path.name: path.read_text() for path in DOCS}
    assert sum(len(re.findall(r"docker compose up", text)) for text in texts.values()) >= 3
    assert build_instruction_problems(texts) == []


def test_the_runtime_user_has_a_fixed_id_and_cannot_write_the_code():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "ARG MEDIASYNC_UID=10001" in dockerfile
    assert "ARG MEDIASYNC_GID=10001" in dockerfile
    assert re.search(r"^USER \$\{MEDIASYNC_UID\}:\$\{MEDIASYNC_GID\}$", dockerfile, re.MULTILINE)
    assert re.findall(r"^COPY .*$", dockerfile, re.MULTILINE)
    assert code_write_problems(dockerfile) == []  # code stays root's and read-only
    app = _load(COMPOSE.read_text())["x-mediasync"]
    assert app["build"]["args"] == {"MEDIASYNC_UID": "${MEDIASYNC_UID:-10001}",
                                    "MEDIASYNC_GID": "${MEDIASYNC_GID:-10001}"}


def test_the_app_services_keep_their_data_in_the_documented_bind_mount():
    services = _load(COMPOSE.read_text())["services"]
    for name in ("web", "worker", "listen"):
        assert "./data:/data" in services[name]["volumes"]
    assert "DATA_DIR=/data" in (ROOT / "Dockerfile").read_text()


def test_the_user_and_group_are_created_only_where_their_ids_are_free():
    assert user_problems(DOCKERFILE.read_text()) == []


# The ids of python:3.11-slim-bookworm's /etc that a user's `id -u` / `id -g` may hit: gid 100
# `users` (Synology, openSUSE), gid 20 `dialout` (macOS's `staff`), and uid:gid 33 `www-data`.
_BASE_IMAGE_IDS = {"group": ["users:x:100:", "dialout:x:20:", "www-data:x:33:"],
                   "passwd": ["www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin"]}
_FREE_IDS = {"10001", "1026", "501"}  # none in the base image (dropped from the copy if here)


def _etc_copy(root: Path) -> Path:
    """A copy of this machine's /etc/passwd, group (and shadow files when readable), holding
    the base image's ids above and none of _FREE_IDS: what groupadd/useradd --prefix edit."""
    etc = root / "etc"
    etc.mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        source = Path("/etc") / name
        if os.access(source, os.R_OK):
            shutil.copy(source, etc / name)
    for name, entries in _BASE_IMAGE_IDS.items():
        lines = [line for line in (etc / name).read_text().splitlines()
                 if line.count(":") < 2 or line.split(":")[2] not in _FREE_IDS]
        ids = {line.split(":")[2] for line in lines if line.count(":") >= 2}
        lines += [entry for entry in entries if entry.split(":")[2] not in ids]
        (etc / name).write_text("\n".join(lines) + "\n")
    return etc


def _entries(etc: Path, name: str) -> list[list[str]]:
    return [line.split(":") for line in (etc / name).read_text().splitlines() if line]


@pytest.mark.parametrize(("uid", "gid"),
                         [(10001, 10001), (1026, 100), (501, 20), (33, 10001), (33, 33)],
                         ids=["both-free", "gid-100-users", "gid-20-dialout", "uid-33-taken",
                              "both-taken"])
def test_the_user_creation_of_the_dockerfile_runs_with_ids_the_base_image_has(tmp_path, uid, gid):
    """The Dockerfile's own RUN line, run by sh as the build runs it, against a copy of /etc:
    groupadd and useradd edit the copy (--prefix), and getent reads it."""
    tools = {name: shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
             for name in ("groupadd", "useradd")}
    if not all(tools.values()):
        pytest.skip("groupadd/useradd are not installed here")
    if os.geteuid() != 0:
        pytest.skip("groupadd/useradd --prefix need root")
    root = tmp_path / "root"
    etc = _etc_copy(root)
    shims = tmp_path / "bin"
    shims.mkdir()
    for name, tool in tools.items():
        (shims / name).write_text(f'#!/bin/sh\nexec {tool} --prefix "{root}" "$@"\n')
    (shims / "getent").write_text(  # getent DATABASE KEY, by name or by id, from the copy
        '#!/bin/sh\nexec awk -F: -v key="$2" \'$1 == key || $3 == key { print; found = 1 } '
        f'END {{ exit !found }}\' "{etc}/$1"\n')
    for shim in shims.iterdir():
        shim.chmod(0o755)
    gid_was_free = not any(entry[2] == str(gid) for entry in _entries(etc, "group"))
    uid_was_free = not any(entry[2] == str(uid) for entry in _entries(etc, "passwd"))
    assert (gid_was_free, uid_was_free) == (str(gid) in _FREE_IDS, str(uid) in _FREE_IDS)
    run = next(line for line in _instructions(DOCKERFILE.read_text())
               if line.startswith("RUN ") and "groupadd" in line)
    result = subprocess.run(  # noqa: S603 (the Dockerfile's own line, against a copy of /etc)
        ["/bin/sh", "-c", run.removeprefix("RUN ")], capture_output=True, text=True, timeout=60,
        env={"PATH": f"{shims}:{os.environ['PATH']}", "MEDIASYNC_UID": str(uid),
             "MEDIASYNC_GID": str(gid)})
    assert result.returncode == 0, result.stderr
    groups = {entry[2]: entry[0] for entry in _entries(etc, "group")}
    users = {entry[2]: entry for entry in _entries(etc, "passwd")}
    assert str(gid) in groups and str(uid) in users
    if gid_was_free:
        assert groups[str(gid)] == "mediasync"
    if uid_was_free:
        assert users[str(uid)][0] == "mediasync" and users[str(uid)][3] == str(gid)


# --- a one-line mutation of each rule is caught ------------------------------------------------

def _mutate(old: str, new: str) -> str:
    text = COMPOSE.read_text()
    assert text.count(old) == 1, f"mutation anchor {old!r} is not one line of the file"
    return text.replace(old, new)


@pytest.mark.parametrize(("rule", "old", "new"), [
    (newer_option_problems, "      start_period: 60s\n",
     "      start_period: 60s\n      start_interval: 3s\n"),
    (newer_option_problems, "      web:\n        condition: service_healthy",
     "      web:\n        condition: service_healthy\n        required: true"),
    (port_problems, "http://127.0.0.1:$$PORT/health", "http://127.0.0.1:8000/health"),
    (port_problems, "http://127.0.0.1:$$PORT/health", "http://127.0.0.1:${PORT:-8000}/health"),
    (port_problems, '"${PUBLISH:-8000}:${PORT:-8000}"', '"${PUBLISH:-8000}:8000"'),
    (port_problems, "pg_isready -h 127.0.0.1 -p 5432", "pg_isready -p 5432"),
    (port_problems, "    PORT: ${PORT:-8000}\n", "    PORT: 8000\n"),
    (secret_problems, "TMDB_API_KEY_FILE: /run/secrets/tmdb_api_key",
     "TMDB_API_KEY_FILE: /run/secrets/tmdb_key"),
    (secret_problems, "secrets: [secret_key, db_password, tmdb_api_key, admin_password]",
     "secrets: [secret_key, db_password, tmdb_api_key]"),
    (secret_problems, "    file: ./secrets/admin_password", "    file: ./admin_password"),
    (schema_problems, "      retries: 3\n", "      retry: 3\n"),
    (image_problems, "x-mediasync: &mediasync\n",
     "x-mediasync: &mediasync\n  image: mediasync:latest\n"),
    (newer_option_problems, "      web:\n        condition: service_healthy",
     "      web:\n        condition: service_healthy\n        restart: true"),
    (newer_option_problems, "  restart: unless-stopped\n  environment:\n",
     "  restart: unless-stopped\n  env_file: [{path: .env, required: false}]\n  environment:\n"),
    (newer_option_problems, "    context: .\n",
     "    context: .\n    additional_contexts: {x: ./x}\n"),
    (newer_option_problems, "    context: .\n",
     "    context: .\n    dockerfile_inline: FROM x\n"),
    (newer_option_problems, '    command: ["web"]\n',
     '    command: ["web"]\n    develop: {watch: [{action: rebuild, path: .}]}\n'),
    (newer_option_problems, "services:\n", "include: [other.yml]\nservices:\n"),
    (env_setting_problems, "    CSRF_TRUSTED_ORIGINS: ${CSRF_TRUSTED_ORIGINS:-}\n",
     "    CSRF_TRUSTED_ORIGINS: https://media.example.org\n"),
    (env_setting_problems, "    ALLOWED_HOSTS: ${ALLOWED_HOSTS:-localhost,127.0.0.1}\n",
     "    ALLOWED_HOSTS: localhost,127.0.0.1\n"),
], ids=["start_interval", "depends_on-required", "hard-coded-port", "compose-time-port",
        "published-port", "pg_isready-socket", "fixed-PORT", "undeclared-secret",
        "unmounted-secret", "secret-outside-secrets-dir", "schema", "shared-image-tag",
        "depends_on-restart", "env_file-long-form", "additional_contexts", "dockerfile_inline",
        "develop", "include", "fixed-CSRF_TRUSTED_ORIGINS", "fixed-ALLOWED_HOSTS"])
def test_a_one_line_mutation_of_each_rule_is_caught(rule, old, new):
    assert rule(COMPOSE.read_text()) == []
    assert rule(_mutate(old, new)) != []


def _mutate_dockerfile(old: str, new: str) -> str:
    text = DOCKERFILE.read_text()
    assert text.count(old) == 1, f"mutation anchor {old!r} is not one line of the Dockerfile"
    return text.replace(old, new)


@pytest.mark.parametrize(("old", "new"), [
    ("COPY . .\n", "COPY --chown=${MEDIASYNC_UID}:${MEDIASYNC_GID} . .\n"),
    ("COPY . .\n", "COPY --chmod=777 . .\n"),
    ("chmod -R u=rwX,go=rX /app", "chmod -R u=rwX,go=rwX /app"),
    ("chmod -R u=rwX,go=rX /app", "chmod -R a+w /app"),
    ("chmod 755 /app/bin/mediasync", "chmod 777 /app/bin/mediasync"),
    ('chown "${MEDIASYNC_UID}:${MEDIASYNC_GID}" /data',
     'chown -R "${MEDIASYNC_UID}:${MEDIASYNC_GID}" /app /data'),
    ("RUN chmod -R u=rwX,go=rX /app",
     'RUN chown -R "${MEDIASYNC_UID}" . && chmod -R u=rwX,go=rX /app'),
], ids=["copy-chown", "copy-chmod", "chmod-go-w", "chmod-a+w", "chmod-777", "chown-app",
        "chown-workdir"])
def test_a_dockerfile_line_that_lets_the_runtime_user_write_the_code_is_caught(old, new):
    assert code_write_problems(DOCKERFILE.read_text()) == []
    assert code_write_problems(_mutate_dockerfile(old, new)) != []


def test_a_compose_up_without_build_is_caught():
    assert build_instruction_problems({"README.md": "run `docker compose up -d` now"}) != []
    assert build_instruction_problems({"x": "docker-compose up -d --build"}) == []


def test_the_vendored_schema_itself_rejects_what_compose_rejects():
    assert schema_problems(_mutate("    restart: unless-stopped\n    command: [\"redis-server\"",
                                   "    restart: unless-stopped\n    comand: [\"redis-server\""))
