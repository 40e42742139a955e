"""Two tiny in-browser helpers (Streamlit components v2, inline JavaScript, no network):

- ``basket_store``: keeps the excerpts basket in the browser's localStorage, so a
  trainer's annotated basket survives a reload and a server restart while the
  notes never leave their machine's browser. On a session's first run the
  component reads the stored basket and hands it to Python once; after that it
  writes the session's basket back on every change (and removes the key when
  the basket is emptied, so clearing really deletes it).
- ``copy_button``: a visible "Copy" button (no hover needed on touch screens)
  that puts text on the clipboard without covering anything.

All text is set with ``textContent``: nothing from the corpus is parsed as HTML.
"""

from __future__ import annotations

import json

import streamlit as st

from wtkb.sanitize import for_app

STORAGE_KEY = "wtkb.excerpts.v1"

_STORE_JS = """
export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data) return;
  const KEY = data.storage_key;
  let store = null;
  try { store = window.localStorage; } catch (e) { store = null; }
  if (!data.loaded) {
    let raw = "";
    try { raw = (store && store.getItem(KEY)) || ""; } catch (e) { raw = ""; }
    setTriggerValue("stored", raw);
    return;
  }
  if (!store) return;
  try {
    if (data.items && data.items.length) {
      store.setItem(KEY, JSON.stringify({ version: 1, items: data.items }));
    } else {
      store.removeItem(KEY);
    }
  } catch (e) { /* storage full or blocked: the session keeps the basket */ }
}
"""

_COPY_HTML = '<button type="button" class="wtkb-copy"></button>'
_COPY_CSS = """
.wtkb-copy { font: inherit; font-size: 0.875rem; line-height: 1.4; padding: 0.25rem 0.75rem; cursor: pointer;
  border-radius: 0.5rem; border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  background: var(--st-secondary-background-color, #f0f2f6); color: var(--st-text-color, #31333f);
  white-space: nowrap; }
.wtkb-copy:hover, .wtkb-copy:focus-visible { border-color: var(--st-primary-color, #ff4b4b);
  color: var(--st-primary-color, #ff4b4b); }
"""
_COPY_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const btn = parentElement.querySelector("button");
  if (!btn || !data) return;
  btn.textContent = data.label;
  btn.setAttribute("aria-label", data.aria || data.label);
  btn.title = data.aria || data.label;
  btn.dataset.copyText = data.text;
  const fallback = (text) => {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
  };
  btn.onclick = async () => {
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(data.text); }
      else { fallback(data.text); }
      btn.textContent = "Copied";
    } catch (e) {
      fallback(data.text);
      btn.textContent = "Copied";
    }
    setTimeout(() => { btn.textContent = data.label; }, 1500);
  };
}
"""

_store = st.components.v2.component("wtkb_basket_store", js=_STORE_JS)
_copy = st.components.v2.component("wtkb_copy_button", html=_COPY_HTML, css=_COPY_CSS, js=_COPY_JS)


def parse_stored(raw: object) -> list[dict]:
    """The excerpts in a stored basket; [] for anything missing, damaged or foreign."""
    if not raw or not isinstance(raw, str):
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    out = []
    for ex in items:
        if not (isinstance(ex, dict) and isinstance(ex.get("chunk_id"), str) and isinstance(ex.get("text"), str)):
            continue
        # Storage can be edited by hand: keep only the fields the app uses, with the types it expects.
        clean = {"chunk_id": ex["chunk_id"], "text": ex["text"]}
        for name in ("label", "note", "question"):
            clean[name] = ex.get(name) if isinstance(ex.get(name), str) else ""
        clean["label"] = clean["label"] or clean["chunk_id"]
        highlights = ex.get("highlights")
        clean["highlights"] = [h for h in highlights if isinstance(h, str)] if isinstance(highlights, list) else []
        clean["citation"] = ex.get("citation") if isinstance(ex.get("citation"), dict) else {}
        notes = ex.get("footnotes")
        notes = [list(f) for f in notes if isinstance(f, list) and len(f) == 2 and all(isinstance(x, str) for x in f)] \
            if isinstance(notes, list) else []
        if notes:  # the footnotes the passage cites, kept so an export after a reload still prints them
            clean["footnotes"] = notes
        out.append(clean)
    return out


def basket_store(items: list[dict], loaded: bool, on_stored) -> object:
    """Mount the storage bridge (invisible). ``on_stored`` runs once with the stored basket."""
    return _store(data={"storage_key": STORAGE_KEY, "loaded": loaded, "items": items if loaded else []},
                  key="basket_store", on_stored_change=on_stored)


def copy_button(text: str, key: str, label: str = "Copy citation", aria: str = "") -> None:
    """An always-visible button that copies ``text``; as wide as its label, so it shares a row."""
    text, aria = for_app(text), for_app(aria or label, single_line=True)  # wtkb/sanitize.py
    _copy(data={"text": text, "label": label, "aria": aria}, key=key, width="content", height="content")
