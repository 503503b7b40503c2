"""Imports flow one way: ingest <- retrieval <- ui, and evals uses retrieval; nothing below ui imports ui.

A static check (every `import` and `from ... import`, also those inside functions), so a lazy import cannot
hide a cycle such as ui/commands.py -> evals/cli.py -> ui/cli.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> top-level packages of this project it must never import
FORBIDDEN = {"ingest": {"ui", "evals", "retrieval"}, "retrieval": {"ui", "evals"}, "evals": {"ui"}}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_a_layer_above_it(package: str) -> None:
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {name}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, name in imported_packages(path) if name in FORBIDDEN[package]]
    assert not wrong, "imports against the layering (move shared code down, e.g. ingest/cli_options.py): " + "; ".join(
        wrong)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ui.cli import common_options\n    import ui.app\n", encoding="utf-8")
    assert imported_packages(module) == [(2, "ui"), (3, "ui")]
