"""Any ASGI app served by uvicorn in a thread on a loopback port, for the length of a test."""

from __future__ import annotations

import threading

import uvicorn

from tests.support.live_server import free_port, wait_http


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


class Served:
    def __init__(self, app, port: int | None = None, health: str = "/status",
                 lifespan: str = "on"):
        self.lifespan = lifespan
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.health = health

    def __enter__(self) -> Served:
        self.server = _Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                             log_level="warning", lifespan=self.lifespan))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_http(self.url + self.health, thread=self.thread)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(15)
