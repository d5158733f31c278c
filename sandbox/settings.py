"""Sandbox settings: one object, from ``SELFDATA_*`` environment variables, passed in.

Every field has a description: ``selfdata reference`` writes them to
``docs/reference/settings.md``, and a test keeps that page equal to the code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox.runtime.hardening import RunLimits

T = TypeVar("T", bound=BaseSettings)


class SettingsError(ValueError):
    """A setting with a bad value; the message names the environment variable."""


def load(cls: type[T], **overrides) -> T:
    """``cls`` from the environment with ``overrides`` on top; a bad value raises
    :class:`SettingsError` naming its variable and what it should be."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        lines = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else ""
            field = cls.model_fields.get(name)
            alias = field.validation_alias if field is not None else None
            var = alias if isinstance(alias, str) else f"{prefix}{name.upper()}"
            where = f"{var}={os.environ[var]!r}" if var in os.environ and name not in overrides \
                else name
            lines.append(f"{where}: {err['msg']}")
        raise SettingsError("; ".join(lines)) from None


class AppLimits(BaseSettings):
    """Container limits for apps, the same for the store's smoke runs and for installs (so an
    app smoke-tested with one memory limit runs installed with that limit):
    ``SELFDATA_APP_*``, read by both settings objects."""

    model_config = SettingsConfigDict(env_prefix="SELFDATA_APP_", frozen=True, extra="forbid")

    memory_mb: int = Field(256, ge=16, le=65536, description="Memory of an app container, "
                           "in MiB (no swap).")
    cpus: float = Field(0.5, gt=0, le=64, description="CPUs an app container may use.")
    pids: int = Field(64, ge=8, le=32768, description="Processes and threads in an app "
                      "container.")
    tmpfs_mb: int = Field(32, ge=1, le=4096, description="Size of the app's writable /tmp, "
                          "in MiB.")

    def run_limits(self) -> RunLimits:
        return RunLimits(memory_mb=self.memory_mb, cpus=self.cpus, pids=self.pids,
                         tmpfs_mb=self.tmpfs_mb)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SELFDATA_", frozen=True, extra="forbid")

    database_url: str = Field("sqlite:///var/sandbox.db", description="SQLAlchemy URL of the "
                              "sandbox's database: a SQLite file, or "
                              "postgresql+psycopg://user:pw@host/db.")
    host: str = Field("127.0.0.1", description="Address the sandbox listens on.")
    port: int = Field(8080, ge=1, le=65535, description="Port the sandbox listens on; also "
                      "the port in the addresses it gives (instances, apps).")
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="Largest request "
                                "body, in bytes (413 past it).")
    find_default_limit: int = Field(100, ge=1, description="Documents a _find returns when "
                                    "it names no limit.")
    find_max_limit: int = Field(1000, ge=1, description="Most documents a _find or "
                                "_normal_docs page may return.")
    max_selector_depth: int = Field(16, ge=1, description="Deepest nesting of a Mango "
                                    "selector.")
    max_in_values: int = Field(10_000, ge=1, description="Most values in one $in or $nin.")
    max_regex_length: int = Field(512, ge=1, description="Longest $regex pattern.")
    max_indexes_per_doctype: int = Field(32, ge=1, description="Mango indexes one personal "
                                         "cloud may define on one doctype (400 "
                                         "too_many_indexes past it).")
    max_indexes_per_instance: int = Field(128, ge=1, description="Mango indexes one personal "
                                          "cloud may define in all.")
    max_sql_indexes: int = Field(5000, ge=1, description="SQL indexes the database holds "
                                 "for all clouds together; further definitions work from a "
                                 "scan, so writes stay cheap.")
    index_build_share: float = Field(0.2, gt=0, le=1, description="Most share of the time "
                                     "SQL index builds may hold the database's write lock "
                                     "(SQLite); builds rest in between.")
    app_token_ttl_s: int = Field(24 * 3600, ge=60, description="Lifetime of an app token, in "
                                 "seconds (a running app is restarted with a fresh one past "
                                 "half of it).")
    access_token_ttl_s: int = Field(7 * 24 * 3600, ge=60, description="Lifetime of an OAuth "
                                    "access token, in seconds.")
    cli_token_ttl_s: int = Field(30 * 60, ge=60, description="Default lifetime of a token "
                                 "from `selfdata token`, in seconds.")
    registry_url: str = Field("", description="The app registries (the store's URL; several "
                              "separated by commas) this sandbox installs apps from.")
    docker_host: str = Field("", description="Docker engine that runs installed apps "
                             "(default: DOCKER_HOST, then the usual socket).")
    serve_installed_apps: bool = Field(True, description="Serve installed apps at their "
                                       "addresses, starting their containers. `selfdata dev` "
                                       "turns it off: its server answers only its own app's "
                                       "address and never touches the sandbox's containers.")
    app_start_timeout_s: float = Field(20, gt=0, description="How long an installed app has "
                                       "to answer its health route when it starts.")
    app_idle_s: float = Field(300, gt=0, description="An installed app's container with no "
                              "request for this long, in seconds, is stopped; its next "
                              "request starts it again.")
    app_max_running: int = Field(40, ge=1, le=10_000, description="Most app containers "
                                 "running at once (all worker processes together); starting "
                                 "one more stops the least recently used.")
    app_starting_page_s: float = Field(1.5, ge=0, description="A page request to an app "
                                       "still starting after this long, in seconds, gets a "
                                       "short \"starting\" page that reloads itself (API and "
                                       "asset requests wait for the app).")
    app_max_in_flight: int = Field(16, ge=1, le=1024, description="Requests one app may have "
                                   "in flight through the proxy; the next ones wait.")
    app_queue_s: float = Field(2, ge=0, description="How long a request waits for its turn "
                               "at a busy app before a 503.")
    app_answer_timeout_s: float = Field(30, gt=0, description="How long an app has to answer "
                                        "a request through the proxy (504 past it).")
    assets_dir: str = Field("var/stack-assets", description="Folder of the stack's assets "
                            "installed from npm at set-up (cozy-client-js, cozy-bar, fonts), "
                            "served under /assets: `make install` or `selfdata sandbox "
                            "assets` fills it.")
    realtime_queue_events: int = Field(10_000, ge=1, le=1_000_000, description="Events "
                                       "waiting for one realtime websocket; a client that "
                                       "falls further behind (or a bulk write larger than "
                                       "this) is sent an error and disconnected, and "
                                       "re-subscribes when it reconnects.")
    realtime_max_sockets: int = Field(64, ge=1, le=10_000, description="Realtime websockets "
                                      "one personal cloud may hold open at once.")
    realtime_max_sockets_per_client: int = Field(16, ge=1, le=10_000, description="Realtime "
                                                 "websockets one app or client may hold open "
                                                 "in one personal cloud (so one app cannot "
                                                 "use up the cloud's sockets).")
    realtime_auth_timeout_s: float = Field(10, gt=0, le=300, description="How long a new "
                                           "realtime websocket may wait before sending AUTH; "
                                           "past it the socket is closed.")
    instance_locale: str = Field("fr", pattern=r"^[a-z]{2}(-[A-Z]{2})?$", description="The "
                                 "locale of a personal cloud whose household names none "
                                 "(households are French).")
    instance_timezone: str = Field("Europe/Paris", min_length=1, description="The time zone "
                                   "of a personal cloud whose household names none.")
    files_dir: str = Field("", description="Folder of the bytes of the personal clouds' "
                           "files (one sub-folder per cloud). Empty: a folder named after the "
                           "SQLite database with `-files` beside it, or var/files with "
                           "PostgreSQL.")
    files_quota_bytes: int = Field(5 * 1024**3, ge=0, description="Disk quota of one "
                                   "personal cloud's files, trash included, in bytes (413 past "
                                   "it); 0: no quota. One upload is also bounded by "
                                   "max_body_bytes.")
    live_tick_s: float = Field(0.5, gt=0, le=60, description="How often, in wall seconds, "
                               "the live delivery thread delivers what has come due by the "
                               "clocks (simulated time, `selfdata up --live`).")
    live_max_rows: int = Field(20_000, ge=100, le=1_000_000, description="Most pending "
                               "deliveries (documents) written in one transaction by the live "
                               "thread; a konnector run is never split.")
    live_engine: bool = Field(True, description="Run the live delivery thread in this "
                              "server (it does nothing until a clock is started).")
    live_admin_token: str = Field("", description="The organiser's token for the clock's "
                                  "admin API and page (/admin/live); empty: they answer 403. "
                                  "`selfdata up` makes one and prints it.")
    app_limits: AppLimits = Field(default_factory=AppLimits, description="Container limits, "
                                  "from SELFDATA_APP_* (see below).")

    def files_root(self) -> Path:
        """Where the files' bytes live (see ``files_dir``)."""
        if self.files_dir:
            return Path(self.files_dir)
        url = self.database_url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            db = Path(url.removeprefix("sqlite:///"))
            return db.with_name(f"{db.stem}-files")
        return Path("var/files")

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from the environment, with ``overrides`` on top (for CLI options)."""
        overrides.setdefault("app_limits", load(AppLimits))
        return load(cls, **overrides)
