"""The Docker engine for tests: found or skipped (in CI, a failure: `make test` starts one)."""

from __future__ import annotations

from functools import cache

from tests.support.requirements import require


@cache
def _engine():
    from app_store.runtime.engine import DockerEngine, EngineError

    try:
        return DockerEngine(), ""
    except EngineError as exc:
        return None, str(exc)


def engine():
    eng, why = _engine()
    require(eng is not None, f"no Docker engine: {why} (make test starts one: "
                             "scripts/ensure-docker.sh)")
    return eng


@cache
def base_image() -> str:
    from app_store.runtime.base_image import ensure_base_image

    return ensure_base_image(engine(), log=lambda _m: None)


def remove_images(owner: str) -> None:
    """Remove the images a test's store built (labelled with its owner), if an engine runs."""
    eng, _ = _engine()
    if eng is None:
        return
    for img in eng.client.images.list(filters={"label": f"selfdata.owner={owner}"}):
        eng.remove_image(img.id)
