"""The library API that the CLI, the app and the evaluation all use.

    from index import load, build, answer
    kb = load(settings)                 # open the live index once
    hits = kb.search("what is a LADO?") # ranked passages
    q = kb.prepare("what is a LADO?")   # or prepare (and encode) a question once, then reuse it
    result = answer(kb, "what is a LADO?")  # key points + passages, or an abstention
"""

from __future__ import annotations

from ingest.config import Settings, load_settings

from .answer import Answer, KeyPoint, answer
from .browse import ChapterNode, SectionNode, outline
from .build import BuildReport, build, staleness
from .cite import citation, label, source_url
from .diff import Alignment, Change, Para, align
from .diff_kb import ChangeAnswer, DiffError, changes_about, diff_documents, edition_pairs
from .embed import Embedder, ModelError
from .retrieve import Filters, Hit, KnowledgeBase, QueryError
from .store import IndexError_ as IndexError_

# encoder: the model protocols, their model-free stand-ins, the prepared query.
from .encoder import Encoder, HashEncoder, OverlapScorer, Scorer
from .retrieve import Query


def load(settings: Settings | None = None, model: str | None = None, verify: bool = True) -> KnowledgeBase:
    """Open the live index under ``settings.index_dir``."""
    return KnowledgeBase.load(settings or load_settings(), model=model, verify=verify)


def read_chunks(settings: Settings | None = None, doc_id: str | None = None) -> list:
    """The live index's chunks in document order, without loading a model.

    For listing what was understood (``wtkb chunks``, the app's Browse view);
    raises ``IndexError_`` with the fix when there is no index or no such document.
    """
    from . import store

    settings = settings or load_settings()
    version, _ = store.read_manifest(settings.index_dir)
    chunks = store.read_chunks(version)
    if doc_id is None:
        return chunks
    picked = [c for c in chunks if c.meta.doc_id == doc_id]
    if not picked:
        known = sorted({c.meta.doc_id for c in chunks})
        raise IndexError_(f"no document '{doc_id}' in the index; known ids: {', '.join(known[:12])}")
    return picked


__all__ = ["Alignment", "Answer", "BuildReport", "Change", "ChangeAnswer", "ChapterNode", "DiffError", "Embedder",
           "Filters", "Hit", "IndexError_", "KeyPoint", "KnowledgeBase", "ModelError", "Para", "QueryError",
           "SectionNode", "Settings", "align", "answer", "build", "changes_about", "citation", "diff_documents",
           "edition_pairs", "label", "load", "load_settings", "outline", "read_chunks", "source_url",
           "staleness"]

# encoder: a question prepared once, and retrieval without a model.
__all__ += ["Encoder", "HashEncoder", "OverlapScorer", "Query", "Scorer"]
