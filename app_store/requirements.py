"""A Python app's requirements: only ``name==version`` lines, optionally with hashes.

Parsed with ``packaging.requirements`` (the grammar pip uses). Anything else is refused with
a fix: environment variables (pip would expand ``${VAR}`` from the store's environment and
print the result in the build log), options, URLs and paths, markers, extras, ranges and
wildcards. The build never sees the team's text: it gets lines rebuilt from the parsed pins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

HASH = re.compile(r"^--hash=(sha256|sha384|sha512):([0-9a-f]{64,128})$")
EXACT = re.compile(r"^[0-9]+(\.[0-9]+)*([a-z0-9.+-]*)$", re.I)


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: tuple[str, ...] = ()

    def line(self) -> str:
        return " ".join([f"{self.name}=={self.version}", *(f"--hash={h}" for h in self.hashes)])


def _pin(text: str) -> tuple[Pin | None, str | None]:
    """One line: its pin, or why it is refused."""
    if "$" in text:
        return None, "environment variables are not allowed in requirements"
    head, *options = re.split(r"\s+(?=--)", text.strip())
    hashes = []
    for opt in options:
        m = HASH.match(opt.strip())
        if not m:
            return None, "the only option allowed is --hash=sha256:<hex>"
        hashes.append(f"{m[1]}:{m[2]}")
    if head.startswith("-"):
        return None, "options are not allowed (no -r, -e, -i, --index-url...)"
    try:
        req = Requirement(head)
    except InvalidRequirement as exc:
        return None, f"not a requirement ({exc})"
    if req.url:
        return None, "URLs and paths are not allowed: name a package on PyPI"
    if req.marker:
        return None, "environment markers (after ';') are not allowed"
    if req.extras:
        return None, "extras ([...]) are not allowed: list the packages they bring instead"
    specs = list(req.specifier)
    if len(specs) != 1 or specs[0].operator != "==" or not EXACT.match(specs[0].version):
        return None, "pin exactly one version with ==, e.g. httpx==0.28.1"
    return Pin(canonicalize_name(req.name), specs[0].version, tuple(hashes)), None


def parse_requirements(text: str) -> tuple[list[Pin], list[tuple[int, str, str]]]:
    """The pins, and (line number, line, why) for every line refused."""
    pins: list[Pin] = []
    refused: list[tuple[int, str, str]] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.endswith("\\"):
            refused.append((n, line, "line continuations are not allowed: one pin per line"))
            continue
        pin, why = _pin(line)
        if pin is None:
            refused.append((n, line, why or "refused"))
        else:
            pins.append(pin)
    return pins, refused


def normalised(pins: list[Pin]) -> str:
    """What the build resolves: one line per pin, rebuilt from the parsed values."""
    return "".join(p.line() + "\n" for p in pins)
