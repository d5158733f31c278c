"""Cozy's own publishing tool, ``cozy-app-publish`` (npm, tests/sandbox/js), run as a team
would run it against a live store: it reads ``build/manifest.webapp``, downloads the build from
the team's local server to compute its sha256, and posts the version to ``/registry/:slug``.
The submission then goes through the same pipeline as ``selfdata submit`` (checked here up to
the build: no container engine in this test)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest

from app_store.client import StoreClient
from tests.support.apps import app_files, manifest, tar_gz
from tests.support.build_server import build_server
from tests.support.node import JsSetupError, js_packages
from tests.support.requirements import require
from tests.support.store import approve_directly_in, live_store

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def tool() -> Path:
    try:
        return js_packages() / "node_modules" / ".bin" / "cozy-app-publish"
    except JsSetupError as exc:
        require(False, str(exc))
        raise


def run(tool: Path, folder: Path, m: dict, registry: str, token: str, build_url: str,
        version: str) -> subprocess.CompletedProcess:
    """The tool in a team's project folder: ``build/`` holds the manifest it reads."""
    (folder / "build").mkdir(parents=True, exist_ok=True)
    (folder / "build" / "manifest.webapp").write_bytes(orjson.dumps(m))
    env = {k: v for k, v in os.environ.items() if k not in ("TRAVIS", "CI_TOKEN")}
    return subprocess.run([str(tool), "--token", token, "--build-url", build_url,
                           "--manual-version", version, "--registry-url", registry, "--yes"],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def test_cozy_app_publish_publishes_to_the_store(tool, tmp_path):
    m = manifest()
    blue = tmp_path / "blue"
    with live_store(tmp_path / "store") as (store, tokens), \
            build_server({"/my-calls.tar.gz": tar_gz(app_files(m))}) as (builds, sent):
        st = store.app.state.store
        done = run(tool, blue, m, store.url, tokens["Blue"], f"{builds}/my-calls.tar.gz",
                   "1.0.0")
        assert done.returncode == 0, done.stdout + done.stderr
        assert sent == ["/my-calls.tar.gz"] * 2        # the tool's sha256, then the store
        (row,) = st.submissions.listing()
        assert row.filename == "my-calls.tar.gz"
        # the same pipeline as selfdata submit: checked, claimed, then built
        with httpx.Client(base_url=store.url, timeout=30) as http:
            final = StoreClient(store.url, tokens["Blue"], http=http).wait(row.id, 120,
                                                                           every_s=0.05)
        assert (final["slug"], final["version"]) == ("my-calls", "1.0.0")
        assert final["checks"]["accepted"], final["checks"]
        assert "cannot build right now" in final["reason"]    # no engine in this test

        # hostile: a token the store does not know
        bad = run(tool, blue, m, store.url, "sd_t_" + "x" * 32, f"{builds}/my-calls.tar.gz",
                  "1.1.0")
        assert bad.returncode != 0
        assert "401 Unauthorized: Token could not be verified" in bad.stdout + bad.stderr

        # hostile: another team's slug (Blue's app, approved)
        approve_directly_in(st, tokens["Blue"], manifest(version="1.0.0"))
        red = run(tool, tmp_path / "red", m, store.url, tokens["Red"],
                  f"{builds}/my-calls.tar.gz", "1.0.0")
        assert red.returncode != 0 and "belongs to another team" in red.stdout + red.stderr

        # hostile: a version that does not go up
        again = run(tool, blue, m, store.url, tokens["Blue"], f"{builds}/my-calls.tar.gz",
                    "1.0.0")
        assert again.returncode != 0
        assert "409 Conflict: Version already exists" in again.stdout + again.stderr
        assert len(st.submissions.listing()) == 2    # the first publish and the approved one
