"""ASGI factory for uvicorn (``--factory``): settings read from the environment at start."""

from fastapi import FastAPI

from sandbox.settings import Settings
from sandbox.web.app import create_app


def build() -> FastAPI:
    return create_app(Settings.from_env())
