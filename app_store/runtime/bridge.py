"""Host side of the unix-socket crossings into app containers.

``SocketBridges`` runs one asyncio loop in a thread and, per container, a unix-socket server
(``api.sock`` in the container's socket directory) that forwards each connection to the
sandbox's TCP port. ``app_client`` talks HTTP to the app through ``app.sock``.
"""

from __future__ import annotations

import asyncio
import os
import threading

import httpx

from app_store.runtime.shim import pipe


class SocketBridges:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._servers: dict[str, asyncio.AbstractServer] = {}
        self._thread = threading.Thread(target=self.loop.run_forever, name="socket-bridges",
                                        daemon=True)
        self._thread.start()

    def open(self, sock_path: str, host: str, port: int) -> None:
        """Listen on ``sock_path``; forward every connection to ``host:port``."""
        async def handle(reader, writer):
            try:
                up_r, up_w = await asyncio.open_connection(host, port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

        async def start():
            if os.path.exists(sock_path):
                os.unlink(sock_path)
            server = await asyncio.start_unix_server(handle, sock_path)
            os.chmod(sock_path, 0o666)  # the app user in the container connects to it
            return server

        self._servers[sock_path] = asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def close(self, sock_path: str) -> None:
        server = self._servers.pop(sock_path, None)
        if server is not None:
            async def stop():
                server.close()
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        if os.path.exists(sock_path):
            os.unlink(sock_path)

    def shutdown(self) -> None:
        for path in list(self._servers):
            self.close(path)
        self.loop.call_soon_threadsafe(self.loop.stop)


def app_client(sock_dir: str, timeout_s: float = 10) -> httpx.Client:
    """An HTTP client whose requests reach the app's port 8000 through ``app.sock``."""
    transport = httpx.HTTPTransport(uds=os.path.join(sock_dir, "app.sock"))
    return httpx.Client(transport=transport, base_url="http://app", timeout=timeout_s)
