"""One index per gold set, built over the corpus the set was judged against.

``notes`` sets use the bundled notes, ``labels`` sets the file in a folder the
user supplies whose name holds the set's ``document`` words
(``gold.document_for``), and the ``fixture`` set a generated PDF whose builder
a plugin registers (it needs fpdf2, which the library does not depend on). Indexes live
under ``var/eval/`` next to the live index; unchanged chunks reuse their
vectors, so reruns are quick.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.config import PROJECT_ROOT, Settings

from .gold import GoldSet, check_ids, document_for, labels_to_chunks
from .registry import Progress, corpus_builders


@dataclass
class OpenedSet:
    gold: GoldSet
    kb: object  # KnowledgeBase
    corpus: Path


def work_dir(settings: Settings) -> Path:
    return Path(settings.index_dir).parent / "eval"


def corpus_for(gs: GoldSet, settings: Settings, work: Path, corpus: Path | None = None) -> Path:
    """The folder a gold set's index is built from (see the module docstring)."""
    if gs.kind == "labels":
        if corpus is None or not Path(corpus).exists():
            raise ValueError(f"{gs.path}: this set is judged by paragraph label over a document you supply; "
                             "pass --corpus FOLDER holding it (e.g. the KCSIE 2025 PDF)")
        return document_for(gs, Path(corpus))
    if gs.kind == "fixture":
        build = corpus_builders().get(gs.kind)
        if build is None:
            raise ValueError(f"{gs.path}: no installed plugin builds the '{gs.kind}' corpus; reinstall wtkb "
                             "with its evals package (make install)")
        return build(work / f"{gs.kind}-corpus")
    notes = [Path(d) for d in settings.corpus_dirs if Path(d).exists() and Path(d) != Path(settings.official_dir)]
    return notes[0] if notes else PROJECT_ROOT / "corpus" / "notes"


def open_index(gs: GoldSet, settings: Settings, work: Path, progress: Progress, user_corpus: Path | None = None):
    """Build (reusing unchanged vectors) and load the index for a gold set."""
    from index.build import build
    from index.retrieve import KnowledgeBase

    corpus = corpus_for(gs, settings, work, user_corpus)
    s = settings.replace(index_dir=work / f"{gs.name}-index", corpus_dirs=(corpus,))

    def tick(stage, done, total):
        progress(f"{gs.name}: {'reading' if stage == 'read' else 'embedding'} corpus", done, total)

    report = build(s, corpus_dirs=[corpus], progress=tick)
    return KnowledgeBase.load(s), corpus, report


def open_all(sets: list[GoldSet], settings: Settings, work: Path, progress: Progress,
             user_corpus: Path | None, warnings: list[str]) -> dict[str, OpenedSet]:
    """Every set's index, with label sets mapped to chunks and gold ids checked."""
    opened = {}
    for gs in sets:
        kb, folder, build_report = open_index(gs, settings, work, progress, user_corpus)
        if gs.kind == "labels":
            warnings += labels_to_chunks(gs, kb)
        warnings += check_ids(gs, kb) + [f"{gs.name}: build skipped {w}" for w in build_report.warnings]
        opened[gs.name] = OpenedSet(gs, kb, folder)
    return opened
