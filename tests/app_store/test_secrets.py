"""Secrets in uploads, found with detect-secrets and our own rules: refused in the team's own
code, a warning in a bundled library; ordinary hashes and ids are not secrets."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from app_store.checks import secrets
from app_store.checks.run import check_upload
from tests.support.apps import app_files, tar_gz

SECRETS = {
    "aws key": b"const key = 'AKIAIOSFODNN7EXAMPLE'",
    "github token": b"token = 'ghp_" + b"a1B2" * 9 + b"'",
    "private key": b"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----",
    "password": b"db_password = 'correct-horse-battery'",
    "jwt": b"auth = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
           b"dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'",
    "a store token": b"const t = 'sd_t_abcdefghijklmnopqrstuvwxyz012345'",
    "an api key": b"key = 'sk-" + b"a" * 40 + b"'",
}
HARMLESS = {
    "a hash": b"const etag = 'a8f5f167f44f4964e6c998dee827110c'",
    "an inline image": b"img.src = 'data:image/png;base64,"
                       + b"iVBORw0KGgoAAAANSUhEUgAA" * 8 + b"'",
    "a password field": b"<input type='password' name='password'>",
}


def problems(files: dict[str, bytes]) -> list:
    return [p for p in check_upload(tar_gz(app_files(**files)), "a.tar.gz").problems
            if p.check == "code.secret"]


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_secret_in_the_teams_code_is_refused(name):
    (found,) = problems({"config.js": SECRETS[name]})
    assert found.severity == "error" and found.path == "config.js"


BANNER = b"/*! jQuery v3.1.1 | (c) JS Foundation and other contributors | jquery.org/license */\n"


@pytest.mark.parametrize(("path", "head"), [("vendor/lib.js", b""),
                                            ("node_modules/x/index.js", b""),
                                            ("jquery.min.js", BANNER)])
def test_in_a_bundled_library_it_is_a_warning(path, head):
    (found,) = problems({path: head + SECRETS["aws key"]})
    assert found.severity == "warning"


@pytest.mark.parametrize(("path", "head"), [("app.min.js", b""), ("app.min.js", BANNER)])
def test_a_minified_name_or_a_borrowed_banner_does_not_make_it_a_library(path, head):
    (found,) = problems({path: head + SECRETS["aws key"]})
    assert found.severity == "error"


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_ordinary_values_are_not_secrets(name):
    assert problems({"app.js": HARMLESS[name]}) == []


def test_scanning_from_many_threads_at_once() -> None:
    """The store checks submissions in threads; detect-secrets' settings are process-wide."""
    texts = [SECRETS["aws key"].decode(), SECRETS["jwt"].decode(), HARMLESS["a hash"].decode()]
    expected = [secrets.find(t) for t in texts]
    assert expected[0] and expected[1] and expected[2] is None
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads interleave inside detect-secrets, as under load
    try:
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(secrets.find, texts * 200))
    finally:
        sys.setswitchinterval(interval)
    assert got == expected * 200
