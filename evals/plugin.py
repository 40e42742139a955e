"""What evals/ adds to the library's evaluation, found through the
``wtkb.systems`` entry-point group (pyproject.toml) rather than imported by it.

* the LlamaIndex baseline (it needs llama-index, which the library does not);
* the corpus of the fixture gold set: the generated PDF (it needs fpdf2).
"""

from __future__ import annotations

from pathlib import Path

from index import SetContext, SystemSpec


def _llamaindex(ctx: SetContext):
    from evals.systems import LlamaIndexSystem

    return LlamaIndexSystem(ctx.corpus, ctx.gold_text())


def _mapping_rule() -> str:
    from evals.systems import MAPPING_RULE

    return MAPPING_RULE


def register_systems(register) -> None:
    register(SystemSpec("llamaindex", "LlamaIndex defaults: SimpleDirectoryReader, SentenceSplitter, "
                        "VectorStoreIndex, same MiniLM", _llamaindex, mapping_rule=_mapping_rule()))


def _fixture_corpus(folder: Path) -> Path:
    from evals.fixture_pdf import build_fixture

    folder.mkdir(parents=True, exist_ok=True)
    build_fixture(folder / "sample-guidance.pdf")
    return folder


def register_corpora(register) -> None:
    register("fixture", _fixture_corpus)
