"""The page audit used by the journey finds what it claims to find (so a clean result means
something)."""

from __future__ import annotations

import pytest

from tests.support.browser import audit, browser, keyboard_reaches

pytestmark = pytest.mark.browser

BAD = """<html><body><input id="q"><img src="x.png"><button></button>
<p style="color:#bbb;background:#fff">faint text</p></body></html>"""
GOOD = """<html lang="en"><body><label for="q">Search</label><input id="q">
<img src="x.png" alt=""><button>Go</button><p style="color:#222">plain text</p></body></html>"""


def test_the_audit_flags_each_kind_of_problem_and_passes_a_clean_page():
    with browser() as b:
        page = b.new_page()
        page.set_content(BAD)
        found = audit(page)
        assert "html has no lang" in found
        assert any(p.startswith("no label: input#q") for p in found)
        assert any(p.startswith("no alt:") for p in found)
        assert any(p.startswith("no text: button") for p in found)
        assert any(p.startswith("contrast") and "faint text" in p for p in found)
        page.set_content(GOOD)
        assert audit(page) == []
        assert keyboard_reaches(page, "#q")
        assert not keyboard_reaches(page, "#nothing", max_tabs=5)
