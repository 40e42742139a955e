"""Which systems the evaluation can run: a name -> ``SystemSpec`` table.

A spec says how to build the system for one gold set (``factory``) and, as
plain attributes, how the runner must treat it (tuned on dev, test split only,
needs the cross-encoder, compared with the configuration it is built on). The
runner reads those attributes instead of testing system names.

Systems that need packages the library does not depend on live outside it and
register through the ``wtkb.systems`` entry-point group, the plugin pattern of
simonw/llm: the entry point names a module with ``register_systems(register)``
(and optionally ``register_corpora(register)`` for the corpus a gold set needs).
The library never imports those modules by name.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

from .gold import Question
from .systems import KBSystem, RerankSystem, System

ENTRY_POINT_GROUP = "wtkb.systems"
FAST_SYSTEMS = ["bm25", "dense", "hybrid"]
BASELINE = "hybrid"
Progress = Callable[[str, int, int], None]


@dataclass
class SetContext:
    """What a factory may use to build its system for one gold set."""

    name: str  # the gold set's name
    kb: object  # the set's KnowledgeBase
    corpus: Path  # the folder the set's index was built from
    questions: list[Question]
    tuned: dict  # dense_weight, keyword_weight, rrf_k chosen on dev
    expand_best: bool  # whether the best hybrid expands acronyms
    tmp: Path  # a temporary folder for extra indexes
    progress: Progress
    warnings: list[str]  # the report's warnings; factories may add to it
    shared: dict = field(default_factory=dict)  # objects built once per run (the cross-encoder)

    def reranker(self):
        """The cross-encoder, loaded once for the whole run."""
        if "reranker" not in self.shared:
            from index.rerank import Reranker

            self.shared["reranker"] = Reranker()
        return self.shared["reranker"]

    def gold_text(self) -> dict[str, tuple[str, str]]:
        """chunk id -> (source file stem, text) for every gold chunk, for systems
        whose own units are mapped to our chunks by text."""
        kb = self.kb
        paths = {s["doc_id"]: Path(s["path"]).stem for s in kb.manifest.get("sources", [])}
        out = {}
        for q in self.questions:
            for cid in q.relevant:
                row = kb.by_id.get(cid)
                if row is not None:
                    c = kb.chunks[row]
                    out[cid] = (paths.get(c.meta.doc_id, c.meta.doc_id), c.text)
        return out


@dataclass(frozen=True)
class SystemSpec:
    name: str
    description: str
    factory: Callable[[SetContext], System]
    tuned: bool = False  # uses the hybrid weights tuned on dev, so asking for it runs the tuning
    test_only: str = ""  # why it runs on the test split only (then its abstention threshold is the best hybrid's)
    reranks: bool = False  # re-orders the best hybrid's results: its gain is part of the recommendation
    built_on_best: bool = False  # also compared with the best hybrid it is built on
    mapping_rule: str = ""  # how its own units are credited to our chunks (shown in the report)


def _bge(ctx: SetContext) -> System:
    from .bge import build_bge_kb

    kb = ctx.kb
    bge_kb = build_bge_kb(kb.settings, [ctx.corpus], ctx.tmp / f"{ctx.name}-bge",
                          chunk_counter=kb.embedder.token_counter,
                          progress=lambda st, d, t: ctx.progress(f"{ctx.name}: bge-small index", d, t))
    if set(bge_kb.by_id) != set(kb.by_id):
        ctx.warnings.append(f"{ctx.name}: the bge-small index has different chunks")
    return KBSystem("bge-small", bge_kb, "hybrid", expand_acronyms=ctx.expand_best, **ctx.tuned)


def _rerank(ctx: SetContext) -> System:
    # Exactly the app's configuration: the set's index with the run's Settings (weights, rrf_k, acronym
    # expansion as shipped, not the dev-tuned ones) and its top rerank_candidates re-ordered.
    base = KBSystem("app-hybrid", ctx.kb, "hybrid")
    return RerankSystem("hybrid+rerank", base, ctx.reranker(), depth=ctx.kb.settings.rerank_candidates)


BUILT_IN = [
    SystemSpec("bm25", "bm25s keyword search only (stemmed, stopwords removed), no acronym expansion",
               lambda c: KBSystem("bm25", c.kb, "keyword", expand_acronyms=False)),
    SystemSpec("dense", "all-MiniLM-L6-v2 + exact FAISS only, no acronym expansion",
               lambda c: KBSystem("dense", c.kb, "dense", expand_acronyms=False)),
    SystemSpec("hybrid", "RRF fusion of dense and keyword, weights and rrf_k tuned on dev, no acronym expansion",
               lambda c: KBSystem("hybrid", c.kb, "hybrid", expand_acronyms=False, **c.tuned), tuned=True),
    SystemSpec("hybrid+acronyms", "tuned hybrid with glossary expansion of acronyms in the question",
               lambda c: KBSystem("hybrid+acronyms", c.kb, "hybrid", expand_acronyms=True, **c.tuned), tuned=True),
    SystemSpec("hybrid+rerank", "the app's configuration: hybrid with the shipped weights and acronym "
               "expansion, its top rerank_candidates re-ordered by ms-marco-MiniLM-L-12-v2 (int8 ONNX "
               "cross-encoder)", _rerank, tuned=True, test_only="the cross-encoder needs no tuning", reranks=True,
               built_on_best=True),
    SystemSpec("bge-small", "best hybrid configuration with bge-small-en-v1.5 (int8 ONNX) as the dense model",
               _bge, tuned=True, built_on_best=True),
]


def _plugin_hooks() -> list:
    """The modules registered under the ``wtkb.systems`` entry-point group."""
    return [ep.load() for ep in entry_points(group=ENTRY_POINT_GROUP)]


@functools.cache
def registry() -> dict[str, SystemSpec]:
    """Every known system in report order: the built-in ones, then the plugins'."""
    table = {s.name: s for s in BUILT_IN}
    for hooks in _plugin_hooks():
        register = getattr(hooks, "register_systems", None)
        if register is not None:
            register(lambda spec: table.setdefault(spec.name, spec))
    return table


@functools.cache
def corpus_builders() -> dict[str, Callable[[Path], Path]]:
    """Gold-set kind -> a function that writes that set's corpus into a folder (plugins)."""
    table: dict[str, Callable[[Path], Path]] = {}
    for hooks in _plugin_hooks():
        register = getattr(hooks, "register_corpora", None)
        if register is not None:
            register(lambda kind, build: table.setdefault(kind, build))
    return table


def choose(names: list[str] | None) -> list[SystemSpec]:
    """The specs for ``names`` (all when None), in report order; ValueError for an unknown name."""
    table = registry()
    wanted = list(dict.fromkeys(names)) if names else list(table)
    unknown = [n for n in wanted if n not in table]
    if unknown:
        raise ValueError(f"unknown system {unknown[0]!r}; choose from {', '.join(table)}")
    return [spec for name, spec in table.items() if name in wanted]
