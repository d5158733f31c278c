"""Store settings come from SELFDATA_STORE_* variables (and the shared SELFDATA_APP_*),
typed, with overrides on top; a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_store.settings import StoreSettings
from sandbox.settings import SettingsError


def test_store_settings_from_the_environment(monkeypatch):
    for k, v in {"SELFDATA_STORE_PORT": "9000", "SELFDATA_APP_CPUS": "1.5",
                 "SELFDATA_STORE_DATA_DIR": "/x", "SELFDATA_BASE_IMAGE": "b:1",
                 "SELFDATA_PORT": "1"}.items():
        monkeypatch.setenv(k, v)
    s = StoreSettings.from_env(workers=3)
    assert (s.port, s.app_limits.cpus, s.data_dir, s.base_image, s.workers) == (
        9000, 1.5, Path("/x"), "b:1", 3)
    assert s.url == "http://127.0.0.1:9000"


def test_a_bad_value_says_which_variable_and_what_it_should_be(monkeypatch):
    monkeypatch.setenv("SELFDATA_STORE_PORT", "eighty")
    monkeypatch.setenv("SELFDATA_STORE_WORKERS", "-1")
    with pytest.raises(SettingsError) as exc:
        StoreSettings.from_env()
    text = str(exc.value)
    assert "SELFDATA_STORE_PORT='eighty'" in text and "valid integer" in text
    assert "SELFDATA_STORE_WORKERS='-1'" in text and "greater than or equal to 0" in text


def test_an_unknown_override_is_refused():
    with pytest.raises(SettingsError, match="memory_mb"):
        StoreSettings.from_env(memory_mb=12)
