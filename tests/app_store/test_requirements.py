"""Requirements: only exact pins pass, and the build sees the pins rebuilt, not the text."""

from __future__ import annotations

import pytest

from app_store.requirements import Pin, normalised, parse_requirements

HASH = "sha256:" + "a" * 64


@pytest.mark.parametrize(("line", "pin"), [
    ("httpx==0.28.1", Pin("httpx", "0.28.1")),
    ("HTTPX == 0.28.1", Pin("httpx", "0.28.1")),
    ("Jinja2==3.1.4  # templates", Pin("jinja2", "3.1.4")),
    (f"httpx==0.28.1 --hash={HASH}", Pin("httpx", "0.28.1", (HASH,))),
    ("numpy==2.1.0rc1", Pin("numpy", "2.1.0rc1")),
])
def test_exact_pins_pass(line, pin):
    pins, refused = parse_requirements(line + "\n")
    assert refused == [] and pins == [pin]


@pytest.mark.parametrize(("line", "why"), [
    ("pkg==1.0 ; ${DATABASE_URL}", "environment variables"),
    ("pkg==${VERSION}", "environment variables"),
    ("pkg==1.0 ; python_version > '3'", "markers"),
    ("pkg[extra]==1.0", "extras"),
    ("pkg>=1.0", "pin exactly one version"),
    ("pkg==1.*", "pin exactly one version"),
    ("pkg==1.0,!=1.0.1", "pin exactly one version"),
    ("pkg", "pin exactly one version"),
    ("-r other.txt", "options"),
    ("--index-url https://evil.example/simple", "options"),
    ("-e git+https://example.com/x.git#egg=x", "options"),
    ("pkg @ https://example.com/pkg.whl", "URLs"),
    ("pkg==1.0 --hash=md5:abc", "--hash=sha256"),
    ("pkg==1.0 \\", "continuations"),
    ("./local-dir", "not a requirement"),
])
def test_anything_else_is_refused_with_why(line, why):
    pins, refused = parse_requirements(f"ok==1.0\n{line}\n")
    assert pins == [Pin("ok", "1.0")]
    assert [(n, text) for n, text, _ in refused] == [(2, line.split(" #")[0].strip())]
    assert why in refused[0][2]


def test_the_build_gets_lines_rebuilt_from_the_pins():
    pins, _ = parse_requirements(f"HTTPX==0.28.1   --hash={HASH}\n# comment\n\nanyio==4.4.0\n")
    assert normalised(pins) == f"httpx==0.28.1 --hash={HASH}\nanyio==4.4.0\n"
