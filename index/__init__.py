"""The library API that the CLI, the app and the evaluation all use.

    from index import load, build, answer
    kb = load(settings)                 # open the live index once
    hits = kb.search("what is a LADO?") # ranked passages
    q = kb.prepare("what is a LADO?")   # or prepare (and encode) a question once, then reuse it
    result = answer(kb, "what is a LADO?")  # key points + passages, or an abstention
"""

from __future__ import annotations

from ingest.config import Settings, load_settings

from .urgent import urgent_cue
from .answer import ANSWERED, REFUSED, UNCERTAIN, UNCERTAIN_NOTICE, Answer, KeyPoint, UrgentCard, UrgentLine, answer
from .browse import ChapterNode, SectionNode, outline
from .build import BuildReport, build, staleness
from .cite import citation, label, source_url
from .diff import Alignment, Change, Para, align
from .diff_kb import ChangeAnswer, DiffError, changes_about, diff_documents, edition_pairs
from .embed import Embedder, ModelError, quiet_hf
from .retrieve import Filters, Hit, KnowledgeBase, QueryError
from .store import IndexError_ as IndexError_

# The model protocols, their model-free stand-ins (fast tests, no download), the prepared query.
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


__all__ = ["ANSWERED", "REFUSED", "UNCERTAIN", "UNCERTAIN_NOTICE", "urgent_cue", "UrgentCard", "UrgentLine", "Alignment", "Answer", "BuildReport", "Change", "ChangeAnswer", "ChapterNode", "DiffError", "Embedder",
           "Filters", "Hit", "IndexError_", "KeyPoint", "KnowledgeBase", "ModelError", "Para", "QueryError",
           "SectionNode", "Settings", "align", "answer", "build", "changes_about", "citation", "diff_documents",
           "edition_pairs", "label", "load", "load_settings", "outline", "read_chunks", "source_url",
           "staleness"]

# A question prepared once, and retrieval without a model.
__all__ += ["Encoder", "HashEncoder", "OverlapScorer", "Query", "Scorer"]

# ---------------------------------------------------------------- records, info, fetch and shell helpers
# What the CLI and the app need past load/search/answer, so that neither reaches into index.store,
# index.diff_kb or ingest.*. Imports stay inside the functions where the module is heavy or rarely used.

from ingest.chunk import chapter_label
from ingest.config import SettingsError
from ingest.records import DocMeta, IngestError

from .browse import chapter_options, page_range, para_range, topic_label
from .cite import BADGES, MEANING, NOT_VERIFIED, NOTE, NOTE_STATUS, OFFICIAL, UNOFFICIAL, Citation, provenance, safe_url
from .diff import CHANGED
from .diff import KINDS as CHANGE_KINDS
from .diff_kb import default_pair, is_change_question, missing_editions
from .diff_kb import documents as comparable_documents
from .excerpt import Excerpt
from .glossary import Glossary
from .manifest import IndexInfo, SourceEntry

WARM_UP = "A warm-up sentence about sharing information to keep a child safe."


def live_version(settings: Settings) -> str | None:
    """The name of the live version folder, or None when nothing is built yet (no model, no manifest read).

    Cheap enough to call on every page load, so a cache keyed on it picks up a rebuild."""
    from . import store

    version = store.current_version(settings.index_dir)
    return version.name if version is not None else None


def info(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> IndexInfo:
    """What the live index holds (``wtkb info``, the app's sidebar); from ``kb`` when one is loaded."""
    if kb is not None:
        return kb.info
    from . import store

    version, manifest = store.read_manifest((settings or load_settings()).index_dir, hold_version=False)
    return IndexInfo.from_manifest(version, manifest)


def warm(kb: KnowledgeBase, batch: int = 32) -> KnowledgeBase:
    """Pay the encoder's slow first calls (session start, first full batch) now, not in the first answer."""
    kb.embedder.encode([WARM_UP] * batch)
    return kb


def get_glossary(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> Glossary:
    """The glossary: the loaded index's, else read from ``settings.glossary_file`` (no index needed)."""
    if kb is not None:
        return kb.glossary
    from .glossary import load_glossary

    return load_glossary((settings or load_settings()).glossary_file)


def fetch(settings: Settings, only: list[str] | None = None, dest=None, progress=None) -> list:
    """Download the official documents listed in sources.toml (``ingest.fetch.fetch_all``)."""
    from ingest.fetch import fetch_all

    return fetch_all(settings, only=only, dest=dest, progress=progress)


def pin_verified(settings: Settings, doc_id: str, sha256: str, title: str = "", kind: str = "guidance") -> str:
    """Record in sources.toml that the file hashing to ``sha256`` is the official ``doc_id`` (`wtkb verify`);
    the next build cites it as Official. Returns "pinned", "added" or "already pinned"."""
    from ingest.provenance import pin_sha256

    return pin_sha256(settings.sources_file, doc_id, sha256, title, kind)


def editions_to_fetch(kb: KnowledgeBase) -> list[str]:
    """The editions the diff needs but the index lacks, named for a person: "Working Together 2018 (wt-2018)"."""
    from ingest import load_sources

    sources = load_sources(kb.settings.sources_file)
    return [f"{sources.get(d, {}).get('short_title') or d} ({d})" for d in missing_editions(kb)]


__all__ += ["BADGES", "MEANING", "NOT_VERIFIED", "chapter_options", "pin_verified", "topic_label"]
__all__ += ["CHANGED", "CHANGE_KINDS", "Citation", "DocMeta", "Excerpt", "Glossary", "IndexInfo", "IngestError",
            "NOTE", "NOTE_STATUS", "OFFICIAL", "UNOFFICIAL", "SettingsError", "SourceEntry", "chapter_label", "comparable_documents",
            "default_pair", "editions_to_fetch", "fetch", "get_glossary", "info", "is_change_question", "live_version",
            "missing_editions", "page_range", "para_range", "provenance", "safe_url", "warm"]

# ---------------------------------------------------------------- benchmark building blocks
# What evals/bench and evals/diff_eval time one by one. Their modules are already imported by the
# names above, so they add nothing to `import index` but onnx_encoder (about a millisecond: it
# imports onnxruntime only when run).
from ingest import ingest_file  # noqa: E402
from ingest.config import PROJECT_ROOT  # noqa: E402
from .build import ingest_corpus  # noqa: E402
from .diff import paragraphs_from_chunks  # noqa: E402
from .keyword import KeywordIndex  # noqa: E402
from .onnx_encoder import export as export_onnx_encoder  # noqa: E402
from .retrieve import prepare_query  # noqa: E402
from .store import read_manifest  # noqa: E402
from .vectors import build as build_vector_index  # noqa: E402
from .vectors import load as load_vector_index  # noqa: E402
from .vectors import save as save_vector_index  # noqa: E402
from .vectors import search as search_vector_index  # noqa: E402

__all__ += ["KeywordIndex", "PROJECT_ROOT", "build_vector_index",
            "export_onnx_encoder", "ingest_corpus", "ingest_file", "load_vector_index", "paragraphs_from_chunks",
            "prepare_query", "read_manifest", "save_vector_index", "search_vector_index"]

# ---------------------------------------------------------------- the evaluation
# wtkb eval and the app's Evaluation page: index/evaluation/. Loaded on first use, since
# its twenty modules would otherwise add a sixth to every `import index` (the app's cold start).
# The same goes for what evaluation plugins (evals/plugin.py) and the benchmarks build on: the system
# interface and table entries, and the one machine record and timing summary every report uses.
_LAZY = {name: ".evaluation" for name in ("EvalReport", "Question", "evaluate", "load_gold", "read_report")}
_LAZY.update({name: ".evaluation.registry" for name in ("FAST_SYSTEMS", "SetContext", "SystemSpec")})
_LAZY.update({name: ".evaluation.systems" for name in ("Retrieved", "System")})
_LAZY.update({name: ".evaluation.machine" for name in ("loadavg", "machine", "median", "percentiles", "rss_bytes")})
# The Evaluation page: which settings a report was run with, and whether what it measured has changed since.
_LAZY.update({name: ".evaluation.report" for name in ("APP_SYSTEM", "Summary", "app_settings",
                                                       "settings_differences")})
_LAZY["changed_since"] = ".evaluation.machine"


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")


__all__ += list(_LAZY)
__all__ += ["quiet_hf"]  # evals/systems.py: the LlamaIndex baseline loads its model offline too
