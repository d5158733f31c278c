"""docs/contestant-tutorial.md, run as written: every fenced block of the document, in order,
against a sandbox and store this test starts, up to the submission waiting for review.

- ``sh`` blocks run in bash (``-euo pipefail``) in a project folder (``.venv`` there is this
  one), and must end in the folder they started in, as in a terminal the reader keeps using;
  ``make run`` is ``selfdata up`` on free ports (the sample apps not built, to save minutes);
  a block flagged ``serves`` keeps running in the background, as in its own terminal;
- the ``export`` lines the tools print are pasted, as the reader is told to;
- a block with ``file=`` is written to that file; the app's files must be the ones of
  docs/tutorial/my-bills (the finished files the document points to);
- a ``text`` block right after a command is that command's exact output; other ``text``
  blocks show examples of output and are not run.
A block of any other kind fails the test: a change to the document is a change to the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support import docker
from tests.support.doc_blocks import Block, DocError, code_blocks
from tests.support.lines import Lines
from tests.support.node import node_packages
from tests.support.up import Up

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "contestant-tutorial.md"
FINISHED = ROOT / "docs" / "tutorial" / "my-bills"
EXPORT = re.compile(r"^export ([A-Z_]+)=(\S+)$", re.M)
TOTAL = re.compile(r"^(\d+) bills, (\d+(?:\.\d+)?) € in all$")


def exports(text: str) -> dict[str, str]:
    return dict(EXPORT.findall(text))


def test_the_parser_reads_fences_info_and_bodies():
    doc = ("Intro\n\n```sh\nmake run\n```\n\n```js file=a/b.js\nconst x = 1\n\n"
           "console.log(x)\n```\n\n````md\n```\ninner\n```\n````\n\n```sh serves\nrun it\n```\n")
    blocks = code_blocks(doc)
    assert [(b.lang, b.file, b.line) for b in blocks] == [
        ("sh", None, 3), ("js", "a/b.js", 7), ("md", None, 13), ("sh", None, 19)]
    assert blocks[1].body == "const x = 1\n\nconsole.log(x)\n"
    assert blocks[2].body == "```\ninner\n```\n"
    assert blocks[3].flags == {"serves"}
    with pytest.raises(DocError, match="line 3"):
        code_blocks("a\n\n```sh\nnever closed\n")


def test_the_document_has_only_blocks_the_run_knows():
    blocks = code_blocks(TUTORIAL.read_text())
    for b in blocks:
        assert b.lang in ("sh", "text") or b.file, f"{b.where()}: neither a command nor a file"
        assert not b.flags - {"serves"}, b.where()
    assert next(b.body for b in blocks if b.lang == "sh") == "make run\n"
    assert sum("serves" in b.flags for b in blocks) == 1
    # no hard-coded address in a command or a file: what the tools print is used instead
    for b in blocks:
        if b.lang != "text":
            assert not re.search(r"127\.0\.0\.1:\d|localhost:\d", b.body), b.where()


def _written(block: Block, project: Path) -> None:
    path = project / block.file
    assert project in path.resolve().parents, block.where()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.body)


def _bills_of(out: str, where: str) -> tuple[int, float]:
    m = TOTAL.match(out.strip())
    assert m, f"{where}: {out!r}"
    return int(m[1]), float(m[2])


@pytest.mark.slow
@pytest.mark.docker
@pytest.mark.node
def test_the_tutorial_runs_as_written_and_its_app_reaches_review(tmp_path):
    docker.base_image()
    node_packages()  # Node and npm are there (or a skip saying why, a failure in CI)
    project = tmp_path / "project"
    project.mkdir()
    (project / ".venv").symlink_to(Path(sys.prefix))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SELFDATA_", "COZY_"))}
    env.update(npm_config_update_notifier="false", npm_config_fund="false",
               npm_config_audit="false")
    blocks = code_blocks(TUTORIAL.read_text())
    up: Up | None = None
    dev: Lines | None = None
    outputs: list[tuple[Block, str]] = []
    try:
        for i, b in enumerate(blocks):
            if b.file:
                _written(b, project)
            elif b.lang == "text":
                after = blocks[i - 1]
                if after.lang == "sh" and not after.flags and after.body != "make run\n":
                    said = outputs[-1][1]
                    assert said.rstrip("\n") == b.body.rstrip("\n"), f"{b.where()}: {said!r}"
            elif b.body == "make run\n":
                up = Up(project, "--no-samples", env=env)
                printed = up.start()
                pasted = exports(printed)
                assert set(pasted) == {"SELFDATA_INSTANCE", "SELFDATA_STORE_URL",
                                       "SELFDATA_STORE_TOKEN"}, printed
                env.update(pasted)
            elif "serves" in b.flags:
                dev = Lines(["bash", "-euo", "pipefail", "-c", b.body], project, env)
                page = dev.wait_for(r"on (http://dev\.my-bills\.[a-z0-9-]+\.localhost:\d+/)")[1]
                dev.wait_for(r"^export COZY_TOKEN=")
                pasted = exports(dev.output)
                assert set(pasted) == {"COZY_URL", "COZY_TOKEN"}, dev.output
                env.update(pasted)
            else:
                ended = tmp_path / "ended-in"
                done = subprocess.run(["bash", "-euo", "pipefail", "-c",
                                       b.body + f"pwd > {ended}\n"], cwd=project, env=env,
                                      capture_output=True, text=True, timeout=900)
                assert done.returncode == 0, f"{b.where()}:\n{done.stdout}\n{done.stderr}"
                last = ended.read_text().strip()
                assert last == str(project), f"{b.where()} ends in {last}, not where it began"
                outputs.append((b, done.stdout))
        assert up is not None and dev is not None

        # what the reader saw along the way
        ran = {b.body.strip().splitlines()[-1]: out for b, out in outputs}
        python = _bills_of(ran[".venv/bin/python bills.py"], "Python")
        node = _bills_of(ran["node bills-node/bills.js"], "Node")
        assert python == node and python[0] > 0
        host = page.removeprefix("http://").rstrip("/")
        served = httpx.get(f"http://127.0.0.1:{host.rsplit(':', 1)[1]}/",
                           headers={"Host": host}, timeout=30)
        assert served.status_code == 200 and 'data-cozy-token="ey' in served.text
        assert "store check [error]" not in dev.output, dev.output
        for name in ("manifest.webapp", "index.html", "app.js", "icon.svg"):
            assert (project / "my-bills" / name).read_bytes() == (FINISHED / name).read_bytes()
        submitted = ran[".venv/bin/selfdata submit ./my-bills"]
        assert "awaiting-review" in submitted, submitted
        assert "Left out of the archive: node_modules/ (" in submitted
        assert "package-lock.json" in submitted
        assert "[error]" not in submitted, submitted
        # the one warning the tutorial announces: the bundled client names doctypes it can use
        warnings = [x for x in submitted.splitlines() if "[warning]" in x]
        assert all(" vendor/cozy-client.min.js: " in x for x in warnings), warnings
    finally:
        if dev is not None:
            dev.stop()
        if up is not None:
            up.stop()
