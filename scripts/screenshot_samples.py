"""Take a screenshot of each sample app on a generated household, for the catalogue.

    .venv/bin/python scripts/screenshot_samples.py      # writes sample_apps/<app>/screenshots/1.png

Each app runs with `selfdata dev` against a throwaway sandbox holding one household; Debian's
chromium (headless, through Playwright's driver) renders it at 1024x700.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from sandbox.settings import Settings  # noqa: E402
from selfdata.dev import DevSession  # noqa: E402
from synthetic_data.calendar_fr import Period  # noqa: E402
from synthetic_data.population import generate_household  # noqa: E402
from tests.support.browser import FLAGS  # noqa: E402
from tests.support.served import LiveServer  # noqa: E402


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="shots-"))
    data = generate_household(42, 0, Period.of_years(date(2025, 1, 1), 1))
    with LiveServer(Settings(database_url=f"sqlite:///{tmp / 'sb.db'}")) as live:
        inst = live.sandbox.instances.create("demo")
        for b in data.batches:
            if b.doctype != "org.selfdata.groundtruth.event":
                live.sandbox.documents.load(inst.id, b.doctype, b.dicts())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
            for d in sorted(x for x in (ROOT / "sample_apps").iterdir()
                            if (x / "manifest.webapp").exists()):
                s = DevSession(live.app, live.port, d, "demo")
                s.start()
                try:
                    s.wait_ready()
                    page = browser.new_page(viewport={"width": 1024, "height": 700})
                    page.goto(s.url, wait_until="load")  # dev pages keep an event stream open
                    page.wait_for_timeout(1500)
                    out = d / "screenshots" / "1.png"
                    out.parent.mkdir(exist_ok=True)
                    page.screenshot(path=str(out))
                    print(out, out.stat().st_size)
                finally:
                    s.close()
            browser.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
