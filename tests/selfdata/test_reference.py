"""The committed reference is what the code and schemas generate (it cannot go stale)."""

from __future__ import annotations

from pathlib import Path

from selfdata.reference import api_markdown, doctypes_markdown
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
