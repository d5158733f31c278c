"""A throwaway PostgreSQL cluster from the machine's server binaries, in a temp directory.

It listens on a unix socket in that directory only: no TCP port to choose, nothing another
process could take, and ``pg_ctl -w`` returns once it accepts connections."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg


def find_bin_dir() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"):
        for d in sorted(glob.glob(pattern), reverse=True):
            if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
                return Path(d)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class Cluster:
    def __init__(self) -> None:
        bindir = find_bin_dir()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found; install "
                               "Debian's postgresql package")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="selfdata-pg-"))
        self.data = self.root / "data"
        self.port = 5432   # names the socket file in our own directory, not a TCP port
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            subprocess.run(["chown", "-R", "postgres:", str(self.root)], check=True)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, text=True)

    def start(self) -> Cluster:
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                  "postgres", "-E", "UTF8", "--locale=C")
        opts = (f"-c listen_addresses='' -c port={self.port} "
                f"-c unix_socket_directories={self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l",
                  str(self.root / "log"), "-w", "-t", "60", "start")
        return self

    def create_database(self, name: str) -> str:
        with psycopg.connect(f"host={self.root} port={self.port} user=postgres "
                             "dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.root}&port={self.port}"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
