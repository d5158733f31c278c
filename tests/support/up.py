"""`selfdata up` as a real process on free ports, for tests of the whole event."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.docker import remove_images
from tests.support.live_server import free_port


class Up:
    def __init__(self, folder: Path, *extra: str, households: int = 2,
                 env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, **(env or {})}
        self.port = free_port()
        self.store_port = free_port()
        while self.store_port == self.port:
            self.store_port = free_port()
        self.log = folder / "up.log"
        self.database = folder / "var" / "sandbox.db"
        self.args = [sys.executable, "-m", "selfdata.cli", "up", "-n", str(households),
                     "--port", str(self.port), "--store-port", str(self.store_port),
                     "--data", str(folder / "pop"), "--database", str(self.database), *extra]

    def start(self, timeout: float = 900) -> str:
        """Start it and wait until it serves; return what it printed."""
        self.proc = subprocess.Popen(self.args, cwd=self.folder, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while "Serving (Ctrl-C to stop)" not in self.log.read_text():
            assert self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.3)
        return self.log.read_text()

    def stop(self) -> str:
        """SIGTERM, as a service manager would; return the whole output. The images its store
        built are removed (each test's store is new, so nothing else would)."""
        self.proc.terminate()
        self.proc.wait(60)
        owner = "store-" + hashlib.sha256(str((self.database.parent / "store").resolve())
                                          .encode()).hexdigest()[:12]
        remove_images(owner)
        return self.log.read_text()
