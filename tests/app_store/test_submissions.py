"""Submission policy: versions only go up."""

import pytest

from app_store.submissions import next_version_problem


@pytest.mark.parametrize(("existing", "new", "fragment"), [
    ([], "1.0.0", None),
    (["1.0.0"], "1.0.1", None),
    (["1.0.0", "1.1.0"], "1.0.5", "lower than 1.1.0"),
    (["1.0.0"], "1.0.0", "already submitted"),
    (["1.0.0-beta.2"], "1.0.0-beta.10", None),
    (["1.0.0-beta"], "1.0.0", None),
    (["1.0.0"], "1.0.0-rc.1", "lower than 1.0.0"),
    ([], "v1.0", "not a semantic version"),
    ([], "01.0.0", "not a semantic version"),
])
def test_versions_only_go_up(existing, new, fragment):
    problem = next_version_problem(existing, new)
    assert (problem is None) if fragment is None else (fragment in problem)
