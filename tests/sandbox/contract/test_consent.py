"""Consent wording and the data-use label."""

import pytest

from sandbox.contract import doctypes
from sandbox.contract.consent import ACTIONS, DOCTYPES, rule_in_words, usage_label
from sandbox.contract.permissions import parse_scope
from sandbox.webkit.i18n import Language


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
        grade = usage_label(rule, slug).grade
        assert grade == usage_label(rule, "unrelated-app").grade, (doctype, slug)
        assert grade in ("B" if doctype in ACTIONS else "DE"), (doctype, slug)


def test_an_apps_own_namespace_is_under_the_programmes_prefix():
    assert doctypes.is_own("fr.hackathon.leak_watch.findings", "leak-watch")
    assert doctypes.is_own("fr.hackathon.leak_watch", "leak-watch")
    assert doctypes.is_own("fr.hackathon.leak_watch.*", "leak-watch")
    assert not doctypes.is_own("fr.hackathon.leak_watchers.x", "leak-watch")
    assert not doctypes.is_own("fr.hackathon.other_app.findings", "leak-watch")
    assert not doctypes.is_own("org.leak_watch.findings", "leak-watch")
    assert not any(d.startswith(doctypes.APPS_PREFIX + ".") for d in doctypes.known_doctypes())


@pytest.mark.parametrize("doctype", sorted(doctypes.known_doctypes()))
def test_every_doctype_an_app_may_ask_for_has_plain_words(doctype):
    assert doctype in DOCTYPES and len(DOCTYPES[doctype]) > 10


@pytest.mark.parametrize(("scope", "sentence", "grade"), [
    ("io.cozy.notifications:POST", "Send you notifications", "B"),
    ("io.cozy.settings:GET", "Read your cloud's settings (language, time zone, your name and "
                             "e-mail)", "A"),
    ("io.cozy.files:GET", "Read files in your Drive (bills as PDFs, documents you keep)",
     "C"),
    ("io.cozy.files:POST", "Create files in your Drive (bills as PDFs, documents you keep)",
     "D"),
    ("io.cozy.jobs:POST", "Create background tasks of your cloud (e-mails to you, connector "
                          "runs)", "D"),
    ("io.cozy.bank.operations:GET", "Read your bank transactions", "C"),
])
def test_the_stacks_doctypes_in_words_and_their_label(scope, sentence, grade):
    rules = parse_scope(scope)
    assert rule_in_words(rules[0]).sentence == sentence
    assert usage_label(rules, "my-app").grade == grade


def test_route_written_doctypes_are_not_reserved_but_read_only_ones_stay_so():
    for doctype in ("io.cozy.files", "io.cozy.notifications", "io.cozy.jobs",
                    "io.cozy.triggers"):
        assert not doctypes.is_reserved(doctype, writes=True)
        assert doctype in doctypes.READ_ONLY        # /data writes stay refused
    for doctype in ("io.cozy.apps", "io.cozy.konnectors", "io.cozy.files.versions"):
        assert doctypes.is_reserved(doctype, writes=True)
        assert not doctypes.is_reserved(doctype, writes=False)
    for doctype in ("io.cozy.permissions", "io.cozy.oauth.clients", "io.cozy.sessions",
                    "io.cozy.sharings"):
        assert doctypes.is_reserved(doctype, writes=False)
    assert doctypes.is_reserved("io.cozy.files.*", writes=True)   # covers files.versions
    assert not doctypes.is_reserved("io.cozy.files.*", writes=False)


def test_every_documented_doctype_has_words_in_both_languages():
    """The data browser and the consent page name every kind of data the generator writes
    (bank, receipts, parcels, validations included) in words, in French too."""
    fr = Language("fr")
    for doctype in sorted(doctypes.known_doctypes()):
        assert doctype in DOCTYPES, doctype
        assert fr.gettext(DOCTYPES[doctype]) != DOCTYPES[doctype], doctype
    assert rule_in_words(parse_scope("io.cozy.bank.operations:GET")[0]).sensitive
    assert rule_in_words(parse_scope("io.cozy.bank.accounts:GET")[0]).sensitive
    assert not rule_in_words(parse_scope("org.selfdata.receipt:GET")[0]).sensitive
