"""Names and addresses: instances and apps are DNS labels, reached as sub-domains of
``localhost`` the way Cozy reaches them as sub-domains of its domain.

- ``alice.localhost[:port]``: the personal cloud of the instance ``alice`` (its pages and API);
- ``notes.alice.localhost[:port]``: the app ``notes`` installed in ``alice``;
- ``dev.notes.alice.localhost[:port]``: ``notes`` served from a folder by ``selfdata dev``,
  beside (never instead of) an installed ``notes``. Slugs are single DNS labels, so a name of
  three labels can never be an installed app: the dev address needs no reserved slug. Its
  install record is keyed ``dev.notes`` (:func:`dev_key`), which no slug can be either, so its
  token, journal lines and permissions are its own;
- anything else (``127.0.0.1``, deeper names): no instance; API calls then find their
  instance from the token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
SUFFIX = ".localhost"
DEV = "dev"      # the first label of a dev app's address, and the prefix of its install key


def is_label(name: object) -> bool:
    """A DNS label: 1-63 lowercase letters, digits and inner hyphens."""
    return isinstance(name, str) and LABEL.match(name) is not None


def dev_key(slug: str) -> str:
    """The install key of ``slug`` served by ``selfdata dev`` (``dev.<slug>``)."""
    return f"{DEV}.{slug}"


def is_dev_key(key: str) -> bool:
    return key.startswith(DEV + ".")


def slug_of(key: str) -> str:
    """The app's slug from an install key (a slug is its own key)."""
    return key.removeprefix(DEV + ".")


@dataclass(frozen=True)
class Address:
    instance: str | None = None
    app: str | None = None      # the app's slug
    dev: bool = False           # served by ``selfdata dev`` (``dev.<slug>.<instance>``)

    @property
    def key(self) -> str | None:
        """The install record the address names: the slug, or ``dev.<slug>``."""
        if self.app is None:
            return None
        return dev_key(self.app) if self.dev else self.app


def parse_host(host: str | None) -> Address:
    """The instance (and app) a ``Host`` header names."""
    name = (host or "").rsplit(":", 1)[0].lower() if not (host or "").startswith("[") else ""
    if not name.endswith(SUFFIX):
        return Address()
    labels = name[: -len(SUFFIX)].split(".")
    if not all(is_label(x) for x in labels):
        return Address()
    if len(labels) == 1:
        return Address(labels[0])
    if len(labels) == 2:
        return Address(labels[1], labels[0])
    if len(labels) == 3 and labels[0] == DEV:
        return Address(labels[2], labels[1], dev=True)
    return Address()


def instance_host(instance: str, port: int | None = None) -> str:
    return f"{instance}{SUFFIX}" + (f":{port}" if port else "")


def app_host(key: str, instance: str, port: int | None = None) -> str:
    """The address of an install: ``<slug>.<instance>.localhost``, or for a dev key
    ``dev.<slug>.<instance>.localhost``."""
    return f"{key}.{instance_host(instance, port)}"
