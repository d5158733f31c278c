"""Submission checks: a good app passes; each hostile or broken case gets the right check id."""

from __future__ import annotations

import pytest

from app_store.checks import CHECK_IDS, RUNTIME_CHECK_IDS, title
from app_store.checks.run import check_upload
from sandbox.contract.bundle import Limits
from sandbox.webkit.i18n import Language
from tests.support.apps import app_files, manifest, tar_gz, zip_bytes
from tests.support.hostile_archives import HOSTILE

LIMITS = Limits(upload_bytes=8 * 1024 * 1024, file_bytes=8 * 1024 * 1024)


def ids(report) -> set[str]:
    return {p.check for p in report.problems}


def test_a_valid_app_passes_as_tar_gz_and_zip():
    valid_app = app_files()
    for data, name in ((tar_gz(valid_app), "app.tar.gz"), (zip_bytes(valid_app), "app.zip")):
        report = check_upload(data, name)
        assert report.problems == [] and report.accepted
        assert report.manifest.slug == "my-calls"
        assert set(report.archive.files) == set(valid_app)


def test_every_problem_is_reported_at_once():
    m = manifest(slug="Bad Slug", version="1.0", license="")
    m["permissions"]["pos"] = {"type": "io.cozy.permissions", "verbs": ["GET"]}
    files = app_files(m, **{"extra.js": b"fetch('https://tracker.example.com/x')"})
    del files["icon.svg"]
    report = check_upload(tar_gz(files), "a.tar.gz")
    assert {"manifest.slug", "manifest.version", "manifest.license", "manifest.icon",
            "permissions.reserved_doctype", "permissions.no_description",
            "code.outbound_host"} <= ids(report)
    assert not report.accepted
    for p in report.problems:
        assert p.check in CHECK_IDS and p.severity in ("error", "warning") and p.message


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_cases_are_refused_with_the_right_check(case):
    build, check = HOSTILE[case]
    data = build()
    report = check_upload(data, "upload", LIMITS)
    assert check in ids(report), [p.check for p in report.problems]
    assert not report.accepted
    # nothing unsafe made it into the files that were kept
    for name in report.archive.files:
        assert not name.startswith("/") and ".." not in name.split("/")


def test_an_upload_over_the_limit_is_refused_unread():
    data = tar_gz(app_files(**{"noise.bin": bytes(range(256)) * 40_000}))
    report = check_upload(data, "a.tar.gz", Limits(upload_bytes=1000))
    assert ids(report) == {"archive.too_large"} and report.archive.files == {}


def test_total_size_limit():
    files = app_files(**{f"d{i}.txt": bytes([i]) * 600_000 for i in range(10)})
    report = check_upload(tar_gz(files), "a.tar.gz", Limits(total_bytes=3_000_000, ratio=1e9))
    assert "archive.total_too_large" in ids(report)


MANIFEST_CASES = [
    ({"name": 3}, "manifest.field"),
    ({"runtime": None}, "manifest.field"),
    ({"slug": "A"}, "manifest.slug"),
    ({"version": "v1"}, "manifest.version"),
    ({"license": None}, "manifest.license"),
    ({"icon": "missing.png"}, "manifest.icon"),
    ({"icon": "app.js"}, "manifest.icon"),
    ({"screenshots": ["shots/1.png"]}, "manifest.screenshots"),
    ({"screenshots": ["app.js"]}, "manifest.screenshots"),
    ({"screenshots": ["index.html"]}, "manifest.screenshots"),
    ({"icon": "index.html"}, "manifest.icon"),
    ({"screenshots": "one.png"}, "manifest.screenshots"),
    ({"short_description": "short"}, "manifest.description"),
    ({"locales": {"french": "x"}}, "manifest.locales"),
    ({"categories": "energy"}, "manifest.categories"),
    ({"permissions": {f"p{i}": {"type": "io.cozy.bills", "verbs": ["GET"],
                                "description": "to read your bills, once more"}
                      for i in range(40)}}, "permissions.too_many"),
    ({"long_description": "x" * (300 * 1024)}, "manifest.too_large"),
    ({"categories": ["Energy!"]}, "manifest.categories"),
    ({"categories": [7]}, "manifest.categories"),
    ({"permissions": {"f": {"type": "io.cozy.files.*", "description": "every file of yours"}}},
     "permissions.reserved_doctype"),
    ({"runtime": {"type": "java"}}, "manifest.runtime"),
    ({"runtime": {"type": "python"}}, "manifest.runtime"),
    ({"runtime": {"type": "static", "index": "nope.html"}}, "manifest.runtime"),
    ({"permissions": {"x": {"verbs": ["GET"]}}}, "permissions.invalid"),
    ({"permissions": {"x": {"type": "fr.orange.*", "description": "all of orange data"}}},
     "permissions.invalid"),
    ({"permissions": {"c": {"type": "fr.orange.phonecommunicationlog"}}},
     "permissions.no_description"),
]


@pytest.mark.parametrize(("over", "check"), MANIFEST_CASES)
def test_manifest_checks(over, check):
    assert check in ids(check_upload(tar_gz(app_files(_with(over))), "a.tar.gz"))


def _with(over: dict) -> dict:
    """The valid manifest changed by ``over``; a None value removes the field."""
    m = manifest(**{k: v for k, v in over.items() if v is not None})
    for k, v in over.items():
        if v is None:
            m.pop(k, None)
    return m


def test_own_doctypes_and_localised_descriptions_are_accepted():
    m = manifest(slug="leak-watch", permissions={
        "water": {"type": "org.fing.mesinfos.consumptionstatement", "verbs": ["GET"]},
        "out": {"type": "fr.hackathon.leak_watch.findings", "verbs": ["GET", "POST"],
                "description": "Store the leaks the app found"}},
        locales={"fr": {"permissions": {"water": {
            "description": "Lire vos relevés d'eau pour trouver les fuites"}}}})
    files = app_files(m, **{"app.js": b"c.collection('fr.hackathon.leak_watch.findings')"})
    report = check_upload(tar_gz(files), "a.tar.gz")
    assert report.problems == []


def test_python_runtime_requirements_must_be_pinned():
    m = manifest(runtime={"type": "python", "command": ["python", "app.py"],
                          "requirements": "requirements.txt"})
    good = app_files(m, **{"app.py": b"print(1)",
                           "requirements.txt": b"httpx==0.28.1\n# comment\nnumpy==2.1.0\n"})
    assert check_upload(tar_gz(good), "a.tar.gz").problems == []
    bad = app_files(m, **{"app.py": b"print(1)", "requirements.txt":
                          b"httpx>=0.27\nnumpy\ngit+https://example.org/x.git\n-e .\n"})
    report = check_upload(tar_gz(bad), "a.tar.gz")
    assert [p.check for p in report.problems].count("code.requirements_unpinned") == 4


def test_local_addresses_and_namespaces_are_not_outbound():
    files = app_files(**{"app.js": b"fetch('http://127.0.0.1:8080/data/'); "
                                   b"const ns = 'http://www.w3.org/2000/svg'"})
    assert check_upload(tar_gz(files), "a.tar.gz").problems == []


def test_every_check_id_is_exercised_by_a_case_here():
    """Sweep: each check id is produced by at least one case of this file."""
    seen: set[str] = set()
    for build, _ in HOSTILE.values():
        seen |= ids(check_upload(build(), "upload", LIMITS))
    for over, _ in MANIFEST_CASES:
        seen |= ids(check_upload(tar_gz(app_files(_with(over))), "a.tar.gz"))
    seen |= ids(check_upload(tar_gz(app_files()), "a.tar.gz", Limits(upload_bytes=100)))
    seen |= ids(check_upload(tar_gz(app_files(**{f"d{i}": bytes(600_000) for i in range(6)})),
                             "a.tar.gz", Limits(total_bytes=3_000_000, ratio=1e9)))
    py = manifest(runtime={"type": "python", "command": ["python", "app.py"],
                           "requirements": "requirements.txt"})
    seen |= ids(check_upload(tar_gz(app_files(py, **{"requirements.txt": b"httpx"})), "a"))
    seen |= ids(check_upload(tar_gz(app_files(**{"typo.js": b"find('io.cozy.bill')"})), "a"))
    assert set(CHECK_IDS) - seen == set()
    assert seen - set(CHECK_IDS) == set()


def test_a_library_in_vendor_naming_other_doctypes_only_warns():
    lib = b"var KNOWN = ['io.cozy.files', 'io.cozy.bills']; // a bundled client library"
    report = check_upload(tar_gz(app_files(**{"vendor/cozy-client.min.js": lib})), "a.tar.gz")
    found = [p for p in report.problems if p.check == "code.undeclared_doctype"]
    assert report.accepted and {p.severity for p in found} == {"warning"}
    assert {p.path for p in found} == {"vendor/cozy-client.min.js"}
    # the same text in the app's own code is an error
    own = check_upload(tar_gz(app_files(**{"lib.js": lib})), "a.tar.gz")
    assert not own.accepted


def test_an_archive_of_the_folder_gets_one_error_saying_where_the_manifest_is():
    """tar czf app.tar.gz my-bills/: the manifest one level down, nothing else reported
    (the app's doctypes, hosts and files are not echoed as if the archive were the app)."""
    files = app_files(**{"extra.js": b"fetch('https://tracker.example.com/x')"})
    report = check_upload(tar_gz({f"my-bills/{k}": v for k, v in files.items()}), "a.tar.gz")
    assert [p.check for p in report.problems] == ["manifest.missing"]
    message = report.problems[0].message
    assert message.startswith("manifest found in `my-bills/`: pack from inside the folder")
    assert "selfdata submit ./my-bills" in message


def test_nested_deeper_names_the_shallowest_manifest_and_a_plain_missing_one_no_folder():
    files = {"a/b/manifest.webapp": b"{}", "z/manifest.webapp": b"{}", "x.js": b"1"}
    (p,) = check_upload(tar_gz(files), "a.tar.gz").problems
    assert "`z/`" in p.message
    (p,) = check_upload(tar_gz({"index.html": b"<p>"}), "a.tar.gz").problems
    assert p.check == "manifest.missing" and "found in" not in p.message


def test_without_a_manifest_a_secret_is_still_reported():
    files = {"my-app/config.js": b"const api_key = 'abcd1234efgh5678'"}
    assert ids(check_upload(tar_gz(files), "a.tar.gz")) == {"manifest.missing", "code.secret"}


def test_a_manifest_that_is_not_json_gets_no_follow_on_findings():
    files = app_files(**{"extra.js": b"fetch('https://tracker.example.com/x')"})
    files["manifest.webapp"] = b"{not json"
    assert ids(check_upload(tar_gz(files), "a.tar.gz")) == {"manifest.invalid_json"}


LOCK = b"""{"packages": {"node_modules/cozy-client-js": {"version": "0.21.0",
  "resolved": "https://registry.npmjs.org/cozy-client-js/-/cozy-client-js-0.21.0.tgz"}}}"""


def test_a_lock_file_is_not_code():
    files = app_files(**{"package-lock.json": LOCK, "sub/npm-shrinkwrap.json": LOCK,
                         "yarn.lock": b'resolved "https://registry.yarnpkg.com/x/-/x.tgz"'})
    assert check_upload(tar_gz(files), "a.tar.gz").problems == []
    # the same addresses in the team's own code are still calls
    own = check_upload(tar_gz(app_files(**{"lock.js": b"fetch('https://registry.npmjs.org/x')"})),
                       "a.tar.gz")
    assert ids(own) == {"code.outbound_host"} and not own.accepted


@pytest.mark.parametrize("typo, meant", [("io.cozy.bill", "io.cozy.bills"),
                                         ("fr.orange.phonecommunicationlogs",
                                          "fr.orange.phonecommunicationlog")])
def test_a_doctype_typo_in_the_manifest_gets_did_you_mean_and_no_follow_on(typo, meant):
    m = manifest()
    m["permissions"]["calls"]["type"] = typo
    app = f"fetch('/data/{meant}/_normal_docs'); find('{meant}')".encode()
    report = check_upload(tar_gz(app_files(m, **{"app.js": app})), "a.tar.gz")
    (p,) = report.problems
    assert p.check == "permissions.unknown_doctype" and p.path == "permissions.calls"
    assert f"did you mean {meant}?" in p.message


def test_an_unknown_doctype_like_no_known_one_gets_the_namespace_advice():
    m = manifest()
    m["permissions"]["calls"]["type"] = "com.example.things"
    (p,) = check_upload(tar_gz(app_files(m)), "a.tar.gz").problems
    assert "did you mean" not in p.message and "fr.hackathon.my_calls" in p.message


def test_a_doctype_typo_in_the_code_warns_with_the_known_one():
    files = app_files(**{"bills.js": b"client.collection('io.cozy.bill').all() // io.cozy.bil"})
    report = check_upload(tar_gz(files), "a.tar.gz")
    assert report.accepted
    (p,) = report.problems
    assert p.check == "code.unknown_doctype" and p.severity == "warning"
    assert "did you mean io.cozy.bills?" in p.message and p.path == "bills.js"
    # an app's own doctypes and known ones are not typos
    own = app_files(**{"own.js": b"x('fr.hackathon.my_calls.result'); y('io.cozy.bills')"})
    assert "code.unknown_doctype" not in ids(check_upload(tar_gz(own), "a.tar.gz"))


# Where the check id is among the arguments of the calls that make problems (and of each
# module's own helpers that take a ``check`` parameter).
ID_ARGUMENT = {"Problem": 0, "BuildResult": 4}


def _emitted_ids() -> set[str]:
    """Every check id a problem can carry, read from the code that makes problems: the first
    argument of ``Problem`` or of a helper's ``check`` parameter (a literal or a module
    constant), and the build's check ids."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for path in [*root.glob("app_store/**/*.py"), *root.glob("sandbox/contract/*.py")]:
        tree = ast.parse(path.read_text())
        consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  for t in n.targets if isinstance(t, ast.Name)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
        helpers = {f.name: [a.arg for a in f.args.args].index("check")
                   for f in tree.body if isinstance(f, ast.FunctionDef)
                   and "check" in [a.arg for a in f.args.args]}
        positions = {**ID_ARGUMENT, **helpers}
        for node in ast.walk(tree):
            name = getattr(node, "func", None)
            at = positions.get(getattr(name, "id", getattr(name, "attr", "")), -1)
            if isinstance(node, ast.Call) and 0 <= at < len(node.args):
                arg = node.args[at]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in consts:
                    found.add(consts[arg.id])
            if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "check" \
                    and isinstance(node.value, ast.Constant):
                found.add(node.value.value)
    return found


def test_every_check_id_has_a_french_title():
    """The submission page shows each problem's title in the page's language beside its
    English detail: every id the code can emit has a title, and the title is in French."""
    emitted = _emitted_ids()
    assert {"archive.unsafe_path", "manifest.missing", "permissions.invalid",
            "code.secret", "build.failed", "build.requirements", "runtime.crashed"} <= emitted
    titled = {**CHECK_IDS, **RUNTIME_CHECK_IDS}
    assert emitted - set(titled) == set(), "an id without a title"
    french = Language("fr")
    for check in emitted:
        english = title(check)
        translated = french.gettext(english)
        assert translated and translated != english, f"{check}: no French title"
