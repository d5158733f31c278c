"""The fenced code blocks of a Markdown document, for tests that run a document as written.

A block's info string is its language, then words: ``key=value`` attributes (``file=my-bills/
app.js``: the block is that file's content) and flags (``serves``: the command keeps running).
GitHub shows such a block highlighted by its first word and ignores the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


class DocError(ValueError):
    """The document cannot be read as blocks (an unclosed fence)."""


@dataclass(frozen=True)
class Block:
    lang: str
    body: str                     # the lines between the fences, with a final newline
    line: int                     # 1-based line of the opening fence
    attrs: dict[str, str] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    @property
    def file(self) -> str | None:
        return self.attrs.get("file")

    def where(self) -> str:
        return f"line {self.line} ({self.lang}{' ' + self.file if self.file else ''})"


def code_blocks(text: str) -> list[Block]:
    """Every fenced block, in order. Raises :class:`DocError` for a fence left open."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, words = m["fence"], m["info"].split()
        start = i
        body: list[str] = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence[0] * len(fence))
                                      and not lines[i].strip().strip(fence[0])):
            body.append(lines[i][len(m["indent"]):] if lines[i].startswith(m["indent"])
                        else lines[i])
            i += 1
        if i == len(lines):
            raise DocError(f"line {start + 1}: the block opened there is never closed")
        attrs = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        flags = frozenset(w for w in words[1:] if "=" not in w)
        out.append(Block(words[0] if words else "", "\n".join(body) + "\n", start + 1, attrs,
                         flags))
        i += 1
    return out
