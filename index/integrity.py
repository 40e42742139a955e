"""Integrity checks beyond checksums, for an index that may have been edited by hand.

Checksums catch damage, not a deliberate edit that also updated them: the
manifest must have every field with the right type, and the FAISS and bm25s
files must load and describe one entry per chunk. Each function returns why
the index cannot be used ("" when it can); index/store.py turns that into the
user's one-line error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MANIFEST_FIELDS = {"model": dict, "chunk_count": int, "sources": list, "checksums": dict, "built_at": str}
MODEL_FIELDS = {"name": str, "identity": str, "dim": int}
SOURCE_FIELDS = {"doc_id": str, "title": str, "kind": str, "official": bool, "chunks": int, "path": str}


def _type_problem(data: dict, fields: dict, where: str) -> str:
    for key, typ in fields.items():
        value = data.get(key)
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            return f"'{where}{key}' is missing or not a {typ.__name__}"
    return ""


def manifest_problem(manifest, format_version: int) -> str:
    """Why a manifest cannot be used ("" when it can)."""
    if not isinstance(manifest, dict):
        return "it is not a JSON object"
    if manifest.get("format_version") != format_version:
        return "it was written by another wtkb version"
    problem = _type_problem(manifest, MANIFEST_FIELDS, "") or _type_problem(manifest["model"], MODEL_FIELDS,
                                                                              "model.")
    if problem:
        return problem
    if manifest["model"]["dim"] < 1 or manifest["chunk_count"] < 0:
        return "'model.dim' or 'chunk_count' is out of range"
    for i, source in enumerate(manifest["sources"]):
        if not isinstance(source, dict):
            return f"'sources[{i}]' is not an object"
        problem = _type_problem(source, SOURCE_FIELDS, f"sources[{i}].")
        if problem:
            return problem
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest["checksums"].items()):
        return "'checksums' must map file names to sha256 strings"
    return ""


def vectors_problem(version: Path, manifest: dict) -> str:
    """The FAISS file must load and hold one vector of the model's size per chunk."""
    import faiss

    path = version / "vectors.faiss"
    try:
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        except (RuntimeError, AttributeError):
            index = faiss.read_index(str(path))
    except (RuntimeError, OSError, MemoryError):
        return f"{path}: not a readable FAISS index"
    if index.ntotal != manifest["chunk_count"] or index.d != manifest["model"]["dim"]:
        return (f"{path}: holds {index.ntotal} vectors of {index.d} dimensions but the manifest expects "
                f"{manifest['chunk_count']} of {manifest['model']['dim']}")
    return ""


def keyword_problem(version: Path, manifest: dict) -> str:
    """The bm25s index must describe one document per chunk, with readable arrays."""
    folder = version / "bm25"
    try:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        for array in folder.glob("*.npy"):
            np.load(array, mmap_mode="r", allow_pickle=False)
        docs = params.get("num_docs") if isinstance(params, dict) else None
    except (OSError, ValueError, UnicodeDecodeError):
        return f"{folder}: not a readable keyword index"
    if docs != manifest["chunk_count"]:
        return f"{folder}: indexes {docs} documents but the manifest expects {manifest['chunk_count']}"
    return ""
