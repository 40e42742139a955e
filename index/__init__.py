"""The library API that the CLI, the app and the evaluation all use.

    from index import load, build, answer
    kb = load(settings)                 # open the live index once
    hits = kb.search("what is a LADO?") # ranked passages
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


def search(kb: KnowledgeBase, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
    return kb.search(query, k, filters)


__all__ = ["Alignment", "Answer", "BuildReport", "Change", "ChangeAnswer", "ChapterNode", "DiffError", "Embedder",
           "Filters", "Hit", "IndexError_", "KeyPoint", "KnowledgeBase", "ModelError", "Para", "QueryError",
           "SectionNode", "Settings", "align", "answer", "build", "changes_about", "citation", "diff_documents",
           "edition_pairs", "label", "load", "load_settings", "outline", "read_chunks", "search", "source_url",
           "staleness"]

# The evaluation (wtkb eval, the app's Evaluation page): index/evaluation/.
from .evaluation import EvalReport, evaluate, read_report  # noqa: E402

__all__ += ["EvalReport", "evaluate", "read_report"]
