"""Settings come from SELFDATA_* variables, typed, with overrides on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from app_store.settings import StoreSettings
from sandbox.settings import Settings


def test_store_settings_from_the_environment():
    s = StoreSettings.from_env({"SELFDATA_STORE_PORT": "9000", "SELFDATA_STORE_CPUS": "1.5",
                                "SELFDATA_STORE_DATA_DIR": "/x", "SELFDATA_BASE_IMAGE": "b:1",
                                "SELFDATA_PORT": "1"}, workers=3)
    assert (s.port, s.cpus, s.data_dir, s.base_image, s.workers) == (9000, 1.5, Path("/x"),
                                                                      "b:1", 3)
    assert s.url == "http://127.0.0.1:9000"


def test_sandbox_settings_from_the_environment():
    s = Settings.from_env({"SELFDATA_PORT": "8181", "SELFDATA_REGISTRY_URL": "http://r",
                           "SELFDATA_REGEX_TIMEOUT_S": "0.25", "SELFDATA_STORE_PORT": "1"})
    assert (s.port, s.registry_url, s.regex_timeout_s) == (8181, "http://r", 0.25)


def test_a_bad_number_says_which_variable():
    with pytest.raises(ValueError, match="SELFDATA_STORE_PORT='eighty': expected a whole"):
        StoreSettings.from_env({"SELFDATA_STORE_PORT": "eighty"})
