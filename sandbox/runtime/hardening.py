"""The locked-down settings every app container runs with (docker SDK keyword arguments).

One function, used by the store's smoke runs and by the sandbox's installs alike, so the two
cannot drift. See reference/app-store-and-container-security.md §6.1 for the CIS items.
"""

from __future__ import annotations

from dataclasses import dataclass

APP_UID = 10001
APP_USER = f"{APP_UID}:{APP_UID}"
SOCK_MOUNT = "/run/selfdata"           # the socket folder, inside the container
SHIM_IN_IMAGE = "/opt/selfdata/shim.py"
APP_PORT = 8000                        # the app listens here; the shim bridges app.sock to it
API_PORT = 8080                        # the shim bridges this port to api.sock (the sandbox)


@dataclass(frozen=True)
class RunLimits:
    memory_mb: int = 256
    cpus: float = 0.5
    pids: int = 64
    tmpfs_mb: int = 32
    nofile: int = 1024
    fsize_mb: int = 64


def run_kwargs(limits: RunLimits, sock_dir: str) -> dict:
    from docker.types import LogConfig, Ulimit

    mem = f"{limits.memory_mb}m"
    return {
        "user": APP_USER,
        "read_only": True,
        "tmpfs": {"/tmp": f"rw,noexec,nosuid,nodev,size={limits.tmpfs_mb}m"},
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "network_mode": "none",
        "mem_limit": mem,
        "memswap_limit": mem,            # equal: no swap
        "nano_cpus": int(limits.cpus * 1e9),
        "pids_limit": limits.pids,
        "ulimits": [Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
                    Ulimit(name="fsize", soft=limits.fsize_mb << 20,
                           hard=limits.fsize_mb << 20)],
        "volumes": {sock_dir: {"bind": SOCK_MOUNT, "mode": "rw"}},
        "log_config": LogConfig(type="json-file", config={"max-size": "1m", "max-file": "2"}),
        "init": True,
        "working_dir": "/app",
    }
