"""A command run as a real process whose output is read line by line as it comes: a test
waits for the line it expects (a signal), never for a fixed time."""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from pathlib import Path


class Lines:
    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None):
        self.proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, **(env or {})})
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._new:
                self.lines.append(line)
                self._new.notify_all()
        with self._new:
            self._new.notify_all()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = 120, after: int = 0) -> re.Match:
        """The first match of ``pattern`` in a line printed after the first ``after`` lines;
        fails with the output when the process ends or ``timeout`` passes first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._new:
            seen = after
            while True:
                for i in range(seen, len(self.lines)):
                    m = regex.search(self.lines[i])
                    if m:
                        return m
                seen = len(self.lines)
                ended = not self._reader.is_alive()
                left = deadline - time.monotonic()
                if ended or left <= 0:
                    raise AssertionError(f"{pattern!r} not printed "
                                         f"({'exited' if ended else 'timed out'}):\n"
                                         f"{self.output[-5000:]}")
                self._new.wait(left)

    def stop(self, timeout: float = 30) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.output
