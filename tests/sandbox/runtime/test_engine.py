"""The engine protocol, one conformance suite per implementation: the real Docker engine
(through its SDK, on the engine `make test` starts) and the missing engine that stands in when
there is none. Image clean-up goes through the protocol, never around it."""

from __future__ import annotations

import inspect
import io
import tarfile
import tempfile

import pytest

from sandbox.runtime.engine import DockerEngine, Engine, EngineError, MissingEngine, RunSpec
from sandbox.runtime.hardening import RunLimits
from tests.support import docker

METHODS = [name for name, _ in inspect.getmembers(Engine, inspect.isfunction)
           if not name.startswith("_")]


def _context(label: str) -> bytes:
    """A one-line build on the base image: cheap, and labelled so we can find it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = (f"FROM {docker.base_image()}\nLABEL conformance={label}\n"
                'CMD ["python3", "-c", "print(1)"]\n').encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("method", METHODS)
def test_a_missing_engine_says_why_on_every_call(method):
    eng = MissingEngine("no Docker here: start one")
    with pytest.raises(EngineError, match="no Docker here"):
        getattr(eng, method)()


def test_the_protocol_lists_what_the_store_and_the_sandbox_use():
    assert {"build", "start", "state", "logs", "remove", "images", "remove_image",
            "containers", "image_labels", "image_id", "import_image", "ping"} <= set(METHODS)


@pytest.mark.docker
def test_the_docker_engine_builds_labels_lists_runs_and_cleans_up():
    eng: Engine = docker.engine()
    assert isinstance(eng, DockerEngine) and eng.ping()
    owner = f"selfdata.owner=conformance-{id(eng)}"
    ok, log, image_id = eng.build(_context("1"), "selfdata-test/conformance:1",
                                  {"selfdata.owner": owner.split("=", 1)[1], "x": "y"},
                                  timeout_s=120)
    assert ok and image_id, log
    try:
        assert eng.image_id("selfdata-test/conformance:1") == image_id
        assert eng.image_labels(image_id)["x"] == "y"
        assert eng.images(owner) == [image_id]
        with tempfile.TemporaryDirectory(prefix="sd-", dir="/tmp") as sock_dir:
            cid = eng.start(RunSpec(image=image_id, env={"PORT": "8000"}, sock_dir=sock_dir,
                                    limits=RunLimits(), labels={"selfdata.owner":
                                                                owner.split("=", 1)[1]}))
            try:
                assert eng.containers(owner) == [cid]
                state = eng.state(cid)
                assert state.status in ("created", "running", "exited")
                assert isinstance(eng.logs(cid), str)
            finally:
                eng.remove(cid)
            assert eng.containers(owner) == []
            eng.remove(cid)  # removing twice is harmless
    finally:
        eng.remove_image(image_id)
    assert eng.images(owner) == [] and eng.image_id(image_id) is None
    eng.remove_image(image_id)  # likewise
    with pytest.raises(EngineError, match="nothing is pulled"):
        eng.start(RunSpec(image="selfdata-test/absent:0", env={}, sock_dir="/tmp"))
