"""`selfdata up` as a real process on ports it picks itself (``--port 0``), for tests of the
whole event. Its output is read line by line as it comes; the test waits for the line that
says it serves, not for a fixed time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

from tests.support.docker import remove_images

READY = "Serving (Ctrl-C to stop)"


class Up:
    def __init__(self, folder: Path, *extra: str, households: int = 2,
                 env: dict[str, str] | None = None):
        self.folder = folder
        self.env = {**os.environ, **(env or {})}
        self.log = folder / "up.log"
        self.database = folder / "var" / "sandbox.db"
        self.args = [sys.executable, "-m", "selfdata.cli", "up", "-n", str(households),
                     "--port", "0", "--store-port", "0", "--data", str(folder / "pop"),
                     "--database", str(self.database), *extra]
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.port = self.store_port = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.log.open("w") as log:
            for line in self.proc.stdout:
                self.lines.append(line)
                log.write(line)
                log.flush()
                if READY in line:
                    self._ready.set()
        self._ready.set()  # the process ended: stop waiting

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(self, timeout: float = 900) -> str:
        """Start it and wait until it serves; return what it printed."""
        self.proc = subprocess.Popen(self.args, cwd=self.folder, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=self.env, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self._ready.wait(timeout), self.output
        assert self.proc.poll() is None, self.output
        out = self.output
        self.port = int(re.search(r"Sandbox \(personal clouds\)\s+http://127\.0\.0\.1:(\d+)/",
                                  out)[1])
        self.store_port = int(re.search(r"App store catalogue\s+http://127\.0\.0\.1:(\d+)/",
                                        out)[1])
        return out

    def stop(self) -> str:
        """SIGTERM, as a service manager would; return the whole output. The images its store
        built are removed (each test's store is new, so nothing else would)."""
        self.proc.terminate()
        self.proc.wait(60)
        self._reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        remove_images(self.database.parent / "store")
        return self.output
