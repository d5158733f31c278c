"""Attack: a requirements line such as ``pkg==1.0 ; ${VAR}`` made pip expand the store's own
environment and print it into the build log the team reads. Held by: requirement lines are
parsed and anything but exact pins refused (test_requirements.py); every subprocess of a build
gets a minimal environment; build logs are scrubbed of the store's secrets."""

from __future__ import annotations

import pytest

from app_store.build_farm.environment import REDACTED, clean_env, scrub, secrets
from app_store.build_farm.wheelhouse import WheelhouseError, resolve

CANARY = "canary-7f3a9c-do-not-leak"


def test_pip_sees_none_of_the_store_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SELFDATA_CANARY", CANARY)
    monkeypatch.setenv("SELFDATA_STORE_DATABASE_URL", f"postgresql://store:{CANARY}@db/x")
    # the raw text as a team wrote it, bypassing the checks that now refuse it
    with pytest.raises(WheelhouseError) as exc:
        resolve("no-such-package-selfdata==1.0 ; extra == '${SELFDATA_CANARY}'\n"
                "no-such-package-${SELFDATA_CANARY}==1.0\n", tmp_path / "cache", timeout_s=120)
    assert CANARY not in str(exc.value)


def test_the_environment_given_is_explicit(monkeypatch):
    monkeypatch.setenv("SELFDATA_CANARY", CANARY)
    monkeypatch.setenv("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    env = clean_env("/tmp/h", reach=True)
    assert CANARY not in env.values() and env["HOME"] == "/tmp/h"
    assert env["PIP_CERT"].endswith("ca-certificates.crt")
    assert "PIP_CERT" not in clean_env("/tmp/h")


def test_logs_are_scrubbed_of_the_store_secrets(monkeypatch):
    monkeypatch.setenv("SELFDATA_CANARY", CANARY)
    monkeypatch.setenv("SOME_API_TOKEN", "tok-1234567890")
    hidden = secrets("postgresql+psycopg://store:s3cr3t-pass@db:5432/store")
    log = f"line {CANARY}; url postgresql://store:s3cr3t-pass@db; tok-1234567890"
    clean = scrub(log, hidden)
    assert CANARY not in clean and "s3cr3t-pass" not in clean and "tok-1234567890" not in clean
    assert clean.count(REDACTED) == 3
