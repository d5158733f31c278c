"""An instance's settings document, ``io.cozy.settings/io.cozy.settings.instance``, as the stack
keeps it: ``tz``, ``email``, ``public_name``, ``locale``... plus what the stack computes from
the instance record (``onboarding_finished``, ``auth_mode``, ``context``...).

It is an ordinary document of the instance: ``/data/io.cozy.settings`` reads it (with a
permission on it, as on the stack), realtime announces its changes, and a clone copies it. It
is written when the instance is created, from its household (French households: ``fr``,
``Europe/Paris``, the main member's name), and on first use for instances that predate it.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from sandbox.errors import Conflict, InvalidAttribute
from sandbox.instances import Instance
from sandbox.storage.documents import DocumentStore

SETTINGS = "io.cozy.settings"
INSTANCE_ID = "io.cozy.settings.instance"
PASSPHRASE_ID = "io.cozy.settings.passphrase"

# What the stack adds from the instance record, never from the stored document.
COMPUTED: dict[str, Any] = {
    "onboarding_finished": True, "password_defined": True, "auto_update": True,
    "auth_mode": "basic", "tos": "", "tos_latest": "", "uuid": "", "oidc_id": "",
    "org_domain": "", "org_id": "", "context": "default",
}
NOT_STORED = {*COMPUTED, "sponsorships", "legal_notice_url", "oidc_logout_url", "_id", "_rev",
              "_type", "_deleted", "_attachments", "id", "type"}
# Kept from the stored document whatever a client sends (changing the e-mail address is a
# separate, passphrase-protected flow on the stack).
GUARDED = ("email", "pending_email")
# GET /settings/capabilities: what this cloud can do (no file versions, apps on nested
# sub-domains, no password, magic-link or OIDC login). App pages carry the same in CozyData.
CAPABILITIES: dict[str, bool] = {
    "file_versioning": False, "flat_subdomains": False, "can_auth_with_password": False,
    "can_auth_with_magic_links": False, "can_auth_with_oidc": False}
LOCALE = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")


class InstanceSettings:
    def __init__(self, documents: DocumentStore, locale: str, timezone: str):
        self.documents = documents
        self.locale = locale
        self.timezone = timezone

    def initial(self, inst: Instance) -> dict:
        """The document a new instance starts with, from its household where it says."""
        p = inst.profile
        return {"tz": p.get("tz") or self.timezone, "email": p.get("email") or "",
                "public_name": p.get("main_member") or inst.name,
                "locale": p.get("locale") or self.locale, "default_redirection": "home/"}

    def create(self, inst: Instance) -> None:
        """Write the first version (a hook of instance creation)."""
        with contextlib.suppress(Conflict):  # already there
            self.documents.create(inst.id, SETTINGS, self.initial(inst), INSTANCE_ID)

    def stored(self, inst: Instance) -> dict:
        """The stored document (``_id``, ``_rev`` and the fields), written first if missing."""
        doc = self.documents.get_dict(inst.id, SETTINGS, INSTANCE_ID)
        if doc is None:
            self.create(inst)
            doc = self.documents.get_dict(inst.id, SETTINGS, INSTANCE_ID)
        if doc is None:  # created and deleted in between: start again from the household
            return {"_id": INSTANCE_ID, "_rev": "", **self.initial(inst)}
        return doc

    def locale_of(self, inst: Instance) -> str:
        return str(self.stored(inst).get("locale") or self.locale)

    def view(self, doc: dict) -> tuple[dict, str]:
        """The attributes ``GET /settings/instance`` shows, and the revision."""
        attrs = {k: v for k, v in doc.items() if k not in ("_id", "_rev")}
        attrs.setdefault("locale", self.locale)
        attrs.update(COMPUTED)
        if not isinstance(attrs.get("default_redirection"), str) or \
                attrs["default_redirection"].startswith("http"):
            attrs["default_redirection"] = "home/"
        return attrs, doc.get("_rev", "")

    def update(self, inst: Instance, attributes: dict, rev: str | None,
               cli: bool) -> tuple[dict, str]:
        """Replace the document by ``attributes`` as ``PUT /settings/instance`` does: computed
        fields are dropped, the e-mail kept (unless the caller is the command line), a stale
        ``rev`` is a conflict. Returns what :meth:`view` returns."""
        _check(attributes)
        current = self.stored(inst)
        if rev and rev != current.get("_rev"):
            raise Conflict()
        new = {k: v for k, v in attributes.items() if k not in NOT_STORED}
        if not cli:
            for field in GUARDED:
                new.pop(field, None)
                if field in current:
                    new[field] = current[field]
        new.setdefault("locale", current.get("locale") or self.locale)
        new["_rev"] = current.get("_rev")
        if not new["_rev"]:
            res = self.documents.create(inst.id, SETTINGS, new, INSTANCE_ID)
        else:
            res = self.documents.update(inst.id, SETTINGS, INSTANCE_ID, new)
        return self.view({**new, "_id": INSTANCE_ID, "_rev": res.rev})


def _check(attributes: dict) -> None:
    locale = attributes.get("locale")
    if locale is not None and (not isinstance(locale, str) or not LOCALE.match(locale)):
        raise InvalidAttribute("locale", "locale must be a language code such as fr or en")
    for name in ("tz", "public_name", "email", "default_redirection"):
        value = attributes.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidAttribute(name, f"{name} must be a string")

