"""Section 1, build: how much a full build of the bundled notes costs over the
bare model encoding the same texts, what the ONNX export adds to a first build,
and how fast a rebuild with nothing changed is.

Builds and raw encodes are interleaved in a rotating order, so load from other
processes that drifts during the section hits every kind of run alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import index
from index import median

from .common import NOTES_DIR, PY, TARGETS, Update, dir_bytes, notes_settings, stepper
from .neighbours import neighbour_profile


@dataclass
class Rounds:
    """Every timed run of the interleaved rounds, in the order they ran."""

    st_builds: list = field(default_factory=list)  # BuildReports without the ONNX export
    onnx_builds: list = field(default_factory=list)  # BuildReports of first builds that export ONNX
    raws: list[float] = field(default_factory=list)  # seconds of one encode call over all texts
    batched: list[float] = field(default_factory=list)  # seconds of one encode call per batch


def _embed_progress(update: Update) -> Callable[[str, int, int], None]:
    """A build progress callback that shows only the embedding stage."""
    def progress(stage: str, done: int, total: int) -> None:
        if stage == "embed":
            update("  embedding", done, total)
    return progress


def _raw_encoders(st, bs: int) -> tuple[Callable[[list[str]], float], Callable[[list[str]], float]]:
    """Timers for the bare model: all texts in one call, and one call per batch in
    chunk order (as ``Embedder.encode`` drives the model)."""
    def encode_raw(texts: list[str]) -> float:
        t = time.perf_counter()
        st.encode(texts, batch_size=bs, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return time.perf_counter() - t

    def encode_batched(texts: list[str]) -> float:
        t = time.perf_counter()
        for i in range(0, len(texts), bs):
            st.encode(texts[i:i + bs], batch_size=bs, normalize_embeddings=True, convert_to_numpy=True,
                      show_progress_bar=False)
        return time.perf_counter() - t

    return encode_raw, encode_batched


def _run_rounds(work: Path, reps: int, emb, st, bs: int, texts: list[str], progress, step) -> Rounds:
    """Fresh builds without and with the ONNX export, raw encode and per-batch
    encode, ``reps`` rounds each, the order rotating from round to round."""
    rounds = Rounds()
    encode_raw, encode_batched = _raw_encoders(st, bs)

    def fresh_build(i: int, onnx: bool) -> None:
        s = notes_settings(work / f"build-{'onnx' if onnx else 'st'}-{i}", onnx_query_encoder=onnx)
        r = index.build(s, corpus_dirs=[NOTES_DIR], embedder=emb, progress=progress)
        if r.embedded != r.chunks:
            raise RuntimeError("a fresh build must embed every chunk")
        (rounds.onnx_builds if onnx else rounds.st_builds).append(r)

    steps = [lambda i: fresh_build(i, False), lambda i: rounds.raws.append(encode_raw(texts)),
             lambda i: fresh_build(i, True), lambda i: rounds.batched.append(encode_batched(texts))]
    for i in range(reps):
        for j in range(len(steps)):
            steps[(i + j) % len(steps)](i)
            step()
    return rounds


def _throughput(r: Rounds, n: int) -> dict:
    """Build against raw encode: medians, chunks/s and the paired overhead ratios."""
    build_s = median([b.seconds for b in r.st_builds])
    embed_s = median([b.embed_seconds for b in r.st_builds])
    raw_s = median(r.raws)
    paired = [b.seconds / x - 1 for b, x in zip(r.st_builds, r.raws)]
    return {
        "build_s_runs": [round(b.seconds, 2) for b in r.st_builds],
        "embed_s_runs": [round(b.embed_seconds, 2) for b in r.st_builds],
        "raw_encode_s_runs": [round(x, 2) for x in r.raws],
        "batched_encode_s_runs": [round(x, 2) for x in r.batched],
        "build_s": round(build_s, 2), "embed_s": round(embed_s, 2), "raw_encode_s": round(raw_s, 2),
        "batched_encode_s": round(median(r.batched), 2), "non_embed_s": round(build_s - embed_s, 2),
        "pipeline_chunks_per_s": round(n / build_s, 2), "raw_chunks_per_s": round(n / raw_s, 2),
        "overhead_pct_runs": [round(x * 100, 1) for x in paired],
        "overhead_pct": round(median(paired) * 100, 1),
        "embed_stage_overhead_pct": round(median([b.embed_seconds / x - 1 for b, x in zip(r.st_builds, r.raws)])
                                          * 100, 1),
        "batching_overhead_pct": round(median([b / x - 1 for b, x in zip(r.batched, r.raws)]) * 100, 1),
    }


def _first_build(r: Rounds) -> dict:
    """What a first build with the ONNX export costs against raw encode."""
    paired_onnx = [b.seconds / x - 1 for b, x in zip(r.onnx_builds, r.raws)]
    # What the export adds to a first build, free of the (noisy) embed stage: the non-embed
    # time of each ONNX build minus that of the build without it in the same round.
    onnx_in_build = median([(o.seconds - o.embed_seconds) - (b.seconds - b.embed_seconds)
                            for o, b in zip(r.onnx_builds, r.st_builds)])
    return {
        "first_build_onnx_s_runs": [round(b.seconds, 2) for b in r.onnx_builds],
        "first_build_onnx_embed_s_runs": [round(b.embed_seconds, 2) for b in r.onnx_builds],
        "first_build_onnx_s": round(median([b.seconds for b in r.onnx_builds]), 2),
        "onnx_in_build_s": round(onnx_in_build, 2),
        "first_build_onnx_overhead_pct_runs": [round(x * 100, 1) for x in paired_onnx],
        "first_build_onnx_overhead_pct": round(median(paired_onnx) * 100, 1),
    }


def _time_export(st, emb, work: Path) -> tuple[float, bool]:
    """The ONNX export and its parity check on their own (seconds, whether it passed)."""
    t = time.perf_counter()
    ok = index.export_onnx_encoder(st, Path(emb.spec.location), work / "export-check.onnx")
    export_s = time.perf_counter() - t
    (work / "export-check.onnx").unlink(missing_ok=True)
    return export_s, bool(ok)


def _rebuilds(settings, emb, progress, step) -> list[float]:
    """Three rebuilds of an unchanged corpus (each must embed nothing)."""
    rebuilds = []
    for _ in range(3):
        r = index.build(settings, corpus_dirs=[NOTES_DIR], embedder=emb, progress=progress)
        if r.embedded != 0:
            raise RuntimeError("a no-change rebuild must embed nothing")
        rebuilds.append(r.seconds)
        step()
    return rebuilds


def _live_index_profile(index_dir: Path, n: int) -> dict:
    """The real note embeddings' neighbour profile and the bytes per chunk of each
    file in the live version (the rebuilds published new versions)."""
    live, _ = index.read_manifest(index_dir)
    return {"real_neighbour_profile": neighbour_profile(np.load(live / "vectors.npy")),
            "bytes_per_chunk": {
                "chunks.jsonl": round((live / "chunks.jsonl").stat().st_size / n),
                "docs": round(dir_bytes(live / "docs") / n),
                "manifest": round((live / "manifest.json").stat().st_size / n),
                "encoder.onnx_total": (live / "encoder.onnx").stat().st_size if (live / "encoder.onnx").exists()
                else 0}}


def bench_build(work: Path, reps: int, update: Update) -> tuple[dict, dict]:
    """Full builds of the bundled notes vs raw encode throughput; ONNX export; no-change rebuild.
    Returns the figures and the index folders later sections reuse."""
    import torch

    base = notes_settings(work / "unused")
    emb = index.Embedder(base.model, base.embed_batch_size)
    t = time.perf_counter()
    st = emb.sentence_transformer()
    model_load_s = time.perf_counter() - t
    emb.encode(["warm up the model"] * 4)
    step = stepper(update, "build: fresh builds + raw encode", 4 * reps + 1 + 3)
    progress = _embed_progress(update)
    # the very texts a build embeds (same ingestion, same header choice)
    ingested, _ = index.ingest_corpus(base, emb, [NOTES_DIR])
    texts = [c.embed_text if base.header_in_embedding else c.text for f in ingested for c in f.chunks]
    rounds = _run_rounds(work, reps, emb, st, base.embed_batch_size, texts, progress, step)
    n = rounds.st_builds[0].chunks
    if n != len(texts):
        raise RuntimeError(f"the build embedded {n} chunks but ingestion gave {len(texts)} texts")
    onnx_dir = work / "build-onnx-0"
    _, manifest = index.read_manifest(onnx_dir)
    export_s, ok = _time_export(st, emb, work)
    step()
    rebuilds = _rebuilds(notes_settings(onnx_dir), emb, progress, step)
    out = {"command": f"{PY} -m evals.bench --only build",
           "chunks": n, "texts": "chunk embed_text (header + text), as the build embeds them",
           "batch_size": base.embed_batch_size, "repetitions": reps, "torch_threads": torch.get_num_threads(),
           "model_load_s": round(model_load_s, 2), **_throughput(rounds, n), **_first_build(rounds),
           "onnx_export_s": round(export_s, 2), "onnx_export_ok": ok, "query_encoder": manifest.get("query_encoder"),
           "rebuild_s_runs": [round(x, 3) for x in rebuilds], "rebuild_s": round(median(rebuilds), 3),
           "target_overhead_pct": TARGETS["build_overhead_pct"]}
    out["meets_target"] = out["overhead_pct"] <= TARGETS["build_overhead_pct"]
    out.update(_live_index_profile(onnx_dir, n))
    # keep the last fresh sentence-transformers build for the query section
    return out, {"onnx": onnx_dir, "st": rounds.st_builds[-1].index_dir}


def build_indexes(work: Path, update: Update) -> dict:
    """Just the two indexes of the notes that the query and cold-start sections use."""
    base = notes_settings(work / "unused")
    emb = index.Embedder(base.model, base.embed_batch_size)
    step = stepper(update, "indexes for query/cold", 2)
    dirs = {}
    for key, onnx in (("onnx", True), ("st", False)):
        dirs[key] = work / f"index-{key}"
        index.build(notes_settings(dirs[key], onnx_query_encoder=onnx), corpus_dirs=[NOTES_DIR], embedder=emb)
        step()
    return dirs
