"""The household's Drive as its konnectors left it: every bill as a PDF in the konnector's folder.

Runs after the sources. Each ``io.cozy.bills`` document gets a PDF in
``/Administratif/<konnector folder>/`` (the French instance's administrative folder, see
``params/drive.toml``), an ``io.cozy.files`` document in the stack's stored shape, and the link
``invoice: "io.cozy.files:<file id>"``, as cozy-konnector-libs' ``saveBills`` leaves them.

Everything is a function of the seed: ids hash the seed, the household and the path; dates come
from the bill; the konnector's collect time of day comes from the household's own named stream.
So ``md5sum`` and ``size`` are identical on every run with the same seed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from synthetic_data import parameters
from synthetic_data.context import SourceContext
from synthetic_data.documents import Batch
from synthetic_data.invoices import (
    INVOICE_DETAILS,
    Invoice,
    InvoiceDetail,
    InvoiceLine,
    fr_amount,
    fr_date,
    render_pdf,
)

FILES = "io.cozy.files"
BILLS = "io.cozy.bills"
ROOT_ID = "io.cozy.files.root-dir"


@dataclass
class Drive:
    """The ``io.cozy.files`` documents (directories first, parents before children, then files)
    and the bytes of each file by its ``_id``."""

    documents: list[dict]
    blobs: dict[str, bytes]


def add_drive(ctx: SourceContext, batches: list[Batch]) -> tuple[list[Batch], dict[str, bytes]]:
    """``batches`` with every bill linked to its PDF and the ``io.cozy.files`` batch appended,
    and the PDFs' bytes by file id."""
    builder = _Builder(ctx)
    out = []
    for batch in batches:
        if batch.doctype == BILLS and batch.n:
            batch = Batch.from_dicts(BILLS, [builder.bill(doc) for doc in batch.dicts()])
        out.append(batch)
    drive = builder.drive()
    if drive.documents:
        out.append(Batch.from_dicts(FILES, drive.documents))
    return out, drive.blobs


def doc_id(ctx: SourceContext, path: str) -> str:
    """A CouchDB-like id (32 lowercase hex) for the Drive entry at ``path`` of this household."""
    key = f"selfdata/{ctx.master_seed}/{ctx.household.index}/{path}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def md5sum(data: bytes) -> str:
    """The stack's ``md5sum``: base64 of the raw digest."""
    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii")


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def vendor_params(vendor: str) -> dict[str, Any]:
    p = parameters.load("drive")["vendors"]
    if vendor in p:
        return p[vendor]
    slug = "".join(ch for ch in vendor.lower() if ch.isalnum()) or "vendor"
    return {**p["default"], "slug": slug, "folder": vendor}


class _Builder:
    def __init__(self, ctx: SourceContext):
        self.ctx = ctx
        self.p = parameters.load("drive")
        self.details: dict = ctx.shared.get(INVOICE_DETAILS, {})
        self.base = f"/{self.p['base_dir']}"
        self.folders: dict[str, dict] = {}      # vendor -> konnector folder document
        self.files: list[dict] = []
        self.blobs: dict[str, bytes] = {}
        self.names: set[str] = set()
        self.trigger: dict[str, int] = {}       # konnector slug -> second of the day it runs

    # --- one bill ---------------------------------------------------------------------------

    def bill(self, doc: dict) -> dict:
        vp = vendor_params(doc["vendor"])
        folder = self._folder(doc, vp)
        name = self._name(doc, folder["path"])
        file_id = doc_id(self.ctx, f"{folder['path']}/{name}")
        data = render_pdf(self.invoice(doc, vp))
        self.files.append(self._file_doc(doc, vp, file_id, name, folder["_id"], data))
        self.blobs[file_id] = data
        out = {**doc, "invoice": f"{FILES}:{file_id}"}
        if vp.get("pdfurl"):  # EDF's konnector kept the PDF's file id on the bill (the kit)
            out["pdfurl"] = file_id
        return out

    def _name(self, doc: dict, folder: str) -> str:
        """``<issue date>_<vendor>_<amount>EUR_<vendorRef>.pdf`` [D5], unique in its folder."""
        stem = f"{doc['date'][:10]}_{doc['vendor']}_{doc['amount']:.2f}EUR"
        if doc.get("vendorRef"):
            stem += f"_{doc['vendorRef']}"
        stem = stem.replace("/", "-")
        name, k = f"{stem}.pdf", 1
        while f"{folder}/{name}" in self.names:
            k += 1
            name = f"{stem}_{k}.pdf"
        self.names.add(f"{folder}/{name}")
        return name

    def _collected(self, doc: dict, vp: dict) -> datetime:
        """When the konnector saved the file: the day after issue, at its trigger's time; on the
        issue day itself when that is the data's last day (nothing is dated after the data)."""
        if vp["slug"] not in self.trigger:
            rng = self.ctx.rng(f"drive-{vp['slug']}")
            self.trigger[vp["slug"]] = int(rng.integers(0, 86_400))
        second = self.trigger[vp["slug"]]
        issued = date.fromisoformat(doc["date"][:10])
        last = self.ctx.period.end - timedelta(days=1)
        day = min(issued + timedelta(days=self.p["collect_delay_days"]), max(issued, last))
        if day >= last:  # before local midnight (22:00 UTC in summer) on the data's last day
            second = min(second, 22 * 3600 - 1)
        return datetime.combine(day, datetime.min.time()) + timedelta(seconds=second)

    def invoice(self, doc: dict, vp: dict) -> Invoice:
        """What the PDF prints: the bill's own fields, the household, the source's detail."""
        hh = self.ctx.household
        m, a = hh.main, hh.address
        amount = float(doc["amount"])
        detail = self.details.get((doc["vendor"], doc.get("vendorRef"))) or InvoiceDetail(
            (InvoiceLine("Montant de la période", "", amount),))
        refs = list(detail.references)
        for label, key in (("N° de contrat", "contractNumber"), ("N° client", "clientId")):
            if doc.get(key) and doc[key] not in (v for _, v in refs):
                refs.insert(0, (label, doc[key]))
        refund = bool(doc.get("isRefund"))
        payment = []
        if refund:
            when = doc.get("scheduledPaymentDate")
            payment.append(f"Remboursement de {fr_amount(amount)} par virement"
                           + (f" le {fr_date(date.fromisoformat(when))}" if when else "") + ".")
        elif doc.get("scheduledPaymentDate"):
            payment.append("Prélèvement automatique de "
                           f"{fr_amount(amount)} le "
                           f"{fr_date(date.fromisoformat(doc['scheduledPaymentDate']))}")
        else:
            payment.append(f"Montant de {fr_amount(amount)} prélevé sur votre compte bancaire.")
        if doc.get("paymentDueDate") and not refund:
            payment.append("Date limite de paiement : "
                           f"{fr_date(date.fromisoformat(doc['paymentDueDate']))}")
        issued = date.fromisoformat(doc["date"][:10])
        start = date.fromisoformat(doc.get("periodStart") or doc["date"][:10])
        end = date.fromisoformat(doc.get("periodEnd") or doc["date"][:10])
        return Invoice(
            vendor=doc["vendor"], vendor_lines=tuple(vp["lines"]), accent=vp["accent"],
            title=detail.title or vp["title"],
            number=doc.get("number") or doc.get("vendorRef") or doc["date"][:10],
            issued=issued, customer=(f"{m.title} {m.given} {m.family}", a.line,
                                     f"{a.postcode} {a.city}"),
            references=tuple(refs), period=(start, end), lines=detail.lines,
            total=-amount if refund else amount,
            payment=tuple(payment), footer=(*vp["footer"], self.p["notice"]),
        )

    # --- documents --------------------------------------------------------------------------

    def _account(self, doc: dict, vp: dict) -> tuple[str, str]:
        """(io.cozy.accounts id, login) of the household's account at this konnector: the main
        member's e-mail, or the bill's contract number where the vendor logs in with it."""
        email = self.ctx.household.main.email
        login = email if vp["login"] == "email" and email else doc.get("contractNumber", "")
        return doc_id(self.ctx, f"io.cozy.accounts/{vp['slug']}"), login

    def _folder(self, doc: dict, vp: dict) -> dict:
        """The konnector's folder (dates are set in :meth:`drive`, from its files)."""
        if doc["vendor"] in self.folders:
            return self.folders[doc["vendor"]]
        path = f"{self.base}/{vp['folder']}"
        _, login = self._account(doc, vp)
        refs = [{"type": "io.cozy.konnectors", "id": f"io.cozy.konnectors/{vp['slug']}"}]
        if login:
            refs.append({"type": "io.cozy.accounts.sourceAccountIdentifier", "id": login})
        folder = {"_id": doc_id(self.ctx, path), "type": "directory", "name": vp["folder"],
                  "dir_id": doc_id(self.ctx, self.base), "path": path, "created_at": "",
                  "updated_at": "", "tags": [], "referenced_by": refs}
        self.folders[doc["vendor"]] = folder
        return folder

    def _file_doc(self, doc: dict, vp: dict, file_id: str, name: str, dir_id: str,
                  data: bytes) -> dict:
        kind = self.p["types"].get(doc.get("type", ""), self.p["types"]["other"])
        account, login = self._account(doc, vp)
        collected = self._collected(doc, vp)
        t = _stamp(collected)
        metadata = {
            "datetime": doc["date"], "datetimeLabel": "issueDate",
            "classification": "invoicing", "subClassification": "invoice",
            "categories": list(kind["categories"]), "contentAuthor": doc["vendor"],
            "issueDate": doc["date"], "qualification": dict(kind["qualification"]),
            "invoiceNumber": doc.get("number") or doc.get("vendorRef") or "",
            "isSubscription": True,
        }
        if doc.get("contractNumber"):
            metadata["contractReference"] = doc["contractNumber"]
        return {
            "_id": file_id, "type": "file", "name": name, "dir_id": dir_id,
            "created_at": t, "updated_at": t, "size": str(len(data)), "md5sum": md5sum(data),
            "mime": "application/pdf", "class": "pdf", "executable": False, "trashed": False,
            "encrypted": False, "tags": [], "metadata": metadata,
            "cozyMetadata": {
                "doctypeVersion": "1", "metadataVersion": 1, "createdAt": t,
                "createdByApp": vp["slug"], "updatedAt": t,
                "updatedByApps": [{"slug": vp["slug"], "date": t}],
                "uploadedAt": t, "uploadedBy": {"slug": vp["slug"]},
                "sourceAccount": account, "sourceAccountIdentifier": login,
            },
        }

    def drive(self) -> Drive:
        if not self.files:
            return Drive([], {})
        folders = sorted(self.folders.values(), key=lambda f: f["path"])
        order = {f["_id"]: i for i, f in enumerate(folders)}
        files = sorted(self.files, key=lambda f: (order[f["dir_id"]], f["name"]))
        for folder in folders:  # created when the konnector saved its first file there
            first = min(f["created_at"] for f in files if f["dir_id"] == folder["_id"])
            folder["created_at"] = folder["updated_at"] = first
        first = min(f["created_at"] for f in folders)
        base = {
            "_id": doc_id(self.ctx, self.base), "type": "directory", "name": self.p["base_dir"],
            "dir_id": ROOT_ID, "path": self.base, "created_at": first, "updated_at": first,
            "tags": [], "referenced_by": [{"type": "io.cozy.apps",
                                           "id": self.p["magic_folder_reference"]}],
        }
        return Drive([base, *folders, *files], self.blobs)
