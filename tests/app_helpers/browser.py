"""Driving the app in Debian's chromium through Playwright: shared by tests/test_browser.py and
tests/test_browser_views.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}

# True once the answer for `q` is fully on screen: its heading names the
# question, the run has finished (no stale elements left), and either the
# key points with their citation markers or the abstention are shown.
ANSWER_DONE = """(q) => {
  const box = document.querySelector('.st-key-answer');
  if (!box) return false;
  if (!box.querySelector('h2') || !box.textContent.includes('\u201c' + q + '\u201d')) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  return !!(box.querySelector('a[href="#passage-1"]') || box.querySelector('[data-testid="stAlert"]'));
}"""


def chromium_path() -> str | None:
    """The browser's path; None when it is missing. Skips the test when WTKB_SKIP_BROWSER=1."""
    if os.environ.get("WTKB_SKIP_BROWSER") == "1":
        pytest.skip("WTKB_SKIP_BROWSER=1")
    return str(CHROMIUM) if CHROMIUM.exists() else None


def need_browser(chromium) -> None:
    if chromium is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium "
                    "(`make browser-deps`), or set WTKB_SKIP_BROWSER=1 to skip the browser test", pytrace=False)


def new_page(browser, phone: bool = False, **kw):
    """A page in a fresh context: a 390×844 touch phone or a 1400×900 desktop."""
    if phone:
        ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2, **kw)
    else:
        ctx = browser.new_context(viewport=DESKTOP, **kw)
    return ctx.new_page()


def settle(page) -> None:
    page.wait_for_function("""() => !document.querySelector('[data-stale="true"]')
                                && !document.querySelector('[data-testid="stStatusWidget"]')""",
                           timeout=TIMEOUT_MS, polling=50)


def ask(page, question: str) -> float:
    """Type the question, press Enter, wait for the answer; seconds taken from the key press."""
    box = page.locator(".st-key-q input")
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(ANSWER_DONE, arg=question, timeout=TIMEOUT_MS, polling=20)
    return time.perf_counter() - t


def go(page, view: str) -> None:
    """Click a view in the navigation bar (a segmented control at the top of the page)."""
    page.get_by_role("radiogroup", name="Go to").get_by_role("radio", name=view, exact=True).click()
