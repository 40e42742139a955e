"""End to end: a real `streamlit run app.py` driven by Debian's chromium
through Playwright.

- ``test_end_to_end_in_chromium`` asks questions, follows a citation, collects
  excerpts, downloads the Markdown export, checks that hostile corpus text stays
  inert, and measures cold-start and warm answer times (printed, and written to
  test-artifacts/e2e-timings.json with a screenshot in test-artifacts/app.png).
- ``test_trainer_basket_in_chromium``: after removing an excerpt the Excerpts
  view keeps working (stable keys); the annotated basket survives a reload and a
  server restart (browser localStorage); clearing asks first and deletes it; the
  Word download is A4 with working links.
- ``test_phone_in_chromium``: at 390×844 the first key point is on screen after
  asking, without scrolling, and the navigation is visible and labelled.

Screenshots go to test-artifacts/ (not committed).

Needs /usr/bin/chromium: `make test` installs it. Set WTKB_SKIP_BROWSER=1 to skip.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import pytest
from app_helpers import ARTIFACTS, HOSTILE_QUESTION, app_index, start_streamlit
from app_helpers.browser import LAUNCH_ARGS, TIMEOUT_MS, ask, chromium_path, go, need_browser, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST_Q = "how many days does the authority have to tell the review panel?"
FIRST_LABEL_END = "Notifying an incident \u00b7 paras 10\u201311 \u00b7 p. 6"
WARM_QS = ["who decides whether a referral to the local authority is needed?",
           "what does the yearly report of the partnership explain?",
           "what happens at a strategy discussion?"]

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
    return chromium_path()


@pytest.fixture(scope="module")
def built(chromium, request, tmp_path_factory):
    if not chromium:
        return None  # fail fast: no model load, no build
    return app_index(tmp_path_factory, request.getfixturevalue("sample_corpus"), request.getfixturevalue("embedder"))


def excerpt_cards(page):
    """The excerpt cards, once the app has finished its run (no stale elements left on the page)."""
    settle(page)
    return page.locator('[class*="st-key-excerpt-"]')


def test_end_to_end_in_chromium(chromium, built, tmp_path):
    need_browser(chromium)
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
                context = browser.new_context(viewport={"width": 1280, "height": 1800}, accept_downloads=True)
                context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
                page = context.new_page()
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
                expect(first.get_by_text("Cite as:")).to_contain_text(FIRST_LABEL_END)
                # The copy button is there without hovering (touch screens) and copies the citation.
                copy = first.get_by_role("button", name=re.compile("^Copy citation"))
                expect(copy).to_be_visible()
                copy.click()
                assert page.evaluate("navigator.clipboard.readText()").endswith(FIRST_LABEL_END)
                page.screenshot(path=str(ARTIFACTS / "app.png"))
                # A citation marker jumps to its passage: the last answer block's marker, in a
                # viewport short enough that its passage starts out of view. (Since issue 18 a
                # second block appears only when it scores close to the first, so the last marker
                # may well be passage 1's.)
                page.set_viewport_size({"width": 1280, "height": 420})
                markers = answer.locator('a[href^="#passage-"]:not([aria-label="Link to heading"])')
                href = markers.last.get_attribute("href")
                assert href and href.startswith("#passage-"), href
                markers.last.scroll_into_view_if_needed()
                target = page.locator(href)
                expect(target).not_to_be_in_viewport()
                markers.last.click()
                expect(target).to_be_in_viewport()
                page.set_viewport_size({"width": 1280, "height": 1800})
                first.get_by_role("button", name="Add to excerpts").click()
                expect(first.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)
                # "Copy answer" copies the answer blocks, each with its citation.
                answer.get_by_role("button", name="Copy the key points with their citations").click()
                copied = page.evaluate("navigator.clipboard.readText()")
                assert copied.startswith(f"Question: {FIRST_Q}\n\n1. ") and "five working days" in copied, copied
                # Each block is cited by its own paragraph (issue 18), not by the whole passage.
                assert "Notifying an incident \u00b7 para 10 \u00b7 p. 6)" in copied, copied

                # Warm: press Ask/Enter → answer on screen, median of three questions.
                warm = [ask(page, q) for q in WARM_QS]
                timings["warm_s"] = [round(w, 3) for w in warm]
                timings["warm_median_s"] = round(statistics.median(warm), 3)

                # Hostile corpus text renders as literal text and creates no live element.
                ask(page, HOSTILE_QUESTION)
                hostile = answer.locator('[class*="st-key-passage-"]').filter(has_text="Sharing information safely")
                hostile.get_by_text("Read the passage").click()  # cards are folded: open this one
                expect(hostile.get_by_text("<script>alert(1)</script>", exact=False).first).to_be_visible()
                # Markdown links and images in corpus text are read as their words at ingestion: the
                # addresses never reach a chunk, let alone the page.
                expect(hostile.get_by_text("any picture x and any link click here", exact=False)).to_be_visible()
                assert "evil" not in hostile.inner_text() and "javascript" not in hostile.inner_text()
                expect(hostile.locator("h3")).to_contain_text("Sharing information safely")  # titled by section
                # The hostile document title is shown as text where documents are named (the sidebar).
                page.get_by_text("What is indexed").click()
                expect(page.get_by_text("<script>alert('title')</script> **hostile** title").first).to_be_visible()
                live = page.evaluate(LIVE_HTML)
                assert live == {"scripts": 0, "imgs": 0, "jsLinks": 0, "answerImgs": 0, "bold": 0}, live
                assert hostile.get_by_role("link", name=re.compile("source", re.I)).count() == 0  # javascript: url
                hostile.get_by_role("button", name="Add to excerpts").click()
                expect(hostile.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)

                # Excerpts → Markdown export with citations and a reference list.
                go(page, "Excerpts")
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible(timeout=TIMEOUT_MS)
                download_button = page.get_by_role("button", name="Download Markdown")
                expect(download_button).to_be_visible(timeout=TIMEOUT_MS)
                expect(excerpt_cards(page).first).to_contain_text(FIRST_LABEL_END)
                page.screenshot(path=str(ARTIFACTS / "excerpts.png"))
                # Annotate the first excerpt; leaving the box saves the note into the export.
                excerpt_cards(page).first.locator("textarea").fill("Discuss: who tells the panel, and when?")
                page.get_by_text("Preview the Markdown export").click()
                expect(page.locator("[data-testid=stExpander]").filter(has_text="Preview the Markdown export").locator("code")).to_contain_text(
                    "Discuss: who tells the panel, and when?", timeout=TIMEOUT_MS)
                with page.expect_download(timeout=TIMEOUT_MS) as info:
                    download_button.click()
                download = info.value
                assert download.suggested_filename == "wtkb-excerpts.md"
                md = Path(download.path()).read_text(encoding="utf-8")
                assert md.startswith("# ")
                assert re.search(r"^## 1\. Notifying an incident$", md, re.M), md
                assert re.search(r"^Citation: .*" + re.escape(FIRST_LABEL_END) + r" \[1\]", md, re.M), md
                refs = md.split("## References", 1)[1]
                assert re.search(r"^1\. .*" + re.escape(FIRST_LABEL_END), refs, re.M)
                assert re.search(r"^2\. Study note", refs, re.M)
                assert "\\<script>alert(1)\\</script>" in md and not re.search(r"(?<!\\)<script", md)
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


def test_trainer_basket_in_chromium(chromium, built, tmp_path):
    """Issue 11 points 1, 2 and 8 in a real browser."""
    need_browser(chromium)
    import io

    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.shared import Mm
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    log = tmp_path / "streamlit.log"
    server = start_streamlit(built.env(), log)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True).new_page()
                page.goto(server.url, wait_until="domcontentloaded")
                page.locator(".st-key-q input").wait_for(timeout=TIMEOUT_MS)
                ask(page, FIRST_Q)
                for n in (1, 2):
                    card = page.locator(f".st-key-passage-{n}")
                    card.get_by_role("button", name="Add to excerpts").click()
                    expect(card.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)
                ask(page, WARM_QS[2])  # a study note, whose link to the official chapter goes in the Word file
                card = page.locator('[class*="st-key-passage-"]').filter(has_text="Study note").first
                card.get_by_role("button", name="Add to excerpts").click()
                expect(card.get_by_role("button", name="In your excerpts")).to_be_visible(timeout=TIMEOUT_MS)
                page.screenshot(path=str(ARTIFACTS / "ask-desktop.png"))

                # Point 1: remove one excerpt, then keep working in the Excerpts view.
                go(page, "Excerpts")
                expect(page.get_by_role("heading", name="Excerpts (3)")).to_be_visible(timeout=TIMEOUT_MS)
                first_label = excerpt_cards(page).nth(0).get_by_text("Cite as:").inner_text()
                second_label = excerpt_cards(page).nth(1).get_by_text("Cite as:").inner_text()
                third_label = excerpt_cards(page).nth(2).get_by_text("Cite as:").inner_text()
                excerpt_cards(page).nth(0).get_by_role("button", name="Remove").click()
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible(timeout=TIMEOUT_MS)
                excerpt_cards(page).nth(0).get_by_role("button", name="Down").click()
                expect(excerpt_cards(page).nth(0).get_by_text("Cite as:")).to_have_text(third_label,
                                                                                        timeout=TIMEOUT_MS)
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible()
                note = excerpt_cards(page).nth(1).get_by_role("textbox", name="Your note")
                note.fill("Ask the group: who tells the panel, and when?")
                excerpt_cards(page).nth(0).get_by_role("button", name="Down").click()  # also saves the note
                expect(excerpt_cards(page).nth(0).get_by_text("Cite as:")).to_have_text(second_label,
                                                                                        timeout=TIMEOUT_MS)
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible()
                assert "view=excerpts" in page.url
                assert first_label not in page.locator(".stMain").inner_text()
                page.screenshot(path=str(ARTIFACTS / "excerpts-after-remove.png"))

                # Point 2: the basket, order and note survive a reload...
                page.wait_for_function("() => (localStorage.getItem('wtkb.excerpts.v1') || '').includes('who tells')",
                                       timeout=TIMEOUT_MS)
                page.reload(wait_until="domcontentloaded")
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible(timeout=TIMEOUT_MS)
                expect(excerpt_cards(page).nth(0).locator("textarea")).to_have_value(
                    "Ask the group: who tells the panel, and when?")
                expect(excerpt_cards(page).nth(1).get_by_text("Cite as:")).to_have_text(third_label)
                # ...and a server restart (same address, so the same browser storage).
                server.stop()
                server = start_streamlit(built.env(), log, port=int(server.url.rsplit(":", 1)[1]))
                page.reload(wait_until="domcontentloaded")
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible(timeout=TIMEOUT_MS)
                expect(excerpt_cards(page).nth(0).locator("textarea")).to_have_value(
                    "Ask the group: who tells the panel, and when?")
                page.screenshot(path=str(ARTIFACTS / "excerpts-after-restart.png"))

                # Point 8: the Word file is A4 and its links work.
                with page.expect_download(timeout=TIMEOUT_MS) as info:
                    page.get_by_role("button", name="Download Word").click()
                doc = Document(io.BytesIO(Path(info.value.path()).read_bytes()))
                section = doc.sections[0]
                assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
                rels = doc.part.rels
                links = [h.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
                         for h in doc.element.body.iter(
                             "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}hyperlink")]
                assert links and all(rels[r].reltype == RELATIONSHIP_TYPE.HYPERLINK
                                     and rels[r].target_ref.startswith("https://") for r in links)
                text = "\n".join(p.text for p in doc.paragraphs)
                assert "Trainer's note: Ask the group: who tells the panel, and when?" in text

                # Clearing asks first, and then deletes the stored basket.
                page.get_by_role("button", name="Clear all excerpts").click()
                expect(page.get_by_text("Remove all 2 excerpts")).to_be_visible(timeout=TIMEOUT_MS)
                page.get_by_role("button", name="Cancel").click()
                expect(page.get_by_role("heading", name="Excerpts (2)")).to_be_visible(timeout=TIMEOUT_MS)
                page.get_by_role("button", name="Clear all excerpts").click()
                page.get_by_role("button", name="Yes, clear all").click()
                expect(page.get_by_text("No excerpts yet")).to_be_visible(timeout=TIMEOUT_MS)
                page.wait_for_function("() => localStorage.getItem('wtkb.excerpts.v1') === null", timeout=TIMEOUT_MS)
                page.reload(wait_until="domcontentloaded")
                expect(page.get_by_text("No excerpts yet")).to_be_visible(timeout=TIMEOUT_MS)
            finally:
                browser.close()
    except Exception:
        print("\n--- streamlit log ---\n" + server.log_tail())
        raise
    finally:
        server.stop()


def test_phone_in_chromium(chromium, built, tmp_path):
    """Issue 11 point 3: on a 390×844 phone the first key point shows without scrolling."""
    need_browser(chromium)
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    server = start_streamlit(built.env(), tmp_path / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=LAUNCH_ARGS)
            try:
                phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                            device_scale_factor=2)
                page = phone.new_page()
                page.goto(server.url, wait_until="domcontentloaded")
                page.locator(".st-key-q input").wait_for(timeout=TIMEOUT_MS)
                nav = page.get_by_role("radiogroup", name="Go to")
                for view in ("Ask", "Browse", "Excerpts", "Glossary", "Evaluation"):
                    expect(nav.get_by_role("radio", name=view, exact=True)).to_be_in_viewport()
                expect(page.get_by_text("What does the LADO do?")).to_be_visible()  # examples before asking
                page.screenshot(path=str(ARTIFACTS / "phone-start.png"))
                ask(page, FIRST_Q)
                first_point = page.locator(".st-key-answer-block-1")  # the first answer block (issue 18)
                expect(first_point).to_contain_text("five working days")
                assert page.evaluate("() => document.querySelector('.stMain').scrollTop") == 0  # nothing scrolled
                box = first_point.bounding_box()
                assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844, box
                expect(page.get_by_text("What does the LADO do?")).not_to_be_visible()  # examples folded away
                expect(page.get_by_role("button", name="Filters")).to_be_in_viewport()  # labelled, on the page
                # Heading levels never skip (h1 → h2 → h3), so screen readers can navigate the page.
                levels = page.evaluate("() => [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')]"
                                       ".filter(h => h.textContent.trim()).map(h => +h.tagName[1])")
                assert levels and levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:])), levels
                page.screenshot(path=str(ARTIFACTS / "phone-answer.png"))
            finally:
                browser.close()
    except Exception:
        print("\n--- streamlit log ---\n" + server.log_tail())
        raise
    finally:
        server.stop()
