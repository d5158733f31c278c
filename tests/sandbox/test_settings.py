"""Sandbox settings come from SELFDATA_* variables, typed; container limits are shared with
the store (SELFDATA_APP_*), so smoke runs and installs run an app alike."""

from __future__ import annotations

import pytest

from app_store.settings import StoreSettings
from sandbox.settings import Settings, SettingsError


def test_sandbox_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("SELFDATA_PORT", "8181")
    monkeypatch.setenv("SELFDATA_REGISTRY_URL", "http://r")
    monkeypatch.setenv("SELFDATA_STORE_PORT", "1")   # the store's, not ours
    s = Settings.from_env()
    assert (s.port, s.registry_url) == (8181, "http://r")


def test_one_variable_sets_the_container_limits_of_both(monkeypatch):
    monkeypatch.setenv("SELFDATA_APP_MEMORY_MB", "384")
    limits = Settings.from_env().app_limits.run_limits()
    assert limits == StoreSettings.from_env().app_limits.run_limits()
    assert limits.memory_mb == 384


def test_settings_are_frozen_and_checked():
    s = Settings()
    with pytest.raises(ValueError):
        s.port = 1  # type: ignore[misc]
    with pytest.raises(SettingsError, match="port"):
        Settings.from_env(port=0)
