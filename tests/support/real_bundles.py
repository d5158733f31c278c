"""App folders built like real Cozy apps: real library files from the npm packages of
tests/sandbox/js (installed by :func:`tests.support.node.js_packages`) beside small files of the
team's own, for the store's checks (app_store/checks/sources.py says whose code is whose)."""

from __future__ import annotations

import orjson

from tests.support.apps import ICON, manifest
from tests.support.node import JsSetupError, js_packages
from tests.support.requirements import require

# Real files of npm packages, and where a team would put them in its upload.
LIBRARIES = {
    "public/cozy-client.js": "cozy-client-js/dist/cozy-client.js",   # mark: a library build
    "lodash.min.js": "lodash/lodash.min.js",                          # mark: its licence banner
    "vendor/cozy-client.min.js": "cozy-client-js/dist/cozy-client.min.js",  # vendor folder
    "node_modules/lodash/lodash.js": "lodash/lodash.js",               # vendor folder
}
CALL = "api.leaky-analytics.io"     # an outside host the team's code calls
# A webpack development bundle: one module from node_modules, one of the team's.
WEBPACK = b"""/******/ (function(modules) { /* webpack bootstrap */ })({
/***/ "./node_modules/tiny-lib/index.js":
/***/ (function(module, exports) {
module.exports = function () { return fetch("https://cdn.tiny-lib.dev/ping") }
/***/ }),
/***/ "./src/index.js":
/***/ (function(module, exports, __webpack_require__) {
const lib = __webpack_require__("./node_modules/tiny-lib/index.js")
fetch("https://%s/collect")
/***/ })
});
""" % CALL.encode()


def npm_file(relative: str) -> bytes:
    try:
        root = js_packages()
    except JsSetupError as exc:
        require(False, str(exc))
        raise
    return (root / "node_modules" / relative).read_bytes()


# The minified ones: a few long lines each, quick to scan for secrets.
MINIFIED = ("lodash.min.js", "vendor/cozy-client.min.js")


def real_app(m: dict | None = None, every_library: bool = False, **extra: bytes
             ) -> dict[str, bytes]:
    """A static app as Cozy's tooling builds one: the team's page and code, real bundled
    libraries (the minified ones, or ``every_library``), a locale file and a source map;
    ``extra`` adds or replaces files."""
    m = m or manifest(permissions={
        "files": {"type": "io.cozy.files", "verbs": ["GET", "POST"],
                  "description": "Read your bills as PDFs and save the yearly summary"},
        "notifications": {"type": "io.cozy.notifications", "verbs": ["POST"],
                          "description": "Tell you when a new bill arrives"},
        "settings": {"type": "io.cozy.settings", "verbs": ["GET"],
                     "description": "Show dates in your language and time zone"},
        "bills": {"type": "io.cozy.bills", "verbs": ["GET"],
                  "description": "Read your bills to add them up per year"}})
    files = {"manifest.webapp": orjson.dumps(m), "icon.svg": ICON,
             "index.html": b"<!doctype html>\n<!-- built with https://github.com/cozy/"
                           b"create-cozy-app -->\n<script src='vendor/cozy-client.min.js'>"
                           b"</script><script src='lodash.min.js'></script>"
                           b"<script src='app.js'></script>",
             "app.js": b"// Cozy's docs: https://docs.cozy.io/en/cozy-client/\n"
                       b"/* queries follow https://docs.cozy.io/en/cozy-stack/mango/ */\n"
                       b"const q = cozy.client.data.defineIndex('io.cozy.bills', ['date'])\n"
                       b"if (!q) throw new Error('See https://docs.cozy.io/en/faq/ for help')\n",
             "locales/fr.json": orjson.dumps({"help": "Aide : https://support.cozy.io/",
                                              "link": "https://cozy.io/fr/"}),
             "app.js.map": orjson.dumps({"version": 3, "sources": ["webpack:///./src/app.js"],
                                         "sourcesContent": ["fetch('https://cdn.x.io')"]})}
    files.update({path: npm_file(rel) for path, rel in LIBRARIES.items()
                  if every_library or path in MINIFIED})
    files.update(extra)
    return files
