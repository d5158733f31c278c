"""ASGI factory for uvicorn (``--factory``): settings read from the environment at start."""

import gc

from fastapi import FastAPI

from sandbox.settings import Settings
from sandbox.web.app import create_app


def build() -> FastAPI:
    app = create_app(Settings.from_env())
    # A server process keeps its start-up objects for life: move them out of the collector's
    # sight and collect the young generation less often, which removes most latency spikes.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 50, 100)
    return app
