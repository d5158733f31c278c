"""Schemathesis (its command line, as an outside client would run it) against a live app:
requests generated from the app's own OpenAPI document, none of which may answer 5xx or drop
the connection, nor answer a status its document does not list (so the documented error
answers are the ones it gives). Returns what it ran, for the test to check and print."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class FuzzRun:
    cases: int
    passed: int
    output: str


def fuzz(base_url: str, token: str, report_dir: Path, examples: int = 12,
         checks: str = "not_a_server_error,status_code_conformance",
         timeout_s: float = 900) -> FuzzRun:
    cli = Path(sys.executable).with_name("schemathesis")
    cmd = [str(cli), "run", f"{base_url}/openapi.json", "--checks", checks,
           "--max-examples", str(examples), "--seed", "20161", "--no-color",
           "--header", f"Authorization: Bearer {token}", "--request-timeout", "30",
           "--report", "junit", "--report-dir", str(report_dir)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    out = done.stdout + done.stderr
    m = re.search(r"(\d+) generated, (\d+) passed", out)
    assert done.returncode == 0 and m, out[-6000:]
    print(f"schemathesis: {m[1]} cases against {base_url}")
    return FuzzRun(int(m[1]), int(m[2]), out)
