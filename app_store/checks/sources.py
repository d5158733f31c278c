"""Whose code a file is, and whether a place in it can run: what turns a finding into an error
or a warning.

The rule a reviewer can rely on (docs/security.md, "What the code checks trust"):

- **Data files** (JSON, source maps) are not code: what they name only warns.
- **A bundled library** is recognised by a mark that bundlers and package managers leave, never
  by a name alone, and every warning says which mark it was:
  1. a vendor folder in its path (``node_modules/``, ``bower_components/``, ``vendor/``,
     ``vendors/``, ``third_party/``), or the name of a vendor chunk (``vendor.js``,
     ``vendors.bundle.js``, ``vendors~main.js``: what webpack's splitChunks and brunch write for
     the packages of ``node_modules``);
  2. the licence banner of the library the file is named after: its first comment gives a
     licence or a copyright and a version, and names the file (``jquery.min.js`` opening with
     ``/*! jQuery v3.1.1 | (c) JS Foundation | jquery.org/license */``);
  3. webpack's wrapper of a library build (``webpackUniversalModuleDefinition``), which a
     bundler writes for a library, not for an app;
  4. inside a webpack bundle, each module whose path annotation is under ``node_modules``
     (``/***/ "./node_modules/react/index.js":``); the other modules stay the team's.
  ``app.min.js`` or ``main.bundle.js`` is the team's code minified or bundled: a file the page
  loads stays the team's unless it carries one of those marks. Python files are always the
  team's (libraries come from requirements), and so are the inline scripts of its pages.
- **Comments** (and Python docstrings) never run: an address there only warns. Anywhere else in
  code (a string, an attribute, an expression) it may be called: an error in the team's code,
  a warning in a library.

What this cannot see: an address built at run time (``"ht" + "tps://..."``) or read from a data
file. The checks catch plain calls and show the rest to the reviewer; the containers have no
network, and a reviewer reads every warning before approving.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePosixPath

import tree_sitter_javascript
from tree_sitter import Language, Parser, Query, QueryCursor, Tree

OWN, LIBRARY, DATA = "own", "library", "data"
JS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx")
HTML = (".html", ".htm", ".vue")
DATA_EXT = (".json", ".map")
VENDOR_DIRS = {"node_modules", "bower_components", "jspm_packages", "vendor", "vendors",
               "third_party", "third-party"}
VENDOR_CHUNK = re.compile(r"^vendors?(?:[.~_-]|$)", re.I)
BANNER_LICENCE = re.compile(rb"@license|@preserve|licen[cs]e|copyright|\(c\)|\xc2\xa9", re.I)
BANNER_VERSION = re.compile(rb"\bv?\d+\.\d+(?:\.\d+)?\b")
FIRST_COMMENT = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:['\"]use strict['\"];?\s*)?"
                           rb"(/\*.*?\*/|(?://[^\n]*\n\s*)+)", re.S)
UMD = b"webpackUniversalModuleDefinition"
# webpack's module annotations: `/***/ "./node_modules/x.js":` (webpack 4-5, development) and
# `!*** ./node_modules/x.js ***!` (webpack 1-3).
MODULE = re.compile(rb"""/\*\*\*/ ["']([^"'\n]{1,500})["']\s*:|!\*\*\* (\S{1,500}) \*\*\*!""")
SCRIPT = re.compile(rb"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)
HTML_COMMENT = re.compile(rb"<!--.*?-->", re.S)
BANNER_BYTES = 4096
# A word (and maybe a colon or a bracket) then spaces, right before the address.
PROSE = re.compile(rb"[A-Za-z][.,:;!?)\]]?[ \t]+\Z")


@cache
def _js() -> tuple[Parser, Query]:
    language = Language(tree_sitter_javascript.language())
    return Parser(language), Query(language, "(comment) @comment")


def library_mark(path: str, data: bytes) -> str | None:
    """Why the whole file counts as a bundled library, or None (see the module's rule)."""
    parts = PurePosixPath(path).parts
    if path.endswith(".py"):
        return None
    folder = next((p for p in parts[:-1] if p.lower() in VENDOR_DIRS), None)
    if folder:
        return f"in a {folder}/ folder"
    name = parts[-1]
    if not name.endswith(JS):
        return None
    if VENDOR_CHUNK.match(name):
        return "a vendor chunk of the bundler"
    head = data[:BANNER_BYTES]
    banner = FIRST_COMMENT.match(head)
    if banner:
        text = banner.group(1)
        words = set(re.findall(rb"[a-z0-9]+", text.lower()))
        stem = re.split(r"[._-]", name.lower())[0].encode()
        if len(stem) >= 3 and stem in words and BANNER_LICENCE.search(text) \
                and BANNER_VERSION.search(text):
            first = b" ".join(text.strip(b"/*! \n").split())[:60].decode("utf-8", "replace")
            return f"the licence banner of {first!r}"
    if UMD in head:
        return "a library build (webpack's UMD wrapper)"
    return None


def is_data(path: str) -> bool:
    return path.endswith(DATA_EXT)


@dataclass
class SourceFile:
    """One file of the upload: whose it is, and for a place in it whether it can run."""

    path: str
    data: bytes
    mark: str | None = None                 # why it is a library (None: not one)
    _comments: list[tuple[int, int]] | None = field(default=None, repr=False)
    _modules: tuple[list[int], list[bool]] | None = field(default=None, repr=False)
    _tree: Tree | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.mark = library_mark(self.path, self.data)

    @property
    def origin(self) -> str:
        if is_data(self.path):
            return DATA
        return LIBRARY if self.mark else OWN

    def origin_at(self, offset: int) -> str:
        """Whose code this place is: a webpack module from node_modules is a library's."""
        if self.origin != OWN or not self.path.endswith(JS):
            return self.origin
        starts, in_nm = self._module_index()
        i = bisect.bisect_right(starts, offset) - 1
        return LIBRARY if i >= 0 and in_nm[i] else OWN

    def in_comment(self, start: int, end: int) -> bool:
        """Whether bytes ``start:end`` sit inside a comment (or a Python docstring)."""
        if self._comments is None:
            self._comments = sorted(_js_comments(self._js_tree(), 0)
                                    if self.path.endswith(JS) else _comments(self.path, self.data))
        i = bisect.bisect_right(self._comments, (start, 1 << 62)) - 1
        return i >= 0 and self._comments[i][0] <= start and end <= self._comments[i][1]

    def in_prose(self, start: int) -> bool:
        """Whether the address at ``start`` sits inside a sentence of a JavaScript string
        (``"... See https://fb.me/react-keys for more"``): a message to a person, not an
        address the code calls, which would open the string (``"https://api..." + path``) or
        follow markup (``src="https://...``, ``url(https://...``)."""
        if not self.path.endswith(JS):
            return False
        node = self._js_tree().root_node.descendant_for_byte_range(start, start + 1)
        while node is not None and node.type not in ("string", "template_string"):
            node = node.parent
        if node is None:
            return False
        return PROSE.search(self.data[max(node.start_byte + 1, start - 200):start]) is not None

    def _js_tree(self) -> Tree:
        if self._tree is None:
            self._tree = _js()[0].parse(self.data)
        return self._tree

    def _module_index(self) -> tuple[list[int], list[bool]]:
        if self._modules is None:
            starts, in_nm = [], []
            for m in MODULE.finditer(self.data):
                starts.append(m.start())
                in_nm.append(b"node_modules/" in (m.group(1) or m.group(2)))
            self._modules = (starts, in_nm)
        return self._modules


def _comments(path: str, data: bytes) -> list[tuple[int, int]]:
    if path.endswith(HTML):
        return _html_comments(data)
    if path.endswith(".py"):
        return _python_comments(data)
    return []


def _js_comments(tree: Tree, offset: int) -> list[tuple[int, int]]:
    found = QueryCursor(_js()[1]).captures(tree.root_node).get("comment", [])
    return [(n.start_byte + offset, n.end_byte + offset) for n in found]


def _html_comments(data: bytes) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    scripts = [(m.start(1), m.end(1)) for m in SCRIPT.finditer(data)]
    for start, end in scripts:
        out += _js_comments(_js()[0].parse(data[start:end]), start)
    for m in HTML_COMMENT.finditer(data):
        if not any(s <= m.start() < e for s, e in scripts):
            out.append((m.start(), m.end()))
    return out


def _python_comments(data: bytes) -> list[tuple[int, int]]:
    lines = data.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def at(row: int, col_bytes: int) -> int:
        return starts[row - 1] + col_bytes

    out: list[tuple[int, int]] = []
    try:
        for tok in tokenize.tokenize(io.BytesIO(data).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                line = tok.line
                out.append((at(row, len(line[:col].encode())), at(row, len(line.encode()))))
        tree = ast.parse(data)
    except (SyntaxError, tokenize.TokenError, ValueError):
        return out
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) \
                and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            doc = body[0]
            out.append((at(doc.lineno, doc.col_offset),
                        at(doc.end_lineno or doc.lineno, doc.end_col_offset or 0)))
    return out
