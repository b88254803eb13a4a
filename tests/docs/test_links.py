"""Every link between the README and docs/ leads somewhere: a moved page or a renamed heading
fails here instead of in a newcomer's browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_internal_link_and_anchor_exists(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):  # http:, https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.name}")
    assert broken == []


def test_every_doc_page_is_reachable_from_the_readme() -> None:
    """A page nobody links to is a page nobody reads."""
    reached, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        for target in links(page):
            path = target.partition("#")[0]
            if path.endswith(".md") and not re.match(r"[a-z]+:", path):
                dest = (page.parent / path).resolve()
                if dest.exists() and dest not in reached:
                    reached.add(dest)
                    todo.append(dest)
    assert sorted(p.name for p in PAGES[1:] if p.resolve() not in reached) == []


def test_the_checker_sees_a_broken_anchor(tmp_path: Path) -> None:
    """The checker itself: a link to a heading that is not there is reported."""
    (tmp_path / "a.md").write_text("# A page\n\n## Moving from SQLite to PostgreSQL + Redis\n")
    assert "moving-from-sqlite-to-postgresql--redis" in anchors(tmp_path / "a.md")
    assert "moving" not in anchors(tmp_path / "a.md")
    assert links(tmp_path / "a.md") == []
