"""From a checked archive to an image: wheelhouse, store-written Dockerfile, offline build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app_store.build_farm.context import build_context
from app_store.build_farm.wheelhouse import Lock, WheelhouseError, resolve
from app_store.requirements import normalised, parse_requirements
from sandbox.contract.manifest import Manifest
from sandbox.runtime.engine import Engine


@dataclass
class BuildResult:
    ok: bool
    log: str
    image_id: str | None
    tag: str
    check: str = "build.failed"    # the check id when it failed


def image_tag(slug: str, version: str, submission_id: int) -> str:
    return f"selfdata-app/{slug}:{version.replace('+', '_')}-s{submission_id}"


def build_app(engine: Engine, base: str, files: dict[str, bytes], manifest: Manifest,
              sha256: str, submission_id: int, wheel_cache: Path,
              timeout_s: float, owner: str = "") -> BuildResult:
    slug, version = manifest.slug, manifest.version
    tag = image_tag(slug, version, submission_id)
    log: list[str] = []
    lock: Lock | None = None
    req = manifest.runtime.requirements
    if manifest.runtime.type == "python" and req:
        # the pins as parsed, never the team's text (checks refused anything else)
        text = normalised(parse_requirements(files[req].decode("utf-8", "replace"))[0])
        try:
            lock = resolve(text, wheel_cache)
        except WheelhouseError as exc:
            return BuildResult(False, f"ERROR: {exc}\n", None, tag, "build.requirements")
        log.append(f"Dependencies resolved on the store into {len(lock.wheels)} hash-pinned "
                   "wheels:\n" + lock.text())
    labels = {"selfdata.app": slug, "selfdata.version": version, "selfdata.sha256": sha256,
              "selfdata.submission": str(submission_id), "selfdata.owner": owner}
    context = build_context(files, manifest, base, lock, wheel_cache / "wheels")
    ok, output, image_id = engine.build(context, tag, labels, timeout_s)
    log.append(output)
    return BuildResult(ok, "".join(log), image_id, tag)
