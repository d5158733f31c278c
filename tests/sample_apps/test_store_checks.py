"""Every sample app passes the store's checks, as a contestant's upload would, and keeps the
conventions the runtime contract and the other apps rely on."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from app_store.checks.code import CODE, DOCTYPE
from app_store.checks.run import check_upload
from sandbox.contract import doctypes
from tests.support.sample_apps import APPS as ROOT
from tests.support.sample_apps import app_dirs, app_files, manifest_of, pack

APPS = app_dirs()
IDS = [a.name for a in APPS]
PYTHON_APPS = [a for a in APPS if manifest_of(a)["runtime"]["type"] == "python"]


def test_the_five_sample_apps_are_there() -> None:
    assert set(IDS) >= {"energy-coach", "my-calls", "home-and-insurance", "leak-watch", "budget"}


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_the_store_accepts_the_app_without_a_warning(app: Path) -> None:
    report = check_upload(pack(app), f"{app.name}.tar.gz")
    assert report.accepted, [p.to_json() for p in report.problems]
    assert report.problems == []


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_manifest_follows_the_conventions(app: Path) -> None:
    m = manifest_of(app)
    assert m["slug"] == app.name
    assert m["version"] == "1.0.0"
    assert m["editor"] == "Selfdata Sandbox"
    assert m["license"] == "MIT"
    assert m["icon"] == "icon.svg"
    assert (app / "icon.svg").read_text().lstrip().startswith("<svg")
    assert m["categories"] and m["short_description"] and len(m["long_description"]) > 100
    for rule in m["permissions"].values():
        assert len(rule["description"]) > 30
        assert set(rule["verbs"]) <= {"GET", "POST"}
    rt = m["runtime"]
    if rt["type"] == "python":
        assert rt["command"] == ["python3", "server.py"]
        assert rt["health"] == "/health"
        assert (app / "server.py").exists()
    else:
        assert rt == {"type": "static", "index": "index.html"}


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_permissions_are_exactly_the_doctypes_the_code_uses(app: Path) -> None:
    m = manifest_of(app)
    used = set()
    for name, data in app_files(app).items():
        if name.endswith(CODE) and name != "manifest.webapp":
            used |= {d for d in DOCTYPE.findall(data.decode())
                     if doctypes.is_known(d) or doctypes.is_own(d, m["slug"])}
    declared = {r["type"] for r in m["permissions"].values()}
    assert used == declared


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_no_address_is_written_in_the_code(app: Path) -> None:
    """The cloud's address comes from the environment (COZY_URL) or the templated page."""
    for name, data in app_files(app).items():
        if name.endswith(CODE) and name != "manifest.webapp":
            assert not re.search(r"\b(?:https?|wss?)://", data.decode()), name


@pytest.mark.parametrize("app", APPS, ids=IDS)
def test_readme_says_what_how_and_which_data(app: Path) -> None:
    text = (app / "README.md").read_text()
    assert f"selfdata dev sample_apps/{app.name} --instance" in text
    for rule in manifest_of(app)["permissions"].values():
        assert rule["type"] in text
    assert "test" in text.lower()


@pytest.mark.parametrize("app", PYTHON_APPS, ids=[a.name for a in PYTHON_APPS])
def test_python_apps_import_only_what_they_declare(app: Path) -> None:
    requirements = app / "requirements.txt"
    pinned = requirements.read_text().split() if requirements.exists() else []
    allowed = set(sys.stdlib_module_names) | {p.stem for p in app.glob("*.py")}
    allowed |= {r.split("==")[0].lower() for r in pinned}
    for path in app.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for n in names:
                assert n.split(".")[0] in allowed, f"{path.name} imports {n}"


def test_energy_coach_pins_exactly_httpx() -> None:
    text = (ROOT / "energy-coach" / "requirements.txt").read_text()
    assert text.split() == ["httpx==0.28.1"]
    manifest = manifest_of(ROOT / "energy-coach")
    assert manifest["runtime"]["requirements"] == "requirements.txt"


def test_stdlib_apps_have_no_requirements() -> None:
    for slug in ("home-and-insurance", "leak-watch", "budget"):
        assert not (ROOT / slug / "requirements.txt").exists()
        assert "requirements" not in manifest_of(ROOT / slug)["runtime"]
