"""Go's html/template as the stack runs an index page: each context escapes as Go does (the
expected strings are what Go 1.22 writes), comments go, and pages Go refuses are refused the
same way (served raw, or the stack's 500)."""

from __future__ import annotations

import json

import pytest

from sandbox.serving.template import HTML, NotATemplate, TemplateFailed, go_json, render

DATA = go_json({"app": {"name": "A&B"}, "domain": "alice.localhost:8080", "token": "t.o\"k"})
V = {"CozyData": DATA, "Token": "a/b'c\"d", "Domain": "alice.localhost:8080", "Locale": "fr",
     "AppName": "Mes <données> & moi", "Tracking": False, "Name": "a b=c",
     "CozyBar": HTML('<script src="//alice.localhost:8080/assets/js/cozy-bar.min.js"></script>'),
     "Evil": "javascript:alert(1)"}

CASES = [
    # attributes: quotes as &#34; (cozy-stack-client's refreshToken matches that form)
    ('<div data-cozy="{{.CozyData}}">',
     '<div data-cozy="{&#34;app&#34;:{&#34;name&#34;:&#34;A\\u0026B&#34;},&#34;domain&#34;:'
     '&#34;alice.localhost:8080&#34;,&#34;token&#34;:&#34;t.o\\&#34;k&#34;}">'),
    ("<i data-cozy-token='{{.Token}}'>", "<i data-cozy-token='a/b&#39;c&#34;d'>"),
    ('<html lang="{{.Locale}}">', '<html lang="fr">'),
    ("<div class={{.Name}}>", "<div class=a&#32;b&#61;c>"),
    ("<div title={{.Name}}>", "<div title=a&#32;b&#61;c>"),
    # text and raw text
    ("<p>{{.AppName}}</p>", "<p>Mes &lt;données&gt; &amp; moi</p>"),
    ("<head>{{.CozyBar}}</head>", '<head><script src="//alice.localhost:8080/assets/js/'
                                  'cozy-bar.min.js"></script></head>'),
    ("<title>{{.AppName}}</title>", "<title>Mes &lt;données&gt; &amp; moi</title>"),
    ('<div title="{{.CozyBar}}">', '<div title="">'),
    ("<p>{{.Tracking}}</p>", "<p>false</p>"),
    # scripts: a JS value, a JS string, a regexp, event handlers
    ("<script>var d = {{.CozyData}};</script>",
     '<script>var d = "{\\"app\\":{\\"name\\":\\"A\\\\u0026B\\"},\\"domain\\":\\"alice.localhost'
     ':8080\\",\\"token\\":\\"t.o\\\\\\"k\\"}";</script>'),
    ('<script>var t = "{{.Token}}";</script>',
     '<script>var t = "a\\/b\\u0027c\\u0022d";</script>'),
    ("<script>var on = {{.Tracking}};</script>", "<script>var on =  false ;</script>"),
    ("<script>var r = /{{.Locale}}/;</script>", "<script>var r = /fr/;</script>"),
    ("<script>var x = 4 / {{.Locale}} / 2;</script>", '<script>var x = 4 / "fr" / 2;</script>'),
    ("<script>var s = `{{.Token}}`;</script>", "<script>var s = `a\\/b\\u0027c\\u0022d`;</script>"),
    ("<a onclick=\"go('{{.Token}}')\">", "<a onclick=\"go('a\\/b\\u0027c\\u0022d')\">"),
    ('<script type="text/template">{{.Token}}</script>',
     '<script type="text/template">a/b&#39;c&#34;d</script>'),
    # URLs: filtered at the start, normalised, escaped in the query
    ('<a href="{{.Evil}}">', '<a href="#ZgotmplZ">'),
    ('<script src="//{{.Domain}}/assets/x.js"></script>',
     '<script src="//alice.localhost:8080/assets/x.js"></script>'),
    ('<img src="/x?q={{.AppName}}">', '<img src="/x?q=Mes%20%3cdonn%c3%a9es%3e%20%26%20moi">'),
    ('<img data-cozy-url="{{.AppName}}">', '<img data-cozy-url="Mes%20%3cdonn%c3%a9es%3e%20&amp;'
                                           '%20moi">'),
    # CSS
    ('<style>body { background: url("//{{.Domain}}/w.jpg") }</style>',
     '<style>body { background: url("//alice.localhost:8080/w.jpg") }</style>'),
    ('<style>body { background: url("{{.Domain}}/w.jpg") }</style>',  # "alice.localhost:" a scheme
     '<style>body { background: url("#ZgotmplZ/w.jpg") }</style>'),
    ("<style>p { color: {{.Locale}} }</style>", "<style>p { color: fr }</style>"),
    ("<style>p { font: {{.Token}} }</style>", "<style>p { font: ZgotmplZ }</style>"),
    ('<p style="color: {{.Locale}}">', '<p style="color: fr">'),
    # what Go does to the page itself
    ("<!-- a comment -->x", "x"),
    ("<script>// line\nvar a = 1; /* block */ var b = 2;</script>",
     "<script>\nvar a = 1;   var b = 2;</script>"),
    ("<style>/* c */p{}</style>", "<style> p{}</style>"),
    ("1 < 2", "1 &lt; 2"),
    ("<!DOCTYPE html><p>", "<!DOCTYPE html><p>"),
    ("{{/* a template comment */}}ok", "ok"),
    ("<p>\n  {{- .Locale -}}\n</p>", "<p>fr</p>"),
    ("<p>{{ .Locale }}</p>", "<p>fr</p>"),
]


@pytest.mark.parametrize(("page", "expected"), CASES)
def test_each_context_escapes_as_go_does(page: str, expected: str) -> None:
    assert render(page, V) == expected


def test_cozy_data_in_an_attribute_reads_back_as_the_json() -> None:
    """What a browser's dataset gives back is the JSON the stack marshalled."""
    import html
    out = render('<div data-cozy="{{.CozyData}}">', V)
    attr = out.split('data-cozy="')[1].split('"')[0]
    assert json.loads(html.unescape(attr)) == json.loads(DATA)
    assert "&quot;" not in out and "&#34;" in out


@pytest.mark.parametrize("page", ["{{ message }}", "<p>{{user.name}}</p>", "<script>a = {{b}}",
                                  "{{", "x {{ .Token", "{{}}", "{{$x}}", "{{/* open"])
def test_what_go_cannot_parse_is_served_as_it_is(page: str) -> None:
    with pytest.raises(NotATemplate):
        render(page, V)


@pytest.mark.parametrize(("page", "why"), [
    ("{{.Nope}}", "can't evaluate field Nope"),
    ("{{.token}}", "can't evaluate field token"),
    ("{{if .Tracking}}x{{end}}", "not other template actions"),
    ("<script>var a = 1;", "non-text context"),
    ('<div class="x', "non-text context"),
    ("<!-- never closed", "non-text context"),
])
def test_what_go_cannot_run_fails_with_the_reason(page: str, why: str) -> None:
    with pytest.raises(TemplateFailed, match=why):
        render(page, V)


def test_go_json_escapes_like_go() -> None:
    assert go_json({"b": "<&>\u2028", "a": "\b\f"}) == \
        '{"b":"\\u003c\\u0026\\u003e\\u2028","a":"\\u0008\\u000c"}'
