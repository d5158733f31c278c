"""A store with one challenge opened, on a real Docker engine (the challenge scoring tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app_store.challenges import households
from tests.support import docker
from tests.support.store import StoreHarness, make_store

# The store draws a secret seed per challenge; the tests fix it so that their hidden
# households (and so their figures) are the same every run.
HIDDEN_SEED = 736_409_218_554


@contextmanager
def challenge_store(folder: Path, definition: dict, **settings) -> Iterator[StoreHarness]:
    """A store in ``folder`` where the organiser created and opened ``definition``, with the
    hidden seed fixed; ``settings``: more store settings (``scoring_parallel``...)."""
    docker.base_image()
    with pytest.MonkeyPatch.context() as mp, \
            make_store(folder, health_timeout_s=20, **settings) as harness:
        mp.setattr(households, "draw_secret_seed", lambda: HIDDEN_SEED)
        r = harness.post("/api/challenges", json=definition, headers=harness.auth("Org"))
        assert r.status_code == 201, r.text
        assert harness.post(f"/api/challenges/{definition['key']}/open",
                            headers=harness.auth("Org")).status_code == 200
        try:
            yield harness
        finally:
            harness.store.farm.forget_images()
