"""Pages: instance list, a tester's dashboard, the data browser, the API reference."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from sandbox import dashboard
from sandbox.apps.dev_installs import DevHolder
from sandbox.apps.records import STORE, InstalledApp
from sandbox.contract import addresses
from sandbox.contract.consent import doctype_in_words, rule_in_words
from sandbox.files.overview import overview as files_overview
from sandbox.files.tree import is_dir
from sandbox.web import charts
from sandbox.web.charts import Unit
from sandbox.web.context import address, apps, sandbox
from sandbox.web.files_common import file_headers
from sandbox.web.render import instance_or_page, language, message, render
from sandbox.webkit.i18n import N_, Language, Nn_
from synthetic_data.schemas import load_schema

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    sb = sandbox(request)
    if not address(request).instance:
        return render(request, "instances.html", instances=sb.instances.all())
    inst, page = instance_or_page(request)
    if page:
        return page
    ov = dashboard.overview(sb, inst)
    lang = language(request, inst)
    _ = lang.gettext
    ch = _charts(lang, ov)
    installed = [_installed(request, inst.name, a, lang) for a in sb.installs.listing(inst)]
    reinstalled = request.query_params.get("reinstalled", "")
    done = next((a for a in installed if a["slug"] == reinstalled and a["state"] == "installed"),
                None)
    gone = request.query_params.get("uninstalled", "")
    gone = gone if addresses.is_label(gone.replace(".", "-")) and \
        all(a["slug"] != gone for a in installed) else ""
    live = sb.live.status(inst)
    runs = sb.live.recent_runs(inst, 8) if live["live"] else []
    return render(request, "dashboard.html", instance=inst, ov=ov, charts=ch, live=live,
                  runs=runs, apps=installed, reinstalled=done, uninstalled=gone,
                  notifications=sb.notifications.recent(inst, 20),
                  journal=sb.journal.summary(inst.id),
                  recent=sb.journal.entries(inst.id, limit=30),
                  words=lambda d: doctype_in_words(d, _),
                  client_kinds={"app": _("app"), "oauth": _("client"), "cli": _("command line"),
                                "dev": _("dev mode")},
                  job_states={"queued": _("queued"), "running": _("running"), "done": _("done"),
                              "errored": _("errored")},
                  drive=files_overview(sb.files, inst))


def _charts(lang: Language, ov: dashboard.Overview) -> dict:
    """The dashboard's charts, in the page's language; days and months without data shown."""
    _ = lang.gettext
    day, kwh = _("Day"), Unit("kWh")
    hour = lambda h: f"{int(h[:-1])}"  # noqa: E731
    return {
        "electricity": charts.line(lang, _("Electricity per day"), _("kWh per day"),
                                   *charts.daily(*ov.electricity), kwh, day),
        "curve": charts.line(lang, _("Load curve, last 7 days"), _("watts, every half-hour"),
                             *ov.week_curve, Unit(symbol="W"), _("Half-hour"),
                             row_label=lambda lb: lang.datetime(lb, "")),
        "gas": charts.line(lang, _("Gas per gas day"), _("kWh per day"),
                           *charts.daily(*ov.gas), kwh, day) if ov.gas[0] else None,
        "water": charts.line(lang, _("Water per day"), _("litres per day"),
                             *charts.daily(*ov.water), Unit(symbol="L"), day),
        "hours": charts.bars(lang, _("Calls by hour of the day"),
                             _("calls over the period, by local hour"),
                             [f"{h}h" for h in range(24)], ov.calls_by_hour,
                             Unit(*Nn_("%(n)s call", "%(n)s calls")),
                             _("Hour"), tick_label=hour, every=3),
        "contacts": charts.bars(lang, _("Minutes on the phone with the top contacts"),
                                _("minutes, by contact's last 4 digits"),
                                *ov.top_contacts, Unit(symbol="min"), _("Contact")),
        "vod": charts.bars(lang, _("Videos ordered per month"), _("orders per month"),
                           *charts.monthly(*ov.vod_by_month, ov.months),
                           Unit(*Nn_("%(n)s order", "%(n)s orders")), _("Month"),
                           tick_label=lambda m: lang.month(m)),
        **_money_and_errands(lang, ov),
    }


SPENDING_NAMES = {"housing": N_("Housing (rent, energy, water, insurance)"),
                  "daily": N_("Daily life (food, phone, shopping)"),
                  "transport": N_("Transport"), "health": N_("Health"), "taxes": N_("Taxes"),
                  "leisure": N_("Leisure and outings"),
                  "other": N_("Other (cash, services, children)")}
PARCEL_NAMES = {"home": N_("delivered at home"),
                "post_office": N_("notice left, collected at the post office"),
                "returned": N_("returned to the sender"), "on_the_way": N_("on the way")}


def _by_month(per_month: dict[str, dict[str, float]], keys: tuple[str, ...],
              names: dict[str, str], lang: Language,
              period: tuple[str, str] | None) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """Month dicts of parts as stacked series over every month of ``period`` (0 where none)."""
    months = sorted(per_month)
    span = (min(months[:1] + list(period or ())), max(months[-1:] + list(period or ()))) \
        if months else None
    labels: list[str] = []
    series = []
    for key in keys:
        labels, values = charts.monthly(months, [per_month[m].get(key, 0.0) for m in months],
                                        span)
        series.append((lang.gettext(names[key]), values))
    return labels, series


def _money_and_errands(lang: Language, ov: dashboard.Overview) -> dict:
    """Bank, receipts, parcels and public transport: each chart only when its data exists."""
    _ = lang.gettext
    month, euros = _("Month"), Unit(money=True)
    by_month = lambda m: lang.month(m)  # noqa: E731
    out: dict = {"spending": None, "balance": None, "receipts": None, "receipts_count": None,
                 "parcels": None, "validations": None}
    if ov.spending:
        out["spending"] = charts.stacked(
            lang, _("Spending per month, by kind"), _("euros debited per month"),
            *_by_month(ov.spending, dashboard.SPENDING_GROUPS, SPENDING_NAMES, lang, ov.months),
            euros, month, tick_label=by_month, total=_("Total"))
    if ov.balance[0]:
        out["balance"] = charts.line(lang, _("Checking account balance"),
                                     _("euros, at the end of each day"), *ov.balance, euros,
                                     _("Day"))
    if ov.receipts:
        months = sorted(ov.receipts)
        out["receipts"] = charts.bars(
            lang, _("Grocery receipts per month"), _("euros spent per month"),
            *charts.monthly(months, [ov.receipts[m][1] for m in months], ov.months), euros,
            month, tick_label=by_month)
        out["receipts_count"] = charts.bars(
            lang, _("Grocery shops per month"), _("receipts per month"),
            *charts.monthly(months, [float(ov.receipts[m][0]) for m in months], ov.months),
            Unit(*Nn_("%(n)s receipt", "%(n)s receipts")), month, tick_label=by_month)
    if ov.parcels:
        labels, series = _by_month(
            {m: {k: float(v) for k, v in c.items()} for m, c in ov.parcels.items()},
            dashboard.PARCEL_OUTCOMES, PARCEL_NAMES, lang, ov.months)
        out["parcels"] = charts.stacked(
            lang, _("Parcels per month"), _("parcels, by the month of their last step"),
            labels, series, Unit(*Nn_("%(n)s parcel", "%(n)s parcels")), month,
            tick_label=by_month, total=_("Total"))
    if ov.validations_by_hour:
        out["validations"] = charts.bars(
            lang, _("Public transport validations by hour of the day"),
            _("validations over the period, by local hour"),
            [f"{h}h" for h in range(24)], ov.validations_by_hour,
            Unit(*Nn_("%(n)s validation", "%(n)s validations")), _("Hour"),
            tick_label=lambda h: f"{int(h[:-1])}", every=3)
    return out


def _installed(request: Request, instance: str, a: InstalledApp, lang: Language) -> dict:
    """An install as the dashboard shows it: a store install, a ``selfdata dev`` session
    beside it (at its own address), or one that cannot run and offers a reinstall."""
    _ = lang.gettext
    why = apps(request).cannot_run(instance, a)
    port = request.url.port
    if a.dev:
        holder = DevHolder.parse(a.served_by)
        port = holder.port if holder else port
        state = "dev mode"
        text = (_("dev mode (selfdata dev, process %(pid)s)") % {"pid": holder.pid}
                if holder else _("dev mode"))
    else:
        state = "reinstall needed" if why else "installed" if a.source == STORE else a.source
        text = {"reinstall needed": _("reinstall needed"), "installed": _("installed")}.get(
            state, state)
    slug = addresses.slug_of(a.slug)
    pinned = a.source == STORE and a.manifest is not None and bool(a.sha256)
    return {"slug": a.slug, "name": a.manifest.name if a.manifest else slug,
            "version": a.manifest.version if a.manifest else "", "state": state,
            "state_text": text,
            "url": f"http://{addresses.app_host(a.slug, instance, port)}/",
            "permissions": [rule_in_words(r, _) for r in a.manifest.permissions]
            if a.manifest else [],
            "reinstall": None if why is None else {
                "why": why, "slug": slug, "registry": a.registry or "",
                # the release the tester agreed to, when it can still run here; else the
                # consent page shows the latest release's permissions first
                "version": a.manifest.version if pinned and a.manifest else "",
                "sha256": a.sha256 if pinned else ""}}


@router.get("/drive/download/{file_id}")
def drive_download(file_id: str, request: Request) -> Response:
    """A file of the tester's, from their dashboard (their own pages need no token, as the
    stack's Drive app reads with the tester's session)."""
    inst, page = instance_or_page(request)
    if page:
        return page
    files = sandbox(request).files
    doc = files.find(inst, file_id)
    blob = files.blobs.path(inst, doc["internal_vfs_id"]) \
        if doc and not is_dir(doc) and doc.get("internal_vfs_id") else None
    if blob is None or not blob.is_file():
        return message(request, 404, N_("No such file"),
                       N_("This file is not in this cloud any more."), inst)
    return FileResponse(blob, media_type=doc.get("mime") or "application/octet-stream",
                        filename=doc["name"], content_disposition_type="inline",
                        headers=file_headers(doc))


@router.get("/browse/", response_class=HTMLResponse)
def browse(request: Request) -> HTMLResponse:
    inst, page = instance_or_page(request)
    if page:
        return page
    counts = dashboard.doc_counts(sandbox(request), inst)
    _ = language(request, inst).gettext
    return render(request, "browse.html", instance=inst, counts=counts,
                  words=lambda d: doctype_in_words(d, _))


@router.get("/browse/{doctype}", response_class=HTMLResponse)
def browse_doctype(doctype: str, request: Request) -> HTMLResponse:
    inst, page = instance_or_page(request)
    if page:
        return page
    sb = sandbox(request)
    count = dashboard.doc_counts(sb, inst).get(doctype, 0)
    fields = _fields(doctype)
    if not count and not fields:
        return message(request, 404, N_("Unknown doctype"),
                       N_("%(doctype)s has no documents here and no documentation; see the "
                          "data browser for the doctypes of this cloud."), inst, doctype=doctype)
    samples = dashboard.documents(sb, inst, doctype, limit=3)
    return render(request, "doctype.html", instance=inst, doctype=doctype, fields=fields,
                  samples=samples,
                  words=lambda d: doctype_in_words(d, language(request, inst).gettext),
                  description=_schema_description(doctype), count=count,
                  database_option=_database_option(sb.settings.database_url))


def _database_option(url: str) -> str:
    """`` --database-url …`` for the token command, naming this sandbox's SQLite file by its
    absolute path (the command then works from any folder); nothing for a server database,
    whose URL may hold a password."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return ""
    return f" --database-url sqlite:///{Path(url.removeprefix('sqlite:///')).resolve()}"


def _schema_description(doctype: str) -> str:
    try:
        return load_schema(doctype).get("description", "")
    except KeyError:
        return ""


def _fields(doctype: str) -> list[tuple[str, str, str]]:
    try:
        schema = load_schema(doctype)
    except KeyError:
        return []
    out: list[tuple[str, str, str]] = []

    def walk(s: dict, prefix: str) -> None:
        s = s if "$ref" not in s else schema.get("$defs", {}).get(s["$ref"].split("/")[-1], s)
        props: dict = {}
        for branch in [s, *s.get("oneOf", []), *s.get("anyOf", []), *s.get("allOf", [])]:
            props.update(branch.get("properties") or {})
        for name, sub in props.items():
            path = f"{prefix}.{name}" if prefix else name
            t = sub.get("type", "")
            t = "/".join(t) if isinstance(t, list) else t
            if path not in {p for p, _, _ in out}:
                out.append((path, t, sub.get("description", "")))
            walk(sub, path)
            if isinstance(sub.get("items"), dict):
                walk(sub["items"], path + "[]")

    walk(schema, "")
    return out
