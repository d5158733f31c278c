"""The committed references are what the code and schemas generate (they cannot go stale),
and every setting is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfdata.reference import (
    SETTINGS,
    api_markdown,
    doctypes_markdown,
    env_vars,
    settings_markdown,
)
from synthetic_data.schemas import schema_doctypes

REF = Path(__file__).resolve().parents[2] / "docs" / "reference"
FIX = "regenerate it: .venv/bin/selfdata reference docs/reference"


def test_the_doctype_reference_is_current_and_covers_every_doctype():
    text = doctypes_markdown()
    assert (REF / "doctypes.md").read_text() == text, FIX
    for d in schema_doctypes():
        assert f"## {d}" in text


def test_the_api_reference_is_current():
    text = api_markdown()
    assert (REF / "api.md").read_text() == text, FIX
    for route in ("/data/{doctype}/_find", "/registry/{slug}/{channel}/latest",
                  "/api/submissions"):
        assert f"`{route}`" in text


@pytest.mark.parametrize(("title", "cls"), SETTINGS)
def test_the_settings_page_lists_exactly_the_settings(title, cls):
    text = (REF / "settings.md").read_text()
    assert text == settings_markdown(), FIX
    section = text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    documented = {var for var, _default, _desc in env_vars(cls)}
    assert listed == documented
    for var, _default, desc in env_vars(cls):
        assert len(desc) > 10, f"{var} needs a description"
