"""The Docker engine for tests: found or skipped (in CI, a failure: `make test` starts one)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app_store.build_farm.base_image import ensure_base_image
from app_store.build_farm.farm import owner_of
from sandbox.runtime.engine import DockerEngine, EngineError
from tests.support.requirements import require


@cache
def _engine() -> tuple[DockerEngine | None, str]:
    try:
        return DockerEngine(), ""
    except EngineError as exc:
        return None, str(exc)


def engine() -> DockerEngine:
    eng, why = _engine()
    require(eng is not None, f"no Docker engine: {why} (make test starts one: "
                             "scripts/ensure-docker.sh)")
    assert eng is not None
    return eng


@cache
def base_image() -> str:
    return ensure_base_image(engine(), log=lambda _m: None)


def remove_images(store_data_dir: Path) -> None:
    """Remove the images a test's store built (labelled with its owner), if an engine runs."""
    eng, _ = _engine()
    if eng is None:
        return
    for image_id in eng.images(f"selfdata.owner={owner_of(store_data_dir)}"):
        eng.remove_image(image_id)
