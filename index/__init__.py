"""The library API that the CLI, the app and the evaluation all use.

    from index import load, build, answer
    kb = load(settings)                 # open the live index once
    hits = kb.search("what is a LADO?") # ranked passages
    result = answer(kb, "what is a LADO?")  # key points + passages, or an abstention
"""

from __future__ import annotations

from wtkb.config import Settings, load_settings

from .answer import Answer, KeyPoint, answer
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


def search(kb: KnowledgeBase, query: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
    return kb.search(query, k, filters)


__all__ = ["Alignment", "Change", "ChangeAnswer", "DiffError", "Para", "align", "changes_about", "diff_documents",
           "edition_pairs",
           "Answer", "BuildReport", "Embedder", "Filters", "Hit", "IndexError_", "KeyPoint", "KnowledgeBase",
           "ModelError", "QueryError", "Settings", "answer", "build", "citation", "label", "load",
           "load_settings", "search", "source_url", "staleness"]
