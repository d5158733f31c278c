"""The submission checks. Each problem carries a stable id from ``CHECK_IDS``, whose value is
the check's title: what it asks for (translated on the pages, beside the problem's English
detail)."""

from __future__ import annotations


def N_(message: str) -> str:
    """Marks a title for the pages' catalogues (sandbox/webkit/locales); translated where
    it is shown."""
    return message


CHECK_IDS = {
    # archive (sandbox.contract.bundle)
    "archive.format": N_("the upload is a .tar.gz or .zip"),
    "archive.too_large": N_("the upload is under the size limit"),
    "archive.corrupt": N_("the archive can be read"),
    "archive.unsafe_path": N_("no absolute path, '..', backslash or drive letter"),
    "archive.link": N_("no symbolic or hard link"),
    "archive.special_file": N_("no device, FIFO or sparse file"),
    "archive.bad_name": N_("file names are printable UTF-8"),
    "archive.duplicate": N_("no path twice"),
    "archive.too_many_files": N_("under the file-count limit"),
    "archive.file_too_large": N_("no file over the single-file limit"),
    "archive.total_too_large": N_("unpacked size under the limit"),
    "archive.ratio": N_("no compression bomb"),
    # manifest (app_store.checks.manifest)
    "manifest.missing": N_("a manifest.webapp at the root"),
    "manifest.invalid_json": N_("the manifest is a JSON object"),
    "manifest.field": N_("required fields present with the right types"),
    "manifest.slug": N_("slug is lowercase letters, digits and hyphens"),
    "manifest.version": N_("version is semver X.Y.Z"),
    "manifest.license": N_("a licence (SPDX identifier)"),
    "manifest.icon": N_("an icon that exists in the archive"),
    "manifest.screenshots": N_("screenshots that exist in the archive and are images"),
    "manifest.description": N_("a short and a long description"),
    "manifest.locales": N_("locales are objects with known keys"),
    "manifest.categories": N_("categories are a few lowercase words"),
    "manifest.runtime": N_("a valid runtime section (static or python)"),
    "permissions.invalid": N_("permission rules are well-formed"),
    "permissions.reserved_doctype": N_("no reserved doctype"),
    "permissions.unknown_doctype": N_("only known doctypes or the app's own"),
    "permissions.no_description": N_("every permission says why it is needed"),
    "permissions.too_many": N_("few enough permissions for a tester to read"),
    "manifest.too_large": N_("the manifest is a small file"),
    # code (app_store.checks.code)
    "code.undeclared_doctype": N_("doctypes used in the code are declared"),
    "code.unknown_doctype": N_("doctypes named in the code exist (a typo gets a suggestion)"),
    "code.outbound_host": N_("no address outside the sandbox in the code"),
    "code.secret": N_("no secrets (keys, tokens, passwords) in the files"),
    "code.requirements_unpinned": N_("Python requirements pinned with =="),
}

# Found while building and smoke-running (app_store.build, app_store.smoke); shown with the
# checks above so a team reads one list.
RUNTIME_CHECK_IDS = {
    "build.requirements": N_("the requirements resolve to wheels for the base image"),
    "build.failed": N_("the image builds"),
    "runtime.crashed": N_("the app keeps running after it starts"),
    "runtime.out_of_memory": N_("the app stays within its memory limit"),
    "runtime.no_health": N_("the app answers its health route in time"),
    "runtime.page_error": N_("the app's page answers"),
    "runtime.outside_permissions": N_("the app asks only for data its manifest declares"),
}


def title(check: str) -> str:
    """The title of a check id (English; the pages translate it), or the id itself."""
    return CHECK_IDS.get(check) or RUNTIME_CHECK_IDS.get(check) or check

