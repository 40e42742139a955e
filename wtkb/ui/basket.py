"""The excerpts basket in the session: add, remove, reorder, annotate, clear (with confirmation),
and its round trip through the browser's localStorage (``browser.basket_store``)."""

from __future__ import annotations

import streamlit as st

from . import browser


def init() -> None:
    ss = st.session_state
    ss.setdefault("excerpts", [])
    ss.setdefault("basket_loaded", False)
    ss.setdefault("confirm_clear", False)


def items() -> list[dict]:
    return st.session_state.excerpts


def contains(chunk_id: str) -> bool:
    return any(ex["chunk_id"] == chunk_id for ex in st.session_state.excerpts)


def add(excerpt: dict) -> None:
    if not contains(excerpt["chunk_id"]):
        st.session_state.excerpts.append(excerpt)
        st.toast("Added to your excerpts", icon=":material/bookmark_added:")


def remove(chunk_id: str) -> None:
    st.session_state.excerpts = [ex for ex in st.session_state.excerpts if ex["chunk_id"] != chunk_id]


def move(chunk_id: str, step: int) -> None:
    """Move by id, not position: a stale click after a removal must not move the wrong excerpt."""
    ids = [ex["chunk_id"] for ex in st.session_state.excerpts]
    if chunk_id not in ids:
        return
    i = ids.index(chunk_id)
    j = i + step
    found = st.session_state.excerpts
    if 0 <= j < len(found):
        found[i], found[j] = found[j], found[i]


def save_note(chunk_id: str) -> None:
    for ex in st.session_state.excerpts:
        if ex["chunk_id"] == chunk_id:
            ex["note"] = st.session_state.get(f"note::{chunk_id}", "")


def ask_clear() -> None:
    st.session_state.confirm_clear = True


def cancel_clear() -> None:
    st.session_state.confirm_clear = False


def clear() -> None:
    st.session_state.excerpts = []
    st.session_state.confirm_clear = False


def _on_stored() -> None:
    """The browser sent the basket it kept: stored excerpts first, then any added in this session
    before it arrived."""
    value = st.session_state.get("basket_store")
    raw = getattr(value, "stored", None) if value is not None else None
    if raw is None and isinstance(value, dict):
        raw = value.get("stored")
    stored = browser.parse_stored(raw)
    have = {ex["chunk_id"] for ex in stored}
    st.session_state.excerpts = stored + [ex for ex in st.session_state.excerpts if ex["chunk_id"] not in have]
    st.session_state.basket_loaded = True


def sync() -> None:
    """Mount the storage bridge; call once per run, after any change to the basket."""
    browser.basket_store(st.session_state.excerpts, st.session_state.basket_loaded, _on_stored)
