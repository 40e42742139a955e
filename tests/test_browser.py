"""End to end: a real `streamlit run app.py` driven by Debian's chromium
through Playwright. Asks questions, follows a citation, collects excerpts,
downloads the Markdown export, checks that hostile corpus text stays inert,
and measures cold-start and warm answer times (printed, and written to
test-artifacts/e2e-timings.json with a screenshot in test-artifacts/app.png).

Needs /usr/bin/chromium: `make test` installs it. Set WTKB_SKIP_BROWSER=1 to skip.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest
from app_helpers import ARTIFACTS, HOSTILE_QUESTION, app_index, start_streamlit

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
FIRST_Q = "how many days does the authority have to tell the review panel?"
FIRST_LABEL_END = "Notifying an incident \u00b7 paras 10\u201311 \u00b7 p. 6"
WARM_QS = ["who decides whether a referral to the local authority is needed?",
           "what does the yearly report of the partnership explain?",
           "what happens at a strategy discussion?"]
TIMEOUT_MS = 30_000

# True once the answer for `q` is fully on screen: its heading names the
# question, the run has finished (no stale elements left), and either the
# key points with their citation markers or the abstention are shown.
ANSWER_DONE = """(q) => {
  const box = document.querySelector('.st-key-answer');
  if (!box) return false;
  const h = box.querySelector('h3');
  if (!h || !h.textContent.includes(q)) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  return !!(box.querySelector('a[href="#passage-1"]') || box.querySelector('[data-testid="stAlert"]'));
}"""

# Anything that would mean corpus text became live HTML.
LIVE_HTML = """() => ({
  scripts: [...document.querySelectorAll('script')].filter(s => /alert/.test(s.textContent || '')).length,
  imgs: [...document.querySelectorAll('img')].filter(i => /evil|\\/x$|^x$/.test(i.getAttribute('src') || '')).length,
  jsLinks: [...document.querySelectorAll('a[href]')].filter(a => /^\\s*javascript:/i.test(a.getAttribute('href'))).length,
  answerImgs: document.querySelectorAll('.st-key-answer img').length,
  bold: [...document.querySelectorAll('.st-key-answer strong, .st-key-answer b')]
          .filter(b => b.textContent.trim() === 'hostile' || b.textContent.trim() === 'care').length,
})"""


@pytest.fixture(scope="module")
def chromium() -> str | None:
    """The browser's path; None when it is missing (the test then fails, before any index is built)."""
    if os.environ.get("WTKB_SKIP_BROWSER") == "1":
        pytest.skip("WTKB_SKIP_BROWSER=1")
    return str(CHROMIUM) if CHROMIUM.exists() else None


@pytest.fixture(scope="module")
def built(chromium, request, tmp_path_factory):
    if not chromium:
        return None  # fail fast: no model load, no build
    return app_index(tmp_path_factory, request.getfixturevalue("sample_corpus"), request.getfixturevalue("embedder"))


def ask(page, question: str) -> float:
    """Type the question, press Enter, wait for the answer; seconds taken from the key press."""
    box = page.locator(".st-key-q input")
    box.fill(question)
    t = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(ANSWER_DONE, arg=question, timeout=TIMEOUT_MS, polling=20)
    return time.perf_counter() - t


def test_end_to_end_in_chromium(chromium, built, tmp_path):
    if chromium is None:
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium "
                    "(`make browser-deps`), or set WTKB_SKIP_BROWSER=1 to skip the browser test", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    timings: dict = {}
    dialogs: list[str] = []
    server = start_streamlit(built.env(), tmp_path / "streamlit.log")
    try:
        timings["server_healthy_s"] = round(time.perf_counter() - server.started, 3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1800}, accept_downloads=True)
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.goto(server.url, wait_until="domcontentloaded")
                page.locator(".st-key-q input").wait_for(timeout=TIMEOUT_MS)
                timings["page_ready_s"] = round(time.perf_counter() - server.started, 3)

                # Cold start: process start → first answer on screen.
                ask(page, FIRST_Q)
                timings["cold_start_s"] = round(time.perf_counter() - server.started, 3)
                answer = page.locator(".st-key-answer")
                expect(answer.get_by_text("five working days").first).to_be_visible()
                marker = answer.locator('a[href="#passage-1"]').first
                expect(marker).to_have_text("[1]")
                first = page.locator(".st-key-passage-1")
                expect(first.locator("code")).to_contain_text(FIRST_LABEL_END)
                expect(first).to_contain_text("Paragraphs 10\u201311")
                expect(first).to_contain_text("Page 6")
                page.screenshot(path=str(ARTIFACTS / "app.png"))
                # A citation marker jumps to its passage: the last key point's marker, in a short
                # viewport so that its passage starts out of view.
                page.set_viewport_size({"width": 1280, "height": 600})
                markers = answer.locator('a[href^="#passage-"]:not([aria-label="Link to heading"])')
                href = markers.last.get_attribute("href")
                assert href and href != "#passage-1", href
                target = page.locator(href)
                expect(target).not_to_be_in_viewport()
                markers.last.click()
                expect(target).to_be_in_viewport()
                page.set_viewport_size({"width": 1280, "height": 1800})
                first.get_by_role("button", name="Add to excerpts").click()
                expect(first.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)

                # Warm: press Ask/Enter → answer on screen, median of three questions.
                warm = [ask(page, q) for q in WARM_QS]
                timings["warm_s"] = [round(w, 3) for w in warm]
                timings["warm_median_s"] = round(statistics.median(warm), 3)

                # Hostile corpus text renders as literal text and creates no live element.
                ask(page, HOSTILE_QUESTION)
                hostile = answer.locator('[class*="st-key-passage-"]').filter(has_text="alert(1)")
                expect(hostile.get_by_text("<script>alert(1)</script>", exact=False).first).to_be_visible()
                expect(hostile.get_by_text("![x](http://evil/x.png)", exact=False)).to_be_visible()
                expect(hostile.get_by_text("[click here](javascript:alert(2))", exact=False)).to_be_visible()
                expect(hostile.locator("h3")).to_contain_text("<script>alert('title')</script> **hostile** title")
                live = page.evaluate(LIVE_HTML)
                assert live == {"scripts": 0, "imgs": 0, "jsLinks": 0, "answerImgs": 0, "bold": 0}, live
                assert hostile.get_by_role("link", name=re.compile("source", re.I)).count() == 0  # javascript: url
                hostile.get_by_role("button", name="Add to excerpts").click()
                expect(hostile.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)

                # Excerpts → Markdown export with citations and a reference list.
                page.locator('[data-testid="stSidebar"]').get_by_text("Excerpts (2)").click()
                download_button = page.get_by_role("button", name="Download Markdown")
                expect(download_button).to_be_visible(timeout=TIMEOUT_MS)
                expect(page.locator(".st-key-excerpt-0")).to_contain_text(FIRST_LABEL_END)
                page.screenshot(path=str(ARTIFACTS / "excerpts.png"))
                # Annotate the first excerpt; leaving the box saves the note into the export.
                page.locator(".st-key-excerpt-0 textarea").fill("Discuss: who tells the panel, and when?")
                page.get_by_text("Preview the Markdown export").click()
                expect(page.locator("[data-testid=stExpander]").filter(has_text="Preview the Markdown export").locator("code")).to_contain_text(
                    "Discuss: who tells the panel, and when?", timeout=TIMEOUT_MS)
                with page.expect_download(timeout=TIMEOUT_MS) as info:
                    download_button.click()
                download = info.value
                assert download.suggested_filename == "wtkb-excerpts.md"
                md = Path(download.path()).read_text(encoding="utf-8")
                assert md.startswith("# ")
                assert re.search(r"^## 1\. .*" + re.escape(FIRST_LABEL_END) + r" \[1\]$", md, re.M), md
                assert re.search(r"^Citation: .*" + re.escape(FIRST_LABEL_END) + r" \[1\]$", md, re.M), md
                refs = md.split("## References", 1)[1]
                assert re.search(r"^1\. .*" + re.escape(FIRST_LABEL_END), refs, re.M)
                assert re.search(r"^2\. Unofficial study note", refs, re.M)
                assert "\\<script\\>alert(1)\\</script\\>" in md and "<script>" not in md
                assert "**Trainer's note:**\n\nDiscuss: who tells the panel, and when?" in md
                assert page.evaluate(LIVE_HTML)["scripts"] == 0
                assert dialogs == [], f"a script ran: {dialogs}"
            finally:
                browser.close()
    except Exception:
        print("\n--- streamlit log ---\n" + server.log_tail())
        raise
    finally:
        server.stop()
        timings["server_returncode"] = server.proc.returncode

    timings["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    (ARTIFACTS / "e2e-timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    print(f"\ne2e timings: cold start (process start → first answer) {timings['cold_start_s']:.2f} s; "
          f"warm (Enter → answer) median {timings['warm_median_s']:.2f} s of {timings['warm_s']}; "
          f"server healthy {timings['server_healthy_s']:.2f} s, page ready {timings['page_ready_s']:.2f} s")
