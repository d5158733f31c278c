"""The submission checks. Each problem carries a stable id from ``CHECK_IDS``."""

from __future__ import annotations

CHECK_IDS = {
    # archive (sandbox.contract.bundle)
    "archive.format": "the upload is a .tar.gz or .zip",
    "archive.too_large": "the upload is under the size limit",
    "archive.corrupt": "the archive can be read",
    "archive.unsafe_path": "no absolute path, '..', backslash or drive letter",
    "archive.link": "no symbolic or hard link",
    "archive.special_file": "no device, FIFO or sparse file",
    "archive.bad_name": "file names are printable UTF-8",
    "archive.duplicate": "no path twice",
    "archive.too_many_files": "under the file-count limit",
    "archive.file_too_large": "no file over the single-file limit",
    "archive.total_too_large": "unpacked size under the limit",
    "archive.ratio": "no compression bomb",
    # manifest (app_store.checks.manifest)
    "manifest.missing": "a manifest.webapp at the root",
    "manifest.invalid_json": "the manifest is a JSON object",
    "manifest.field": "required fields present with the right types",
    "manifest.slug": "slug is lowercase letters, digits and hyphens",
    "manifest.version": "version is semver X.Y.Z",
    "manifest.license": "a licence (SPDX identifier)",
    "manifest.icon": "an icon that exists in the archive",
    "manifest.screenshots": "screenshots that exist in the archive and are images",
    "manifest.description": "a short and a long description",
    "manifest.locales": "locales are objects with known keys",
    "manifest.categories": "categories are a few lowercase words",
    "manifest.runtime": "a valid runtime section (static or python)",
    "permissions.invalid": "permission rules are well-formed",
    "permissions.reserved_doctype": "no reserved doctype",
    "permissions.unknown_doctype": "only known doctypes or the app's own",
    "permissions.no_description": "every permission says why it is needed",
    "permissions.too_many": "few enough permissions for a tester to read",
    "manifest.too_large": "the manifest is a small file",
    # code (app_store.checks.code)
    "code.undeclared_doctype": "doctypes used in the code are declared",
    "code.unknown_doctype": "doctypes named in the code exist (a typo gets a suggestion)",
    "code.outbound_host": "no address outside the sandbox in the code",
    "code.secret": "no secrets (keys, tokens, passwords) in the files",
    "code.requirements_unpinned": "Python requirements pinned with ==",
}

# Found while building and smoke-running (app_store.build, app_store.smoke); shown with the
# checks above so a team reads one list.
RUNTIME_CHECK_IDS = {
    "build.requirements": "the requirements resolve to wheels for the base image",
    "build.failed": "the image builds",
    "runtime.crashed": "the app keeps running after it starts",
    "runtime.out_of_memory": "the app stays within its memory limit",
    "runtime.no_health": "the app answers its health route in time",
    "runtime.page_error": "the app's page answers",
    "runtime.outside_permissions": "the app asks only for data its manifest declares",
}
