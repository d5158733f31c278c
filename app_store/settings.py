"""Store settings: one object, from ``SELFDATA_STORE_*`` environment variables, passed in.

Container limits are the sandbox's :class:`~sandbox.settings.AppLimits` (``SELFDATA_APP_*``),
so smoke runs and installs run apps alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox.settings import AppLimits, load


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELFDATA_STORE_", frozen=True,
                                      extra="forbid")

    database_url: str = Field("sqlite:///var/store.db", description="SQLAlchemy URL of the "
                              "store's database (SQLite file or PostgreSQL).")
    data_dir: Path = Field(Path("var/store"), description="Where uploads (by sha256) and the "
                           "smoke-run sandbox are kept.")
    wheel_cache: str = Field("", description="Where the wheels resolved for apps are cached "
                             "(default ~/.cache/selfdata/wheelhouse), shared by the stores of "
                             "a machine.")
    host: str = Field("127.0.0.1", description="Address the store listens on.")
    port: int = Field(8090, ge=1, le=65535, description="Port the store listens on.")
    public_url: str = Field("", description="How others reach the store (default "
                            "http://HOST:PORT): the registry URLs it gives.")
    sandbox_url: str = Field("http://localhost:8080", description="The testers' sandbox, for "
                             "install links.")
    live_admin_token: str = Field("", description="The sandbox's organiser token for live "
                                  "time (its SELFDATA_LIVE_ADMIN_TOKEN): the organiser console "
                                  "drives the event's clock with it, at sandbox_url. Empty: "
                                  "the console's Live time panel says it is not set up. "
                                  "`selfdata up --live` sets both.")
    live_faults: str = Field("", max_length=40, description="The delivery-fault profile the "
                             "live run was loaded with (clean, realistic, hostile), shown in "
                             "the console (`selfdata up --live --faults` sets it).")
    docker_host: str = Field("", description="Docker engine that builds and runs apps "
                             "(default: DOCKER_HOST, then the usual socket).")
    base_image: str = Field("", validation_alias=AliasChoices("SELFDATA_BASE_IMAGE",
                                                              "base_image"),
                            description="An image already on the engine "
                                        "to build apps on, instead of the one the store "
                                        "builds with debootstrap.")
    workers: int = Field(2, ge=0, le=64, description="Submissions processed in parallel (0: "
                         "this store takes no jobs).")
    scoring_parallel: int = Field(2, ge=1, le=16, description="Households a challenge's "
                                  "scoring run scores at once (each one container).")
    build_timeout_s: float = Field(300, gt=0, description="Longest image build, in seconds.")
    health_timeout_s: float = Field(20, gt=0, description="How long a smoke-run app has to "
                                    "answer its health route.")
    smoke_seed: int = Field(7, ge=0, description="Seed of the synthetic household smoke runs "
                            "use (keep it secret from teams if it matters).")
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest upload, in "
                                  "bytes (the Cozy registry's bundle limit).")
    partial_scores: Literal["exclude", "count"] = Field(
        "exclude", description="A judge's incomplete score set (not every criterion scored): "
        "'exclude' leaves it out of the ranking until it is complete, 'count' ranks it as it "
        "is; either way the leaderboard and its CSV name every incomplete set.")
    language: Literal["fr", "en"] = Field(
        "en", description="The language of the store's pages for a visitor whose browser names "
        "neither French nor English and who has not chosen one with the pages' switch.")
    app_limits: AppLimits = Field(default_factory=AppLimits, description="Container limits, "
                                  "from SELFDATA_APP_* (shared with the sandbox).")

    @property
    def wheel_cache_dir(self) -> Path:
        """Wheels resolved for apps, shared by the stores of this machine (like pip's cache)."""
        return Path(self.wheel_cache).expanduser() if self.wheel_cache else \
            Path.home() / ".cache" / "selfdata" / "wheelhouse"

    @property
    def url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    @classmethod
    def from_env(cls, **overrides) -> StoreSettings:
        overrides.setdefault("app_limits", load(AppLimits))
        return load(cls, **overrides)
