"""What the stack puts in an app's index page: every template variable of cozy-stack's
``serveParams`` (``web/apps/serve.go``) with the values this sandbox has, and the page itself
rendered from them (:func:`render_index`). Python apps get the same values in their environment
(:func:`page_env`), since they write their own pages.

The values follow a stack with its default configuration and nested sub-domains
(``<slug>.<instance>.localhost``): ``SubDomain`` is ``nested``, ``ContextName`` ``default``,
no tracking, no feature flags, the sandbox's capabilities (``sandbox.instance_settings``) and
the instance's locale; the tester is logged in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sandbox.contract.manifest import Manifest
from sandbox.instance_settings import CAPABILITIES
from sandbox.serving import template
from sandbox.serving.assets import StackAssets
from sandbox.serving.template import HTML, Value

DEFAULT_LOCALE = "fr"    # the MesInfos households are French
CONTEXT = "default"
# What Go writes for {{.Warnings}} when the tester is logged in and has no warnings.
NO_WARNINGS = "\n\n\n"


@dataclass(frozen=True)
class PageContext:
    """Who the page is for: the instance's address and locale, the app, its token."""

    domain: str                  # the instance's host and port, e.g. alice.localhost:8080
    token: str
    slug: str
    name: str
    editor: str
    name_prefix: str = ""
    icon: str = ""
    locale: str = DEFAULT_LOCALE
    logged_in: bool = True
    tracking: bool = False
    flags: dict = field(default_factory=dict)

    @classmethod
    def of(cls, manifest: Manifest, domain: str, token: str,
           locale: str = DEFAULT_LOCALE) -> PageContext:
        """The context of an installed app, its name localised as the stack does."""
        raw = manifest.raw
        name = manifest.name
        local = (raw.get("locales") or {}).get(locale) if isinstance(raw.get("locales"),
                                                                      dict) else None
        if isinstance(local, dict) and isinstance(local.get("name"), str) and local["name"]:
            name = local["name"]
        prefix = raw.get("name_prefix") if isinstance(raw.get("name_prefix"), str) else ""
        icon = raw.get("icon") if isinstance(raw.get("icon"), str) else ""
        return cls(domain=domain, token=token, slug=manifest.slug, name=name,
                   editor=manifest.editor, name_prefix=prefix, icon=icon, locale=locale)


def cozy_data(ctx: PageContext) -> str:
    """``{{.CozyData}}``: Go marshals a map, so its keys come sorted."""
    data = {"app": {"editor": ctx.editor, "icon": ctx.icon, "name": ctx.name,
                    "prefix": ctx.name_prefix, "slug": ctx.slug},
            "capabilities": CAPABILITIES, "domain": ctx.domain, "flags": ctx.flags,
            "isLoggedIn": ctx.logged_in, "locale": ctx.locale, "subdomain": "nested",
            "token": ctx.token, "tracking": ctx.tracking}
    return template.go_json(data)


def _link(href: str) -> str:
    return f'<link rel="stylesheet" type="text/css" href="{href}">'


def variables(ctx: PageContext, assets: StackAssets) -> dict[str, Value]:
    """Every field of the stack's ``serveParams``, as it writes them."""
    d = ctx.domain
    fonts = _link(assets.url(d, "/fonts/fonts.css"))
    favicon = (f'\n\t<link rel="icon" href="{assets.url(d, "/favicon.ico")}">\n\t\n\t'
               f'<link rel="icon" href="{assets.url(d, "/icon.svg")}" type="image/svg+xml" '
               f'sizes="any">\n\t\n\t<link rel="apple-touch-icon" sizes="180x180" '
               f'href="{assets.url(d, "/apple-touch-icon.png")}"/>\n\t<link rel="manifest" '
               f'href="{assets.url(d, "/manifest.webmanifest")}">\n\t\t')
    return {
        "Token": ctx.token, "Domain": d, "ContextName": CONTEXT, "Locale": ctx.locale,
        "SubDomain": "nested", "Tracking": ctx.tracking,
        "AppSlug": ctx.slug, "AppName": ctx.name, "AppNamePrefix": ctx.name_prefix,
        "AppEditor": ctx.editor, "IconPath": ctx.icon,
        "Capabilities": template.go_json(CAPABILITIES), "Flags": template.go_json(ctx.flags),
        "CozyData": cozy_data(ctx),
        "CozyClientJS": HTML(f'<script src="{assets.url(d, "/js/cozy-client.min.js")}">'
                             "</script>"),
        "CozyBar": HTML(f"\n{fonts}\n{_link(assets.url(d, '/css/cozy-bar.min.css'))}\n"
                        f'<script src="{assets.url(d, "/js/cozy-bar.min.js")}"></script>'),
        "CozyFonts": HTML(fonts),
        "ThemeCSS": HTML(_link(assets.url(d, "/styles/theme.css"))),
        "Favicon": HTML(favicon),
        "DefaultWallpaper": assets.url(d, "/images/default-wallpaper.jpg"),
        "Warnings": HTML(NO_WARNINGS if ctx.logged_in else "\n"),
    }


def with_warnings(text: str) -> str:
    """The stack adds ``{{.Warnings}}`` before ``</head>``, or a head before ``<body>``."""
    close = text.find("</head>")
    if close >= 0:
        return text[:close] + "\n{{.Warnings}}\n" + text[close:]
    body = text.find("<body>")
    if body >= 0:
        head = "" if "<head>" in text else "\n<head>"
        return text[:body] + head + "\n{{.Warnings}}\n</head>\n" + text[body:]
    return text


def render_index(text: str, ctx: PageContext, assets: StackAssets) -> str:
    """The index page as the stack serves it. Raises :class:`template.NotATemplate` (serve
    the file as it is) or :class:`template.TemplateFailed` (the stack's 500)."""
    return template.render(with_warnings(text), variables(ctx, assets))


def page_env(ctx: PageContext, assets: StackAssets) -> dict[str, str]:
    """The same values for a python app, which writes its own pages: ``COZY_LOCALE`` and
    ``SELFDATA_TEMPLATE_VALUES``, a JSON object of every variable as ``{{.X}}`` writes it in
    HTML text (the asset tags as markup, the rest as plain strings to escape)."""
    values = {k: (("true" if v else "false") if isinstance(v, bool) else str(v))
              for k, v in variables(ctx, assets).items() if k != "Warnings"}
    return {"COZY_LOCALE": ctx.locale, "SELFDATA_TEMPLATE_VALUES": json.dumps(values)}
