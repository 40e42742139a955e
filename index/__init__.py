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

# --- Building blocks the benchmarks time one by one (evals/bench, evals/diff_eval). Their modules
# are already imported by the names above, so they add nothing to `import index`
# but onnx_encoder (about a millisecond: it imports onnxruntime only when run).
from ingest import ingest_file  # noqa: E402
from ingest.config import PROJECT_ROOT  # noqa: E402
from .build import ingest_corpus  # noqa: E402
from .diff import KINDS as CHANGE_KINDS  # noqa: E402
from .diff import paragraphs_from_chunks  # noqa: E402
from .keyword import KeywordIndex  # noqa: E402
from .onnx_encoder import export as export_onnx_encoder  # noqa: E402
from .retrieve import PreparedQuery, prepare_query  # noqa: E402
from .store import read_manifest  # noqa: E402
from .vectors import build as build_vector_index  # noqa: E402
from .vectors import load as load_vector_index  # noqa: E402
from .vectors import save as save_vector_index  # noqa: E402
from .vectors import search as search_vector_index  # noqa: E402

__all__ += ["CHANGE_KINDS", "KeywordIndex", "PROJECT_ROOT", "PreparedQuery", "build_vector_index",
            "export_onnx_encoder", "ingest_corpus", "ingest_file", "load_vector_index", "paragraphs_from_chunks",
            "prepare_query", "read_manifest", "save_vector_index", "search_vector_index"]
# --- end of the benchmark names
