"""`selfdata token` and `selfdata sandbox instances` find the project's database, and never
create an empty one: run from the app's folder (a child of the project), they use the
project's; with none to find, they say which database they looked at and how to name another."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sandbox import cli
from sandbox.service import Sandbox
from sandbox.settings import Settings


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder whose var/sandbox.db holds alice and bob; the installed checkout
    holds no database."""
    root = tmp_path / "project"
    (root / "var").mkdir(parents=True)
    sb = Sandbox(Settings(database_url=f"sqlite:///{root / 'var' / 'sandbox.db'}"))
    sb.instances.create("alice")
    sb.instances.create("bob")
    sb.close()
    monkeypatch.setattr(cli, "CHECKOUT", tmp_path / "checkout")
    monkeypatch.delenv("SELFDATA_DATABASE_URL", raising=False)
    return root


def run(*args: str):
    return CliRunner().invoke(cli.token, list(args))


def test_from_the_apps_folder_the_projects_database_is_found(project, monkeypatch):
    app = project / "my-bills" / "vendor"
    app.mkdir(parents=True)
    monkeypatch.chdir(app)
    res = run("--instance", "alice", "--scope", "io.cozy.bills:GET")
    assert res.exit_code == 0, res.output
    assert res.output.count(".") == 2  # a JWT, alone on its line
    assert not (project / "my-bills" / "var").exists() and not (app / "var").exists()
    res = CliRunner().invoke(cli.instances, [])
    assert res.exit_code == 0 and "alice" in res.output and "bob" in res.output


def test_the_checkouts_database_is_used_from_anywhere_else(project, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "CHECKOUT", project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run("--instance", "bob", "--scope", "io.cozy.bills:GET").exit_code == 0
    assert not (elsewhere / "var").exists()


def test_with_no_database_to_find_it_says_where_it_looked_and_creates_nothing(
        project, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = run("--instance", "alice", "--scope", "io.cozy.bills:GET")
    assert res.exit_code == 2
    assert f"no sandbox database at {elsewhere / 'var' / 'sandbox.db'}" in res.output
    assert "--database-url" in res.output and "make run" in res.output
    assert not (elsewhere / "var").exists()
    # a database named but missing is not created either
    gone = tmp_path / "gone.db"
    res = run("--instance", "alice", "--scope", "io.cozy.bills:GET", "--database-url",
              f"sqlite:///{gone}")
    assert res.exit_code == 2 and f"no sandbox database at {gone}" in res.output
    assert not gone.exists()
    assert CliRunner().invoke(cli.instances, []).exit_code == 2


def test_an_instance_that_is_not_there_names_the_database_and_its_instances(
        project, monkeypatch):
    monkeypatch.chdir(project)
    res = run("--instance", "carol", "--scope", "io.cozy.bills:GET")
    assert res.exit_code == 2
    url = f"sqlite:///{project / 'var' / 'sandbox.db'}"
    assert f"no instance named 'carol' in {url} (this folder's var/sandbox.db)" in res.output
    assert "instances there: alice, bob" in res.output and "--database-url" in res.output
    # the environment variable names the database too
    monkeypatch.setenv("SELFDATA_DATABASE_URL", url)
    monkeypatch.chdir(project.parent)
    assert run("--instance", "alice", "--scope", "io.cozy.bills:GET").exit_code == 0
    res = run("--instance", "alice", "--scope", "nonsense scope!")
    assert res.exit_code == 2 and "Error:" in res.output
