"""ASGI apps served by uvicorn in a thread, for clients that are not Python (Node, browsers)
or that must cross a real socket. The port is bound first (port 0: the system picks a free
one) and read back, so no other process can take it between choosing and binding."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import uvicorn

from sandbox.service import Sandbox
from sandbox.settings import Settings
from sandbox.web.app import create_app


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass


def bound_socket(port: int = 0) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class Served:
    def __init__(self, app, lifespan: str = "on", sock: socket.socket | None = None):
        self.app = app
        self.lifespan = lifespan
        self.sock = sock or bound_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> Served:
        self.server = _Server(uvicorn.Config(self.app, log_level="warning", access_log=False,
                                             lifespan=self.lifespan))
        self._thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                        name=f"served-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:  # uvicorn sets the flag; it offers no event to wait on
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on port {self.port} did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 15.0) -> None:
        if self._thread is not None:
            self.server.should_exit = True
            self._thread.join(timeout)
            if self._thread.is_alive():
                self.server.force_exit = True
                self._thread.join(timeout)
            self._thread = None
        self.sock.close()

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class LiveServer(Served):
    """The sandbox built from ``settings``, served; ``sandbox`` mints instances and tokens
    in-process. Its settings name the port it really serves on."""

    def __init__(self, settings: Settings):
        sock = bound_socket()
        self.settings = settings.model_copy(update={"port": sock.getsockname()[1]})
        super().__init__(create_app(self.settings), sock=sock)

    @property
    def sandbox(self) -> Sandbox:
        return self.app.state.sandbox

    def stop(self, timeout: float = 15.0) -> None:
        super().stop(timeout)
        # The lifespan's shutdown closed the sandbox; closing again covers a server that
        # failed before its lifespan ran.
        with contextlib.suppress(Exception):
            self.sandbox.close()


def nowhere() -> tuple[socket.socket, str]:
    """A socket bound but not listening, and its URL: connections there are refused, and no
    other process can take the port while the socket is held."""
    sock = bound_socket()
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"
