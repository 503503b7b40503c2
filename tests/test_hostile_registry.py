"""The hostile-case list names tests that exist (tests/hostile_cases.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.hostile_cases import LISTED, WHOLE_FILES, is_hostile

TESTS = Path(__file__).resolve().parent


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.name.startswith("test_")}


def test_every_listed_hostile_test_exists():
    missing = [f"{file}::{name}" for file, names in LISTED.items() for name in names
               if not (TESTS / file).exists() or name not in _test_names(TESTS / file)]
    assert not missing, f"renamed or removed; update tests/hostile_cases.py: {missing}"


def test_whole_files_exist_and_membership_reads_the_list():
    assert all((TESTS / f).exists() for f in WHOLE_FILES)
    assert is_hostile("test_hostile.py", "test_anything")
    assert is_hostile("test_cli.py", "test_missing_index_is_exit_2")
    assert not is_hostile("test_cli.py", "test_help_lists_the_commands")
