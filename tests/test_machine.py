"""Every program the project starts is installed by scripts/setup-machine.sh or is part of
the base machine (Debian with Python). A fresh machine once failed `make test` because
debootstrap had only been installed by hand; this test finds such a program from the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "scripts" / "setup-machine.sh"
# On every machine of this kind: the shell, coreutils, util-linux, Python, git, make, apt.
_BASE_WORDS = """
bash sh env python python3 pip git make apt-get dpkg-query tar gzip grep sed awk find xargs
timeout nohup seq sleep id mkdir chmod chown rm cp mv cat echo printf test tail head date kill
ps runuser mount umount true false cd set exit export read local return source basename dirname
tee wc sort uniq cut tr ln touch stat readlink realpath compgen case esac for while do done if
then else elif fi continue break shift trap wait
"""
BASE = set(_BASE_WORDS.split())
PROJECT = ("selfdata", "lint-imports", "ruff", "schemathesis")   # from the project's venv
FOLDERS = ("sandbox", "app_store", "selfdata", "synthetic_data", "tests", "benchmarks",
           "scripts")
CALLS = {"run", "Popen", "check_output", "check_call", "call"}
COMMAND = re.compile(r"^[a-z][a-z0-9_.+-]*$")


def installed() -> set[str]:
    block = SETUP.read_text().split('PACKAGES="', 1)[1].split('"', 1)[0]
    return {line.split()[0] for line in block.splitlines() if line.strip()}


def _lists(tree: ast.AST) -> dict[str, list[ast.List]]:
    """Names and attributes assigned a list literal, to follow `cmd = [...]; run(cmd)`."""
    out: dict[str, list[ast.List]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            for t in node.targets:
                key = t.id if isinstance(t, ast.Name) else t.attr if isinstance(
                    t, ast.Attribute) else None
                if key:
                    out.setdefault(key, []).append(node.value)
    return out


def _first_words(value: ast.AST, named: dict) -> set[str]:
    lists = [value] if isinstance(value, ast.List) else []
    if isinstance(value, ast.Name | ast.Attribute):
        lists = named.get(value.id if isinstance(value, ast.Name) else value.attr, [])
    words = set()
    for lst in lists:
        for elt in lst.elts[:1]:
            if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                words.add(elt.value)
            elif isinstance(elt, ast.Starred):
                words |= _first_words(elt.value, named)
    return words


def python_programs() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            named = _lists(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                    continue
                owner = node.func.value
                owner_name = owner.id if isinstance(owner, ast.Name) else ""
                if owner_name == "subprocess" and node.func.attr in CALLS and node.args:
                    words = _first_words(node.args[0], named)
                elif owner_name == "shutil" and node.func.attr == "which" and node.args:
                    arg = node.args[0]
                    words = {arg.value} if isinstance(arg, ast.Constant) else set()
                else:
                    continue
                for w in words:
                    if COMMAND.match(w):
                        found.setdefault(w, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


SEPARATORS = re.compile(r"&&|\|\||[|;(]|\$\(|`|\bthen\b|\bdo\b|\belse\b")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _lines(path: Path) -> list[tuple[int, str]]:
    """The lines that run commands: a Makefile's recipe lines, a script's lines."""
    out = []
    for n, raw in enumerate(path.read_text().splitlines(), 1):
        if path.name == "Makefile" and not raw.startswith("\t"):
            continue
        line = QUOTED.sub("''", raw).split("#", 1)[0].strip()
        if line:
            out.append((n, line))
    return out


def shell_programs() -> dict[str, str]:
    found: dict[str, str] = {}
    files = [*(ROOT / "scripts").glob("*.sh"), ROOT / ".ci" / "run", ROOT / "Makefile"]
    for path in files:
        functions = set(re.findall(r"^\s*([a-z_]+)\(\)", path.read_text(), re.M))
        for n, line in _lines(path):
            for part in SEPARATORS.split(line):
                words = part.strip().lstrip("@").split()
                while words and re.match(r"^[A-Za-z_]+=", words[0]):
                    words.pop(0)      # VAR=value command
                if words and words[0] in ("command", "which") and len(words) > 1:
                    words = words[2:] if words[1] == "-v" else words[1:]
                if words and COMMAND.match(words[0]) and words[0] not in functions:
                    found.setdefault(words[0], f"{path.relative_to(ROOT)}:{n}")
    return found


def test_every_program_started_is_installed_by_the_set_up_script():
    have = installed() | BASE | set(PROJECT)
    used = {**shell_programs(), **python_programs()}
    missing = {w: where for w, where in used.items() if w not in have}
    assert missing == {}, f"install these in {SETUP.name} (or list them as base): {missing}"


def test_the_finder_sees_the_programs_it_must():
    """So the test above cannot pass by seeing nothing."""
    used = {**shell_programs(), **python_programs()}
    assert {"debootstrap", "tar", "node", "npm", "dockerd", "docker", "chromium", "wrk",
            "initdb", "runuser"} <= set(used), sorted(used)
