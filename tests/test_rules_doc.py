"""docs/rules.md is the project's statement of the procedure, kept in step with the specification it restates:
every rule ID of the specification is stated there, and every rule ID stated there is cited by a test and by code
(the docstring of what checks it and of what implements it)."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "docs" / "rules.md"
# CI checks the specification out beside the repository (../shared/SPEC.md); a developer's machine may keep it in a
# shared folder one level higher (a worktree under <work>/wt/<name>).
SPEC_CANDIDATES = (ROOT.parent / "shared" / "SPEC.md", ROOT.parent.parent / "shared" / "SPEC.md")
RULE_ID = re.compile(r"\bR-[A-Z]+(?:-[A-Z0-9]+)*(?![A-Za-z0-9-])")
DEFINED = re.compile(r"\*\*(R-[A-Z]+(?:-[A-Z0-9]+)*)\*\*")
SKIP_DIRS = {".venv", "node_modules", ".git", "tests", "docs", "locale", "var", "bench", "__pycache__", "staticfiles"}
CODE_SUFFIXES = {".py", ".html"}


def _spec() -> Path | None:
    return next((p for p in SPEC_CANDIDATES if p.is_file()), None)


def _ids(text: str) -> set[str]:
    return set(RULE_ID.findall(text))


@cache
def _cited(where: str) -> set[str]:
    """Every rule ID cited in the tests (``where="tests"``) or in the code outside tests (``"code"``)."""
    found: set[str] = set()
    if where == "tests":
        files = (p for p in (ROOT / "tests").rglob("*.py") if p.resolve() != Path(__file__).resolve())
    else:
        files = (p for p in ROOT.rglob("*") if p.suffix in CODE_SUFFIXES and p.is_file()
                 and not SKIP_DIRS.intersection(p.relative_to(ROOT).parts))
    for path in files:
        found |= _ids(path.read_text(encoding="utf-8", errors="replace"))
    return found


def test_every_rule_of_the_specification_is_stated_in_docs_rules():
    """Every rule ID the specification defines (incl. R-CMP-* and R-QUAL-*) is stated, in bold, in docs/rules.md."""
    spec = _spec()
    if spec is None:
        pytest.skip("the specification (../shared/SPEC.md) is not beside this checkout")
    defined = set(DEFINED.findall(spec.read_text(encoding="utf-8")))
    assert defined, "no rule ID found in the specification"
    stated = set(DEFINED.findall(RULES.read_text(encoding="utf-8")))
    assert sorted(defined - stated) == []


def test_every_rule_of_docs_rules_is_cited_by_a_test_and_by_code():
    """Each rule ID in docs/rules.md is cited by at least one test under tests/ and by code outside tests/."""
    ids = _ids(RULES.read_text(encoding="utf-8"))
    assert len(ids) >= 30
    assert sorted(ids - _cited("tests")) == [], "rules no test cites"
    assert sorted(ids - _cited("code")) == [], "rules no code cites"


def test_the_where_table_points_at_files_that_exist():
    """The "where each rule lives" table of docs/rules.md names files and folders that exist."""
    text = RULES.read_text(encoding="utf-8")
    table = text[text.index("## Where each rule lives"):]
    paths = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]*(?:\.py)?)`", table))
    assert paths
    assert sorted(p for p in paths if not (ROOT / p).exists()) == []
