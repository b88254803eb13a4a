"""docs/configuration.md and the code agree: every variable the settings read is documented,
and every documented variable is read somewhere, so neither can drift from the other."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = {"envstr", "envbool", "envint", "envfloat", "envurl", "envlist", "envnetworks",
           "envchoice"}
# read outside settings.py: the entry script, the demo, the test settings
ELSEWHERE = [ROOT / "bin" / "mediasync", ROOT / "mediasync" / "demo.py",
             ROOT / "mediasync" / "settings_test.py", ROOT / "tests" / "conftest.py",
             *sorted((ROOT / "tests").glob("**/*.py")), *sorted(ROOT.glob("Makefile"))]


def settings_variables() -> set[str]:
    tree = ast.parse((ROOT / "mediasync" / "settings.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in READERS and node.args
                and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
    return found


def documented_variables() -> set[str]:
    text = (ROOT / "docs" / "configuration.md").read_text()
    names = set()
    for row in re.findall(r"^\| (`[A-Z][^|]*)\|", text, re.M):
        names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row))
    return names


def test_every_variable_the_settings_read_is_documented() -> None:
    assert settings_variables(), "the reader found no variable: has settings.py changed shape?"
    assert sorted(settings_variables() - documented_variables()) == []


def test_every_documented_variable_is_read_somewhere() -> None:
    code = (ROOT / "mediasync" / "settings.py").read_text() + "".join(
        p.read_text() for p in ELSEWHERE if p.is_file())
    unread = [name for name in sorted(documented_variables())
              if not re.search(rf"\b{name}\b", code)]
    assert unread == []
