"""A light query encoder: the same model exported to ONNX, run by onnxruntime.

Importing sentence-transformers takes about ten seconds, which would make the
first answer of every CLI call or app start slow. At build time the model is
exported to ONNX once and checked against sentence-transformers (cosine of
the two encodings ≥ 0.9999 on sample texts, or the export is discarded). At
query time only onnxruntime and tokenizers are imported, well under a second.

Only the pooling modes sentence-transformers models commonly use (mean, CLS)
are supported; for anything else the index simply has no ONNX encoder and
queries fall back to sentence-transformers.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PARITY_MIN_COSINE = 0.9999
PARITY_TEXTS = [
    "What should a teacher do if a child discloses abuse?",
    "Lead safeguarding partners share responsibility for local arrangements, and each may delegate "
    "functions to a senior officer who can speak for the agency. " * 6,
    "LADO",
]


def pooling_mode(model_dir: Path) -> str | None:
    """"mean" or "cls" from the model's pooling config; None if unsupported."""
    cfg = model_dir / "1_Pooling" / "config.json"
    if not cfg.exists():
        return None
    data = json.loads(cfg.read_text())
    flags = {k for k, v in data.items() if k.startswith("pooling_mode") and v}
    if flags == {"pooling_mode_mean_tokens"}:
        return "mean"
    if flags == {"pooling_mode_cls_token"}:
        return "cls"
    return None


def max_seq_length(model_dir: Path, default: int = 256) -> int:
    cfg = model_dir / "sentence_bert_config.json"
    if cfg.exists():
        return int(json.loads(cfg.read_text()).get("max_seq_length", default))
    return default


class OnnxEncoder:
    """Runs the exported model: unit float32 rows, like ``Encoder.encode``.
    It is a backend, not an ``Encoder``: it has no identity of its own (the
    index records the model's) and no query method; ``Embedder`` wraps it."""

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int = 0):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.pooling = pooling_mode(model_dir)
        if self.pooling is None:
            raise ValueError(f"{model_dir}: pooling mode not supported by the ONNX encoder")
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_seq_length(model_dir))
        self.tokenizer.enable_padding()
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        for i in range(0, len(texts), batch_size):
            with self._lock:  # the tokenizer's padding state is shared
                enc = self.tokenizer.encode_batch(texts[i:i + batch_size])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.array([e.type_ids for e in enc], dtype=np.int64)
            hidden = self.session.run(None, feed)[0]
            if self.pooling == "cls":
                vec = hidden[:, 0]
            else:
                vec = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            vec = vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            out.append(vec.astype(np.float32))
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)


def export(st_model, model_dir: Path, dest: Path) -> bool:
    """Export the transformer of a loaded SentenceTransformer to ``dest`` and
    check it against the original. Returns False (and leaves nothing) when the
    model cannot be exported faithfully."""
    if pooling_mode(model_dir) is None or not (model_dir / "tokenizer.json").exists():
        return False
    try:
        import torch

        transformer = st_model[0].auto_model.eval()
        names = ["input_ids", "attention_mask"]
        if "token_type_ids" in st_model.tokenizer.model_input_names:
            names.append("token_type_ids")

        class Wrapper(torch.nn.Module):
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, *args):
                return self.inner(**dict(zip(names, args))).last_hidden_state

        sample = st_model.tokenizer(PARITY_TEXTS[:2], padding=True, return_tensors="pt")
        axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
        tmp = dest.with_suffix(".tmp")
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Wrapper(transformer), tuple(sample[n] for n in names), str(tmp), input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17,
                              dynamo=False)
        reference = st_model.encode(PARITY_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
        candidate = OnnxEncoder(tmp, model_dir).encode(PARITY_TEXTS)
        worst = float(np.min(np.sum(reference * candidate, axis=1)))
        if worst < PARITY_MIN_COSINE:
            log.warning("ONNX export differs from the model (cosine %.5f); queries will use sentence-transformers",
                        worst)
            tmp.unlink(missing_ok=True)
            return False
        tmp.replace(dest)
        return True
    except Exception as e:  # noqa: BLE001 - an optional speed-up must never break a build
        log.warning("ONNX export skipped (%s: %s); queries will use sentence-transformers", type(e).__name__, e)
        dest.with_suffix(".tmp").unlink(missing_ok=True)
        return False
