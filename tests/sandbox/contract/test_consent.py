"""Consent wording and the data-use label."""

import pytest

from sandbox.contract.consent import usage_label
from sandbox.contract.permissions import parse_scope


@pytest.mark.parametrize(("scope", "grade"), [
    ("io.cozy.bills:GET", "A"),
    ("io.cozy.bills:GET org.fing.mesinfos.home:GET org.fing.mesinfos.contract:GET", "B"),
    ("org.fing.mesinfos.consumptionstatement:GET fr.hackathon.leak_watch.findings:GET,POST", "B"),
    ("fr.orange.phonecommunicationlog:GET", "C"),
    ("fr.orange.phonecommunicationlog:GET fr.orange.geopoint:GET", "D"),
    ("io.cozy.bills:GET,POST", "D"),
    ("org.fing.mesinfos.*:GET", "E"),
])
def test_usage_labels(scope, grade):
    label = usage_label(parse_scope(scope), "leak-watch")
    assert label.grade == grade and label.summary
    assert all(s[0].isupper() for s in label.sentences)
