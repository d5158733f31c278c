"""Where a value lands in a page, as Go ``html/template`` tracks it (``transition.go``,
``escape.go``): text, a tag, an attribute of some kind (plain, URL, JS, CSS) and its quoting,
a script or a style and the strings, regexps, ``url(...)`` and comments inside them. The
:class:`Scanner` also rewrites the page as Go does: comments dropped, a stray ``<`` escaped."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sandbox.serving.escapers import (
    FAILSAFE,
    HTML,
    Value,
    css_escape,
    css_value,
    html,
    js_regexp,
    js_regexp_after,
    js_str,
    js_value,
    url_escape,
    url_filter,
    url_part_after,
)

SPACE = " \t\r\n"

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
            self.c = replace(c, url_part=url_part_after(c.url_part, chunk))
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
                self.c = replace(self.c, js_regexp=js_regexp_after(s[:j], self.c.js_regexp))
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
                self.c = replace(self.c, url_part=url_part_after(self.c.url_part, piece))
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
                s = url_filter(s)
            if c.url_part == "query":
                s = url_escape(s, norm=False)
            elif st in ("cssdq", "csssq"):
                s = css_escape(s)
            else:
                s = url_escape(s, norm=True)
        elif st == "js":
            s = js_value(value)
            self.c = replace(c, js_regexp=False)
        elif st in ("jsdq", "jssq"):
            s = js_str(s)
        elif st == "jstmpl":
            s = js_str(s, extra={"$": "\\u0024", "{": "\\u007b", "}": "\\u007d"})
        elif st == "jsregexp":
            s = js_regexp(s)
        elif st == "css":
            s = css_value(s)
        elif st == "text":
            return s if is_html else html(s)
        elif st == "rcdata":
            return html(s, norm=is_html)
        if not c.delim:
            return s
        if is_html and st == "attr":
            s = re.sub(r"<[^>]*>", "", s)
        return html(s, norm=is_html and st == "attr", nospace=c.delim == " ")

    def finished(self) -> bool:
        return self.c.state == "text"
