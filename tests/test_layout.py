"""The layout holds: imports go one way (import-linter contracts, also run by `make lint`), and
no project module hides an import inside a function to dodge them (CLI entry points may, to
start fast)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("selfdata", "app_store", "sandbox", "synthetic_data")
SCANNED = (*PACKAGES, "tests", "benchmarks", "scripts")


def _local_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n.split(".")[0] in (*PACKAGES, "tests") for n in names):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_function_local_import_of_a_project_module_outside_cli_entry_points():
    found = []
    for folder in SCANNED:
        for path in (ROOT / folder).rglob("*.py"):
            if path.name != "cli.py" and "node_modules" not in path.parts:
                found += _local_project_imports(path)
    assert found == []


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout
