"""Go ``html/template``'s escapers (``html.go``, ``js.go``, ``css.go``, ``url.go``): each writes a
value for one context, with Go's own replacement tables."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

FAILSAFE = "ZgotmplZ"
REGEXP_KEYWORDS = {"break", "case", "continue", "delete", "do", "else", "finally", "in",
                   "instanceof", "return", "throw", "try", "typeof", "void"}


class HTML(str):
    """Trusted markup (Go's ``template.HTML``): written as is in text."""


Value = str | bool | HTML

def html(s: str, norm: bool = False, nospace: bool = False) -> str:
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


def js_str(s: str, extra: Mapping[str, str] | None = None) -> str:
    table = {**JS_STR, **(extra or {})}
    return "".join(table.get(ch, ch) for ch in s)


def js_regexp(s: str) -> str:
    extra = {ch: "\\" + ch for ch in "$()*-.?[]^{|}"}
    extra["+"] = "\\u002b"
    return js_str(s, extra) or "(?:)"


def go_json(value: object) -> str:
    """``json.Marshal`` as Go writes it: ``<``, ``>``, ``&``, U+2028/9 escaped, other
    control characters as ``\\u00XX``. Keys stay in the order given: Go sorts a map's keys and
    keeps a struct's field order, so the caller orders them."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\\b", "\\u0008").replace("\\f", "\\u000c")
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def js_value(value: Value) -> str:
    if isinstance(value, bool):
        return " true " if value else " false "
    return go_json(str(value))


def url_part_after(part: str, s: str) -> str:
    if part == "query":
        return part
    if "?" in s or "#" in s:
        return "query"
    return "pre" if s or part else part


def url_filter(s: str) -> str:
    colon = s.find(":")
    if colon >= 0 and "/" not in s[:colon] and \
            s[:colon].lower() not in ("http", "https", "mailto"):
        return "#" + FAILSAFE
    return s


UNRESERVED = set("-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~")
RESERVED = set("!#$&*+,/:;=?@[]")


def url_escape(s: str, norm: bool) -> str:
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


def css_escape(s: str) -> str:
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


def css_value(s: str) -> str:
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


def js_regexp_after(s: str, before: bool) -> bool:
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
