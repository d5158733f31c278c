"""Semantic versions: parsing and precedence."""

import pytest

from sandbox.contract.versions import Version


def test_semver_precedence():
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    assert [str(v) for v in sorted(Version.parse(x) for x in reversed(order))] == order


@pytest.mark.parametrize("text", ["1.0", "v1.0.0", "01.0.0", "1.0.0\n", " 1.0.0", "1.0.0+b", "",
                                  "1.0.0-.", "1.0.0-a..b", "1.0.0-01", "1.0.0-beta.01"])
def test_what_is_not_semver_is_refused(text):
    assert not Version.valid(text)
    with pytest.raises(ValueError, match="not a semantic version"):
        Version.parse(text)
