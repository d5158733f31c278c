"""Names and addresses: instances and apps are DNS labels, reached as sub-domains of
``localhost`` the way Cozy reaches them as sub-domains of its domain.

- ``alice.localhost[:port]``: the personal cloud of the instance ``alice`` (its pages and API);
- ``notes.alice.localhost[:port]``: the app ``notes`` installed in ``alice``;
- anything else (``127.0.0.1``, deeper names): no instance; API calls then find their
  instance from the token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
SUFFIX = ".localhost"


def is_label(name: object) -> bool:
    """A DNS label: 1-63 lowercase letters, digits and inner hyphens."""
    return isinstance(name, str) and LABEL.match(name) is not None


@dataclass(frozen=True)
class Address:
    instance: str | None = None
    app: str | None = None


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
    return Address()


def instance_host(instance: str, port: int | None = None) -> str:
    return f"{instance}{SUFFIX}" + (f":{port}" if port else "")


def app_host(slug: str, instance: str, port: int | None = None) -> str:
    return f"{slug}.{instance_host(instance, port)}"
