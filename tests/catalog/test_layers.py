"""The run machinery stands below the syncs: nothing in ``catalog.runs`` imports
``catalog.sync``, and the syncs register each kind's work with it when the app is ready.

A plain ``django.setup()`` would not tell: the app's ``ready()`` imports
``catalog.sync.dispatch`` on purpose (that fills the registry in every process), so
``catalog.sync`` is loaded before any test could look (and so is it by the admin's
autodiscovery of ``catalog.admin``, a surface). The subprocess below therefore sets Django up
without those two, imports every module of ``catalog.runs`` and checks that no
``catalog.sync`` module came along. Imports inside functions, which a
module import does not run, are read from the source (``make lint``'s import contract checks
them too).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import catalog.runs
from catalog.models import SyncRun
from catalog.runs.work import work_for
from catalog.sync.dispatch import WORK, scope_for

ROOT = Path(__file__).resolve().parent.parent.parent
RUNS = Path(catalog.runs.__file__).parent

IMPORT_RUNS_ALONE = """
import importlib, pkgutil, sys
import django
from django.contrib.admin.apps import AdminConfig, SimpleAdminConfig
from catalog.apps import CatalogConfig
CatalogConfig.ready = lambda self: None  # it imports the syncs to fill the registry
AdminConfig.ready = SimpleAdminConfig.ready  # its autodiscovery imports catalog.admin
django.setup()
assert not [m for m in sys.modules if m.startswith("catalog.sync")], "set up with a sync"
import catalog.runs
for info in pkgutil.walk_packages(catalog.runs.__path__, "catalog.runs."):
    importlib.import_module(info.name)
print(" ".join(sorted(m for m in sys.modules if m.startswith("catalog."))))
"""


def test_it_imports_every_runs_module_without_a_sync(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mediasync.settings_test",
           "DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", IMPORT_RUNS_ALONE], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    loaded = proc.stdout.split()
    assert {"catalog.runs.enqueue", "catalog.runs.execute", "catalog.runs.work"} <= set(loaded)
    assert [m for m in loaded if m == "catalog.sync" or m.startswith("catalog.sync.")] == []


def _imported_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return names


def test_no_runs_module_imports_a_sync_even_inside_a_function():
    found = {path.name: name for path in RUNS.rglob("*.py")
             for name in _imported_names(ast.parse(path.read_text()))
             if name == "catalog.sync" or name.startswith("catalog.sync.")}
    assert found == {}


def test_every_kind_has_the_work_and_scope_dispatch_names():
    options = {"server_id": 3, "rule_id": 5, "library_id": 4, "refresh_ids": [6]}
    for kind in SyncRun.Kind.values:
        assert work_for(kind) == WORK[kind]
        assert work_for(kind).scope(options) == scope_for(kind, options)


def test_catalog_root_holds_only_the_app_and_its_task_paths() -> None:
    """Every concept lives in a package named for it; the root keeps only what Django and the
    stored task paths need (``apps``, ``tasks``: schedules and queued tasks name
    ``catalog.tasks.*``), so a new module has to choose its home."""
    root = Path(catalog.runs.__file__).parent.parent
    loose = sorted(p.name for p in root.glob("*.py"))
    assert loose == ["__init__.py", "apps.py", "tasks.py"]
