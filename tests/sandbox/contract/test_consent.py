"""Consent wording and the data-use label."""

import pytest

from sandbox.contract import doctypes
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


@pytest.mark.parametrize("doctype", sorted(doctypes.known_doctypes()))
def test_no_slug_can_claim_a_partner_doctype_as_its_own(doctype):
    """Every segment of the name, and names built from them, tried as slugs."""
    parts = doctype.split(".")
    slugs = {p.replace("_", "-") for p in parts if len(p) >= 3} | {
        "-".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)}
    for slug in slugs:
        assert not doctypes.is_own(doctype, slug), (doctype, slug)
        wildcard = ".".join(parts[:-1]) + ".*"
        assert not doctypes.is_own(wildcard, slug)
        rule = parse_scope(f"{doctype}:ALL")
        assert usage_label(rule, slug).grade in "DE", (doctype, slug)


def test_an_apps_own_namespace_is_under_the_programmes_prefix():
    assert doctypes.is_own("fr.hackathon.leak_watch.findings", "leak-watch")
    assert doctypes.is_own("fr.hackathon.leak_watch", "leak-watch")
    assert doctypes.is_own("fr.hackathon.leak_watch.*", "leak-watch")
    assert not doctypes.is_own("fr.hackathon.leak_watchers.x", "leak-watch")
    assert not doctypes.is_own("fr.hackathon.other_app.findings", "leak-watch")
    assert not doctypes.is_own("org.leak_watch.findings", "leak-watch")
    assert not any(d.startswith(doctypes.APPS_PREFIX + ".") for d in doctypes.known_doctypes())
