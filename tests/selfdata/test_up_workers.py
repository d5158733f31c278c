"""`selfdata up --workers 2`: the event's sandbox served by two processes on its port."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.up import Up


def spawned_children(pid: int) -> int:
    """Processes started by ``pid`` through multiprocessing's spawn (Linux /proc)."""
    n = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        n += ppid == pid and b"spawn_main" in cmdline
    return n


def test_up_with_two_workers_serves_the_sandbox_from_two_processes(tmp_path):
    up = Up(tmp_path, "--no-samples", "--workers", "2")
    try:
        out = up.start(timeout=300)
        assert spawned_children(up.proc.pid) == 2
        token = re.search(r"export TOKEN=(\S+)", out)[1]
        first = re.search(r"First tester's dashboard\s+http://([a-z0-9-]+)\.localhost", out)[1]
        headers = {"Authorization": f"Bearer {token}",
                   "Host": f"{first}.localhost:{up.port}", "Connection": "close"}
        # a new connection each time: the kernel hands them to either process
        for _ in range(6):
            r = httpx.get(f"http://127.0.0.1:{up.port}/data/io.cozy.bills/_normal_docs",
                          params={"limit": 1}, headers=headers)
            assert r.status_code == 200 and r.json()["total_rows"] > 0
        assert httpx.get(f"http://127.0.0.1:{up.store_port}/").status_code == 200
    finally:
        up.stop()
