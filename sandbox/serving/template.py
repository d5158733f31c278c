"""An app's index page run as a Go ``html/template``, the way cozy-stack runs it, for the
actions apps use: ``{{.Name}}`` (with ``{{-``/``-}}`` trims) and ``{{/* comments */}}``.

Go's ``html/template`` escapes each value for the place it lands in (its "context"), so the
same value is written differently in text, in an attribute, in a URL, in a script or a style:
``data-cozy="{{.CozyData}}"`` gives ``&#34;`` for quotes (cozy-stack-client's token refresh
depends on that exact form), ``<script>var d = {{.CozyData}}</script>`` gives a JS string
literal. This module tracks those contexts and applies Go's escapers (``html/template``'s
``escape.go``, ``transition.go``, ``html.go``, ``js.go``, ``css.go``, ``url.go``), including
what Go also does to the page itself: HTML, JS and CSS comments are dropped and a stray ``<``
in text becomes ``&lt;``.

What the stack does with a page Go will not take is kept too: a page Go cannot parse (say a
``{{ message }}`` of another template language) is served as it is (:class:`NotATemplate`); a
field the stack does not have, an action beyond fields, or a page ending inside a tag or a
script fail at execution (:class:`TemplateFailed`), which the stack answers with a 500 page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sandbox.serving.contexts import Scanner
from sandbox.serving.escapers import HTML, Value, go_json


class NotATemplate(Exception):
    """Go cannot parse the page: the stack serves the file as it is."""


class TemplateFailed(Exception):
    """Go parses the page but cannot run it: the stack answers 500."""


# ---- parsing: literal text and actions ----------------------------------------------------

FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)\Z")
KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break",
            "continue", "nil", "true", "false", "and", "call", "html", "index", "slice", "js",
            "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt",
            "le", "lt", "ne"}
SPACE = " \t\r\n"
__all__ = ["HTML", "NotATemplate", "TemplateFailed", "Value", "go_json", "parse", "render"]


def parse(text: str) -> list[str | tuple[str, str]]:
    """Literal strings and ``("field", name)`` / ``("other", body)`` actions, trims applied."""
    out: list[str | tuple[str, str]] = []
    i = 0
    while True:
        start = text.find("{{", i)
        if start < 0:
            out.append(text[i:])
            return out
        literal = text[i:start]
        j = start + 2
        if text[j:j + 1] == "-" and text[j + 1:j + 2] in tuple(SPACE):
            literal = literal.rstrip(SPACE)
            j += 2
        out.append(literal)
        end, body = _action_end(text, j)
        trim_right = body.endswith("-") and body[:-1] != body[:-1].rstrip(SPACE)
        if trim_right:
            body = body[:-1]
        out.append(_classify(body.strip(SPACE)))
        i = end + 2
        if trim_right:
            while i < len(text) and text[i] in SPACE:
                i += 1


def _action_end(text: str, j: int) -> tuple[int, str]:
    """Where the action opened before ``j`` closes, and its body."""
    k = j
    while k < len(text) and text[k] in SPACE:
        k += 1
    if text.startswith("/*", k):
        close = text.find("*/", k + 2)
        if close < 0:
            raise NotATemplate("unclosed comment")
        rest = close + 2
        tail = text[rest:].lstrip(SPACE)
        if tail.startswith("-}}") and text[rest:rest + 1] in tuple(SPACE):
            rest = len(text) - len(tail) + 1
            return rest, text[j:rest - 1] + "-"
        if not text.startswith("}}", rest):
            raise NotATemplate("comment ends before closing delimiter")
        return rest, text[j:rest]
    quote = ""
    while k < len(text):
        c = text[k]
        if quote:
            if c == "\\" and quote != "`":
                k += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif text.startswith("}}", k):
            return k, text[j:k]
        elif c == "\n" and not quote:
            pass
        k += 1
    raise NotATemplate("unclosed action")


def _classify(body: str) -> tuple[str, str]:
    if body.startswith("/*"):
        return ("comment", body)
    if FIELD.match(body):
        return ("field", body[1:])
    if not body:
        raise NotATemplate("missing value for command")
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", body)
    if word and word.group(0) not in KEYWORDS:
        raise NotATemplate(f'function "{word.group(0)}" not defined')
    var = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", body)
    if var:
        raise NotATemplate(f'undefined variable "${var.group(1)}"')
    if body[0] not in "._$\"'`(-+0123456789" and not word:
        raise NotATemplate(f"unexpected {body[0]!r} in command")
    return ("other", body)


# ---- rendering --------------------------------------------------------------------------------

def render(text: str, values: Mapping[str, Value]) -> str:
    """The page with its actions filled from ``values``, escaped by context, as Go does."""
    parts = parse(text)
    scanner = Scanner()
    out: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(scanner.feed(part))
            continue
        kind, body = part
        if kind == "comment":
            continue
        if kind == "other":
            raise TemplateFailed(f"{{{{{body}}}}}: the sandbox fills fields such as "
                                 "{{.Token}} only, not other template actions")
        if body not in values:
            raise TemplateFailed(f"can't evaluate field {body} (the stack has no "
                                 f"{{{{.{body}}}}}; its fields are "
                                 f"{', '.join('{{.' + k + '}}' for k in sorted(values))})")
        out.append(scanner.escape(values[body]))
    if not scanner.finished():
        raise TemplateFailed(f"the page ends in a non-text context ({scanner.c.state}): an "
                             "unclosed tag, attribute, comment, script or style")
    return "".join(out)
