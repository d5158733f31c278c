"""ASGI apps served by uvicorn in a thread (the same helper `selfdata up` uses), for clients
that are not Python (Node, browsers) or that must cross a real socket. The port is bound first
(port 0: the system picks a free one) and read back, so no other process can take it between
choosing and binding."""

from __future__ import annotations

import contextlib
import socket

from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.web.app import create_app
from selfdata.event import listening_socket, serve_in_thread, shutdown


def bound_socket(port: int = 0) -> socket.socket:
    return listening_socket(port)


class Served:
    def __init__(self, app, lifespan: str = "on", sock: socket.socket | None = None):
        self.app = app
        self.lifespan = lifespan
        self.sock = sock or listening_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self) -> Served:
        try:
            self.server = serve_in_thread(self.app, self.sock, self.lifespan)
        except RuntimeError:
            self.sock.close()
            raise
        return self

    def stop(self) -> None:
        if self.server is not None:
            shutdown([self.server], timeout_s=15)
            self.server = None
        self.sock.close()

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class LiveServer(Served):
    """The sandbox built from ``settings``, served; ``sandbox`` mints instances and tokens
    in-process. Its settings name the port it really serves on."""

    def __init__(self, settings: Settings):
        sock = listening_socket()
        self.settings = settings.model_copy(update={"port": sock.getsockname()[1]})
        super().__init__(create_app(self.settings), sock=sock)

    @property
    def sandbox(self) -> Sandbox:
        return self.app.state.sandbox

    def stop(self) -> None:
        super().stop()
        # The lifespan's shutdown closed the sandbox; closing again covers a server that
        # failed before its lifespan ran.
        with contextlib.suppress(Exception):
            self.sandbox.close()


def nowhere() -> tuple[socket.socket, str]:
    """A socket bound but not listening, and its URL: connections there are refused, and no
    other process can take the port while the socket is held."""
    sock = listening_socket()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
