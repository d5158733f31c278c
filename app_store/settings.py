"""Store settings: one object, from ``SELFDATA_STORE_*`` environment variables, passed in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sandbox.settings import read_env


@dataclass(frozen=True)
class StoreSettings:
    database_url: str = "sqlite:///var/store.db"
    data_dir: Path = Path("var/store")            # artifacts, smoke sandbox
    wheel_cache: str = ""                         # default: ~/.cache/selfdata/wheelhouse
    host: str = "127.0.0.1"
    port: int = 8090
    public_url: str = ""                          # how others reach the store (default host:port)
    sandbox_url: str = "http://localhost:8080"     # the testers' sandbox, for install links
    docker_host: str = ""                         # default: DOCKER_HOST, then the usual socket
    base_image: str = ""                          # SELFDATA_BASE_IMAGE: use this, don't build
    workers: int = 2                              # builds in parallel
    build_timeout_s: float = 300
    health_timeout_s: float = 20
    smoke_seed: int = 7
    max_upload_bytes: int = 20 * 1024 * 1024
    # Container limits (smoke runs and installs).
    memory_mb: int = 256
    cpus: float = 0.5
    pids: int = 64
    tmpfs_mb: int = 32

    @property
    def wheel_cache_dir(self) -> Path:
        """Wheels resolved for apps, shared by the stores of this machine (like pip's cache)."""
        return Path(self.wheel_cache).expanduser() if self.wheel_cache else \
            Path.home() / ".cache" / "selfdata" / "wheelhouse"

    @property
    def url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> StoreSettings:
        values = read_env(cls, "SELFDATA_STORE_", environ,
                          names={"base_image": "SELFDATA_BASE_IMAGE"})
        values.update(overrides)
        return cls(**values)
