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

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

FAILSAFE = "ZgotmplZ"


class HTML(str):
    """Trusted markup (Go's ``template.HTML``): written as is in text."""


class NotATemplate(Exception):
    """Go cannot parse the page: the stack serves the file as it is."""


class TemplateFailed(Exception):
    """Go parses the page but cannot run it: the stack answers 500."""


Value = str | bool | HTML

# ---- parsing: literal text and actions ----------------------------------------------------

FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)\Z")
KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break",
            "continue", "nil", "true", "false", "and", "call", "html", "index", "slice", "js",
            "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt",
            "le", "lt", "ne"}
SPACE = " \t\r\n"


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


# ---- contexts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ctx:
    state: str = "text"       # text rcdata tag attrname aftername beforevalue attr comment
    #                           js jsdq jssq jstmpl jsregexp jsline jsblock
    #                           css cssdq csssq cssurl cssdqurl csssqurl cssline cssblock url
    element: str = ""         # script, style, textarea, title (raw text elements)
    delim: str = ""           # attribute quote: '"', "'", " " (unquoted) or "" (none)
    attr: str = ""            # kind of the attribute being read: plain url js css
    url_part: str = ""        # "" (none yet), pre, query
    js_regexp: bool = True    # a "/" now starts a regexp (else a division)


RAW_END = {"script": "js", "style": "css", "textarea": "rcdata", "title": "rcdata"}
URL_ATTRS = {"action", "archive", "background", "cite", "classid", "codebase", "data",
             "formaction", "href", "icon", "longdesc", "manifest", "poster", "profile", "src",
             "usemap", "xmlns"}
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "application/json",
            "application/ld+json", "text/ecmascript", "application/ecmascript",
            "text/jscript", "text/livescript", "application/x-javascript",
            "text/x-javascript"}
REGEXP_KEYWORDS = {"break", "case", "continue", "delete", "do", "else", "finally", "in",
                   "instanceof", "return", "throw", "try", "typeof", "void"}
TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9:-]*)")
ATTR_NAME = re.compile(r"[^\s/>=]+")


def attr_kind(name: str) -> str:
    """Go's ``attrType``: what an attribute's value holds."""
    name = name.lower()
    if ":" in name:
        prefix, name = name.split(":", 1)
        if prefix == "xmlns":
            return "url"
    if name.startswith("data-"):
        name = name[5:]
    if name in URL_ATTRS:
        return "url"
    if name == "style":
        return "css"
    if name.startswith("on"):
        return "js"
    if "src" in name or "uri" in name or "url" in name:
        return "url"
    return "plain"


class Scanner:
    """Walks literal text, tracking Go's context; returns the text as Go writes it."""

    def __init__(self) -> None:
        self.c = Ctx()
        self.script_type_js = True
        self._attr_name = ""
        self._pending_newline = False

    def feed(self, s: str) -> str:
        out: list[str] = []
        i = 0
        while i < len(s):
            i = self._step(s, i, out)
        return "".join(out)

    # Each step consumes some of s from i, appends what Go writes, returns the new index.
    def _step(self, s: str, i: int, out: list[str]) -> int:
        st = self.c.state
        if st == "text":
            return self._text(s, i, out)
        if st == "comment":
            end = s.find("-->", i)
            if end < 0:
                return len(s)
            self.c = Ctx()
            return end + 3
        if st == "rcdata":
            return self._raw_until_end(s, i, out)
        if st in ("tag", "attrname", "aftername", "beforevalue"):
            return self._tag(s, i, out)
        if st in ("attr", "url") or (self.c.delim and st not in ("text",)):
            return self._attr_value(s, i, out)
        return self._element_body(s, i, out)

    def _text(self, s: str, i: int, out: list[str]) -> int:
        lt = s.find("<", i)
        if lt < 0:
            out.append(s[i:])
            return len(s)
        out.append(s[i:lt])
        if s.startswith("<!--", lt):
            self.c = replace(self.c, state="comment")
            return lt + 4
        m = TAG_NAME.match(s, lt)
        if m:
            name = m.group(1).lower()
            closing = s[lt + 1] == "/"
            self.c = Ctx(state="tag", element="" if closing else name)
            self.script_type_js = True
            out.append(m.group(0))
            return m.end()
        if s[lt:lt + 9].upper() == "<!DOCTYPE":
            out.append("<")
            return lt + 1
        out.append("&lt;")
        return lt + 1

    def _tag(self, s: str, i: int, out: list[str]) -> int:
        c = self.c
        ch = s[i]
        if c.state == "beforevalue":
            if ch in SPACE:
                out.append(ch)
                return i + 1
            if ch in "\"'":
                self.c = replace(c, state=self._value_state(), delim=ch, url_part="",
                                 js_regexp=True)
                out.append(ch)
                return i + 1
            self.c = replace(c, state=self._value_state(), delim=" ", url_part="",
                             js_regexp=True)
            return i
        if ch in SPACE:
            if c.state == "attrname":
                self.c = replace(c, state="aftername")
            out.append(ch)
            return i + 1
        if ch == ">":
            out.append(ch)
            return self._end_tag(i + 1)
        if ch == "=" and c.state in ("attrname", "aftername"):
            self.c = replace(c, state="beforevalue")
            out.append(ch)
            return i + 1
        if ch == "/" and c.state != "attrname":
            out.append(ch)
            return i + 1
        m = ATTR_NAME.match(s, i)
        name = m.group(0) if m else ch
        self.c = replace(c, state="attrname", attr=attr_kind(name))
        self._attr_name = name.lower()
        out.append(name)
        return i + len(name)

    def _value_state(self) -> str:
        return {"url": "url", "js": "js", "css": "css"}.get(self.c.attr, "attr")

    def _end_tag(self, i: int) -> int:
        el = self.c.element
        kind = RAW_END.get(el)
        if el == "script" and not self.script_type_js:
            kind = None
        self.c = Ctx(state=kind, element=el) if kind else Ctx()
        return i

    def _attr_value(self, s: str, i: int, out: list[str]) -> int:
        c = self.c
        end = len(s)
        if c.delim == " ":
            m = re.compile(r"[\s>]").search(s, i)
            end = m.start() if m else len(s)
        else:
            q = s.find(c.delim, i)
            end = q if q >= 0 else len(s)
        chunk = s[i:end]
        out.append(chunk)
        self._inside(chunk)
        if end < len(s):
            value_end = end if c.delim == " " else end + 1
            if c.delim != " ":
                out.append(c.delim)
            self.c = Ctx(state="tag", element=c.element)
            return value_end
        return end

    def _inside(self, chunk: str) -> None:
        """Context moves inside an attribute value (URL parts, JS and CSS states)."""
        c = self.c
        if c.state == "url" or (c.state in ("cssdq", "csssq", "cssurl", "cssdqurl",
                                            "csssqurl")):
            self.c = replace(c, url_part=_url_part(c.url_part, chunk))
            if c.state == "url":
                return
        if c.state == "attr" and self._attr_name == "type" and \
                c.element == "script":
            self.script_type_js = chunk.strip().lower().split(";")[0] in JS_TYPES
        if c.state.startswith(("js", "css")):
            self._code(chunk, [], keep=True)

    def _element_body(self, s: str, i: int, out: list[str]) -> int:
        el = self.c.element
        close = re.compile(rf"</{el}(?=[\s/>])", re.I).search(s, i) if el else None
        end = close.start() if close else len(s)
        self._code(s[i:end], out, keep=False)
        if close:
            self.c = Ctx()
            return end
        return end

    def _raw_until_end(self, s: str, i: int, out: list[str]) -> int:
        el = self.c.element
        close = re.compile(rf"</{el}(?=[\s/>])", re.I).search(s, i)
        end = close.start() if close else len(s)
        out.append(s[i:end])
        if close:
            self.c = Ctx()
        return end

    def _code(self, s: str, out: list[str], keep: bool) -> None:
        """JS or CSS text: strings, regexps, url(...) and comments (dropped unless ``keep``)."""
        i = 0
        while i < len(s):
            st = self.c.state
            if st == "js":
                m = re.compile(r"[\"'`/]").search(s, i)
                j = m.start() if m else len(s)
                out.append(s[i:j])
                self.c = replace(self.c, js_regexp=_js_regexp_after(s[:j], self.c.js_regexp))
                if not m:
                    return
                ch = s[j]
                if ch == "/" and s[j + 1:j + 2] in ("/", "*"):
                    self.c = replace(self.c, state="jsline" if s[j + 1] == "/" else "jsblock")
                    if keep:
                        out.append(s[j:j + 2])
                    i = j + 2
                    continue
                nxt = {"\"": "jsdq", "'": "jssq", "`": "jstmpl"}.get(ch)
                if nxt is None:
                    nxt = "jsregexp" if self.c.js_regexp else "js"
                    if nxt == "js":
                        self.c = replace(self.c, js_regexp=True)
                self.c = replace(self.c, state=nxt)
                out.append(ch)
                i = j + 1
            elif st in ("jsdq", "jssq", "jstmpl", "jsregexp"):
                quote = {"jsdq": "\"", "jssq": "'", "jstmpl": "`", "jsregexp": "/"}[st]
                j, in_class = i, False
                while j < len(s):
                    ch = s[j]
                    if ch == "\\":
                        j += 2
                        continue
                    if st == "jsregexp" and ch == "[":
                        in_class = True
                    elif st == "jsregexp" and ch == "]":
                        in_class = False
                    elif ch == quote and not in_class:
                        break
                    j += 1
                out.append(s[i:j + 1])
                if j >= len(s):
                    return
                self.c = replace(self.c, state="js", js_regexp=False)
                i = j + 1
            elif st in ("jsline", "cssline"):
                nl = re.compile(r"[\n\r\u2028\u2029]").search(s, i)
                if keep:
                    out.append(s[i:nl.start() if nl else len(s)])
                if not nl:
                    return
                self.c = replace(self.c, state="js" if st == "jsline" else "css")
                i = nl.start()
            elif st in ("jsblock", "cssblock"):
                end = s.find("*/", i)
                body = s[i:end if end >= 0 else len(s)]
                if keep:
                    out.append(s[i:end + 2 if end >= 0 else len(s)])
                if end < 0:
                    self._pending_newline = self._pending_newline or \
                        any(x in body for x in "\n\r\u2028\u2029")
                    return
                if not keep:
                    newline = self._pending_newline or \
                        any(x in body for x in "\n\r\u2028\u2029")
                    out.append("\n" if newline and st == "jsblock" else " ")
                self._pending_newline = False
                self.c = replace(self.c, state="js" if st == "jsblock" else "css")
                i = end + 2
            elif st == "css":
                m = re.compile(r"[(\"'/]").search(s, i)
                j = m.start() if m else len(s)
                out.append(s[i:j])
                if not m:
                    return
                ch = s[j]
                if ch == "(" and re.search(r"url\s*\Z", s[:j], re.I):
                    rest = s[j + 1:]
                    k = j + 1 + len(rest) - len(rest.lstrip("\t\n\f\r "))
                    q = s[k:k + 1]
                    state = {"\"": "cssdqurl", "'": "csssqurl"}.get(q, "cssurl")
                    end = k + 1 if q in ("\"", "'") else k
                    out.append(s[j:end])
                    self.c = replace(self.c, state=state, url_part="")
                    i = end
                    continue
                if ch == "/" and s[j + 1:j + 2] in ("/", "*"):
                    self.c = replace(self.c, state="cssline" if s[j + 1] == "/" else "cssblock")
                    if keep:
                        out.append(s[j:j + 2])
                    i = j + 2
                    continue
                if ch in "\"'":
                    self.c = replace(self.c, state="cssdq" if ch == "\"" else "csssq",
                                     url_part="")
                out.append(ch)
                i = j + 1
            else:  # css strings and url(...)
                stop = {"cssdq": "\"", "csssq": "'", "cssdqurl": "\"", "csssqurl": "'",
                        "cssurl": ")"}[st]
                j = i
                while j < len(s) and s[j] != stop:
                    j += 2 if s[j] == "\\" else 1
                piece = s[i:min(j, len(s))]
                out.append(piece)
                self.c = replace(self.c, url_part=_url_part(self.c.url_part, piece))
                if j >= len(s):
                    return
                out.append(s[j])
                self.c = replace(self.c, state="css", url_part="")
                i = j + 1

    def escape(self, value: Value) -> str:
        """``value`` as Go writes it at the current context; the context moves past it."""
        if self.c.state == "beforevalue":  # Go's nudge: <a title={{.X}}> is unquoted
            self.c = replace(self.c, state=self._value_state(), delim=" ", url_part="")
        c = self.c
        st = c.state
        s = ("true" if value else "false") if isinstance(value, bool) else str(value)
        is_html = isinstance(value, HTML)
        if st in ("comment", "jsline", "jsblock", "cssline", "cssblock"):
            return ""
        if st in ("tag", "attrname", "aftername"):  # Go's htmlNameFilter
            s = s.lower()
            self.c = replace(c, state="attrname", attr=attr_kind(s))
            self._attr_name = s
            ok = re.fullmatch(r"[a-z0-9]+", s) and attr_kind(s) == "plain"
            return s if ok else FAILSAFE
        if st in ("url", "cssdq", "csssq", "cssurl", "cssdqurl", "csssqurl"):
            if c.url_part == "":
                s = _url_filter(s)
            if c.url_part == "query":
                s = _url_escape(s, norm=False)
            elif st in ("cssdq", "csssq"):
                s = _css_escape(s)
            else:
                s = _url_escape(s, norm=True)
        elif st == "js":
            s = _js_value(value)
            self.c = replace(c, js_regexp=False)
        elif st in ("jsdq", "jssq"):
            s = _js_str(s)
        elif st == "jstmpl":
            s = _js_str(s, extra={"$": "\\u0024", "{": "\\u007b", "}": "\\u007d"})
        elif st == "jsregexp":
            s = _js_regexp(s)
        elif st == "css":
            s = _css_value(s)
        elif st == "text":
            return s if is_html else _html(s)
        elif st == "rcdata":
            return _html(s, norm=is_html)
        if not c.delim:
            return s
        if is_html and st == "attr":
            s = re.sub(r"<[^>]*>", "", s)
        return _html(s, norm=is_html and st == "attr", nospace=c.delim == " ")

    def finished(self) -> bool:
        return self.c.state == "text"


# ---- escapers (Go's tables) ------------------------------------------------------------------

def _html(s: str, norm: bool = False, nospace: bool = False) -> str:
    table = {"\0": "\ufffd", "\"": "&#34;", "'": "&#39;", "+": "&#43;", "<": "&lt;",
             ">": "&gt;"}
    if not norm:
        table["&"] = "&amp;"
    if nospace:
        table.update({"\t": "&#9;", "\n": "&#10;", "\v": "&#11;", "\f": "&#12;",
                      "\r": "&#13;", " ": "&#32;", "=": "&#61;", "`": "&#96;",
                      "\0": "&#xfffd;"})
    return "".join(table.get(ch, ch) for ch in s)


JS_STR = {"\0": "\\u0000", "\t": "\\t", "\n": "\\n", "\v": "\\u000b", "\f": "\\f",
          "\r": "\\r", "\"": "\\u0022", "`": "\\u0060", "&": "\\u0026", "'": "\\u0027",
          "+": "\\u002b", "/": "\\/", "<": "\\u003c", ">": "\\u003e", "\\": "\\\\",
          "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _js_str(s: str, extra: Mapping[str, str] | None = None) -> str:
    table = {**JS_STR, **(extra or {})}
    return "".join(table.get(ch, ch) for ch in s)


def _js_regexp(s: str) -> str:
    extra = {ch: "\\" + ch for ch in "$()*-.?[]^{|}"}
    extra["+"] = "\\u002b"
    return _js_str(s, extra) or "(?:)"


def go_json(value: object) -> str:
    """``json.Marshal`` as Go writes it: ``<``, ``>``, ``&``, U+2028/9 escaped, other
    control characters as ``\\u00XX``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\\b", "\\u0008").replace("\\f", "\\u000c")
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def _js_value(value: Value) -> str:
    if isinstance(value, bool):
        return " true " if value else " false "
    return go_json(str(value))


def _url_part(part: str, s: str) -> str:
    if part == "query":
        return part
    if "?" in s or "#" in s:
        return "query"
    return "pre" if s or part else part


def _url_filter(s: str) -> str:
    colon = s.find(":")
    if colon >= 0 and "/" not in s[:colon] and \
            s[:colon].lower() not in ("http", "https", "mailto"):
        return "#" + FAILSAFE
    return s


UNRESERVED = set("-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~")
RESERVED = set("!#$&*+,/:;=?@[]")


def _url_escape(s: str, norm: bool) -> str:
    out = []
    raw = s.encode()
    for k, b in enumerate(raw):
        ch = chr(b)
        valid_escape = ch == "%" and re.fullmatch(rb"[0-9a-fA-F]{2}", raw[k + 1:k + 3])
        if ch in UNRESERVED or (norm and (ch in RESERVED or valid_escape)):
            out.append(ch)
        else:
            out.append(f"%{b:02x}")
    return "".join(out)


CSS_ESC = {"\0": "\\0", "\t": "\\9", "\n": "\\a", "\f": "\\c", "\r": "\\d", "\"": "\\22",
           "&": "\\26", "'": "\\27", "(": "\\28", ")": "\\29", "+": "\\2b", "/": "\\2f",
           ":": "\\3a", ";": "\\3b", "<": "\\3c", ">": "\\3e", "\\": "\\\\", "{": "\\7b",
           "}": "\\7d"}


def _css_escape(s: str) -> str:
    out = []
    for k, ch in enumerate(s):
        rep = CSS_ESC.get(ch)
        if rep is None:
            out.append(ch)
            continue
        out.append(rep)
        nxt = s[k + 1:k + 2]
        if rep != "\\\\" and nxt and (nxt in "0123456789abcdefABCDEF \t\n\f\r"):
            out.append(" ")
    return "".join(out)


def _css_value(s: str) -> str:
    prev = ""
    ident = []
    for ch in s:
        if ch in "\0\"'()/;@[\\]`{}<>" or (ch == "-" and prev == "-"):
            return FAILSAFE
        if ch.isascii() and (ch.isalnum() or ch in "-_"):
            ident.append(ch)
        prev = ch
    word = "".join(ident).lower()
    if "expression" in word or "mozbinding" in word:
        return FAILSAFE
    return s


def _js_regexp_after(s: str, before: bool) -> bool:
    """Go's ``nextJSCtx``: whether a ``/`` after ``s`` starts a regexp."""
    t = s.rstrip(" \t\n\r\u2028\u2029")
    if not t:
        return before
    c = t[-1]
    if c in "+-":
        run = len(t) - len(t.rstrip(c))
        return run % 2 == 1
    if c == ".":
        return not (len(t) > 1 and t[-2].isdigit())
    if c in ",<>=*%&|^?!~([:;{}":
        return True
    word = re.search(r"[A-Za-z0-9_$]+\Z", t)
    return bool(word and word.group(0) in REGEXP_KEYWORDS)


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
                                 f"{', '.join(sorted(values))})")
        out.append(scanner.escape(values[body]))
    if not scanner.finished():
        raise TemplateFailed(f"the page ends in a non-text context ({scanner.c.state}): an "
                             "unclosed tag, attribute, comment, script or style")
    return "".join(out)
