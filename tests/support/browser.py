"""Debian's chromium, headless, driven by Playwright (its driver only: no browser download)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.requirements import require

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(os.environ.get("SELFDATA_SCREENSHOTS", "var/screenshots"))


def chromium_path() -> str:
    path = shutil.which("chromium")
    require(path is not None, "Debian's chromium is not installed (make test installs it: "
                              "scripts/setup-machine.sh)")
    return path


@contextmanager
def browser() -> Iterator:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def wait_for_text(page, selector: str, text: str | re.Pattern, timeout_ms: float = 30000,
                  ) -> None:
    """Until the element's text contains ``text`` (a string) or matches it (a pattern).
    Playwright polls from its own isolated script: ``wait_for_function`` with a string
    evaluates it in the page, which a page's CSP without 'unsafe-eval' refuses whenever the
    first check is not already true."""
    from playwright.sync_api import expect

    target = expect(page.locator(selector))
    if isinstance(text, re.Pattern):
        target.to_have_text(text, timeout=timeout_ms)
    else:
        target.to_contain_text(text, timeout=timeout_ms)


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = SHOTS / f"{name}.png"
    page.screenshot(path=str(out), full_page=True)
    return out


AUDIT = """() => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.name ? '[name=' + el.name + ']' : '');
  if (!document.documentElement.lang) problems.push('html has no lang');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = el.labels && el.labels.length || el.getAttribute('aria-label') ||
      el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('no label: ' + name(el));
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) problems.push('no alt: ' + el.src);
  }
  for (const el of document.querySelectorAll('button, a')) {
    if (!(el.textContent.trim() || el.getAttribute('aria-label'))) {
      problems.push('no text: ' + name(el));
    }
  }
  const rgb = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || el.closest('svg')) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    const a = lum(rgb(st.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.6 && +st.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push('contrast ' + ratio.toFixed(2) + ': ' + name(el) + ' "' +
                    el.textContent.trim().slice(0, 30) + '"');
    }
  }
  return problems;
}"""


def audit(page) -> list[str]:
    """Accessibility problems on the page: missing labels, alt texts, names, low contrast."""
    return page.evaluate(AUDIT)


def keyboard_reaches(page, selector: str, max_tabs: int = 40) -> bool:
    """Tabbing from the top of the page reaches ``selector``."""
    page.locator("body").focus()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return True
    return False
