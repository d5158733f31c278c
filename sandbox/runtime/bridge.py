"""Host side of the unix-socket crossings into app containers.

Both sockets live in a directory the container can write, so the host trusts nothing there:

- ``api.sock``: the host listens on it with an HTTP server (uvicorn) for an ASGI app — the
  sandbox behind an :class:`~sandbox.web.app_gate.ApiGate` — so what crosses is HTTP the host
  parses, never raw bytes piped to a port.
- ``app.sock``: the container listens; the host connects only after opening the path with
  ``O_NOFOLLOW`` and checking it is a socket, then connects through ``/proc/self/fd/N``. A
  symlink planted by the app (say, to the Docker socket) is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class UnsafeSocket(OSError):
    """``app.sock`` is missing or is not a socket (a link, a file ...)."""


@contextmanager
def app_socket(sock_dir: str, name: str = "app.sock") -> Iterator[str]:
    """A path that reaches the socket the container created, and nothing else."""
    path = os.path.join(sock_dir, name)
    try:
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW)
    except FileNotFoundError as exc:
        raise UnsafeSocket("the app has not opened its socket yet") from exc
    try:
        if not stat.S_ISSOCK(os.fstat(fd).st_mode):
            raise UnsafeSocket(f"{name} is not a socket (a link or a file): refused")
        yield f"/proc/self/fd/{fd}"
    finally:
        os.close(fd)


def bridge_listening(sock_dir: str) -> bool:
    """Whether some process of this sandbox still serves the container's ``api.sock``: a
    container whose starter is gone has no API left, and is replaced rather than adopted.
    (Connects and closes; nothing is sent.)"""
    try:
        with app_socket(sock_dir, "api.sock") as path:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(1)
            try:
                sock.connect(path)
            finally:
                sock.close()
        return True
    except OSError:
        return False


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket path; the socket is closed even when connecting fails."""

    def __init__(self, path: str, timeout: float):
        super().__init__("app", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True)
class Reply:
    status_code: int
    body: bytes


def app_get(sock_dir: str, path: str, timeout_s: float = 10,
            max_bytes: int = 1 << 20) -> Reply:
    """``GET path`` on the app's port, through its socket (health checks and the smoke run's
    look at the page). Raises ``OSError`` or ``http.client.HTTPException`` when the app does
    not answer properly."""
    return app_request(sock_dir, "GET", path, None, timeout_s, max_bytes)


def app_request(sock_dir: str, method: str, path: str, body: bytes | None = None,
                timeout_s: float = 10, max_bytes: int = 1 << 20) -> Reply:
    """``method path`` (with a JSON ``body``) on the app's port, through its socket: the
    store's runtime hooks, such as a challenge's analysis."""
    with app_socket(sock_dir) as uds:
        conn = _UnixConnection(uds, timeout_s)
        try:
            headers = {"Host": "app"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return Reply(r.status, r.read(max_bytes))
        finally:
            conn.close()


class SocketBridges:
    """One asyncio loop in a thread serving every container's ``api.sock``."""

    def __init__(self, max_connections: int = 64) -> None:
        self.max_connections = max_connections
        self.loop = asyncio.new_event_loop()
        self._servers: dict[str, tuple] = {}
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.loop.run_forever, name="socket-bridges",
                                        daemon=True)
        self._thread.start()

    def serve(self, sock_path: str, asgi_app, timeout_s: float = 10) -> None:
        """Serve ``asgi_app`` over HTTP on the unix socket ``sock_path``."""
        import uvicorn

        if os.path.lexists(sock_path):
            os.unlink(sock_path)
        config = uvicorn.Config(asgi_app, uds=sock_path, lifespan="off", log_level="warning",
                                access_log=False, limit_concurrency=self.max_connections)
        server = uvicorn.Server(config)
        future = asyncio.run_coroutine_threadsafe(server.serve(), self.loop)
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if future.done():
                future.result()  # raises what stopped it
                raise RuntimeError(f"the bridge on {sock_path} stopped at once")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the bridge on {sock_path} did not start")
            time.sleep(0.01)
        os.chmod(sock_path, 0o666)  # the app user in the container connects to it
        with self._lock:
            self._servers[sock_path] = (server, future)

    def serves(self, sock_path: str) -> bool:
        with self._lock:
            return sock_path in self._servers

    def close(self, sock_path: str) -> None:
        with self._lock:
            entry = self._servers.pop(sock_path, None)
        if entry is not None:
            server, future = entry
            server.should_exit = True
            with contextlib.suppress(Exception):
                future.result(10)
        if os.path.lexists(sock_path):
            os.unlink(sock_path)

    def shutdown(self) -> None:
        for path in list(self._servers):
            self.close(path)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self.loop.close()
