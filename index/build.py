"""Build: corpus folders → chunks → vectors + keyword index → a new index version.

Bad files are reported one line each and skipped; the build goes on with the
rest. Chunks whose embedded text is unchanged reuse their vectors from the live
index (matched by content hash and model), so a rebuild with no changes embeds
nothing. The new version is written beside the old one and swapped in
atomically at the end, so a failed or killed build never harms a working index.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from ingest import PARSER_VERSION, IngestError, IngestedFile, Limits, discover, ingest_file, load_sources, trusted_hashes
from ingest.provenance import valid_id
from ingest.records import Chunk
from ingest.config import Settings, display_path

from . import store, vectors
from .embed import Embedder
from .keyword import KeywordIndex

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)

VERSIONED = ["sentence-transformers", "faiss-cpu", "bm25s", "pypdf", "torch", "transformers", "llama-index-core",
             "numpy", "tokenizers"]


@dataclass
class BuildReport:
    index_dir: Path
    version: Path | None = None
    documents: list[dict] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _previous_vectors(index_dir: Path, model_identity: str) -> dict[str, np.ndarray]:
    """Vectors of the live index keyed by content hash, when built with the same model."""
    try:
        version, manifest = store.read_manifest(index_dir, hold_version=False)
        if manifest.get("model", {}).get("identity") != model_identity:
            return {}
        old_chunks = store.read_chunks(version)
        old_vecs = np.load(version / "vectors.npy")
        if len(old_chunks) != len(old_vecs):
            return {}
        hashes = manifest.get("content_hashes") or [c.content_hash for c in old_chunks]
        return dict(zip(hashes, old_vecs))
    except (store.IndexError_, OSError, ValueError, KeyError, json.JSONDecodeError):
        return {}


def _query_encoder(settings: Settings, embedder: Embedder, index_dir: Path, version: Path) -> str:
    """Put an ONNX copy of the model in the new version: linked from the live
    version when the model is unchanged, else exported and parity-checked."""
    if not settings.onnx_query_encoder:
        return "sentence-transformers"
    dest = version / "encoder.onnx"
    try:
        live, manifest = store.read_manifest(index_dir, hold_version=False)
        if (manifest.get("model", {}).get("identity") == embedder.identity
                and manifest.get("query_encoder") == "onnxruntime" and (live / "encoder.onnx").exists()):
            try:
                os.link(live / "encoder.onnx", dest)
            except OSError:
                shutil.copyfile(live / "encoder.onnx", dest)
            return "onnxruntime"
    except store.IndexError_:
        pass
    from .onnx_encoder import export

    ok = export(embedder.sentence_transformer(), Path(embedder.spec.location), dest)
    return "onnxruntime" if ok else "sentence-transformers"


def _write_error(index_dir: Path, e: OSError) -> store.IndexError_:
    """Disk full, read-only folder, ...: one line; the live index is untouched."""
    reason = e.strerror or str(e) or type(e).__name__
    fix = "free some disk space" if e.errno in (errno.ENOSPC, errno.EDQUOT) else \
        "check that the folder is writable (or choose another with --index)"
    return store.IndexError_(f"{index_dir}: could not write the new index ({reason}); {fix} and build again. "
                             "The existing index was not changed")


def _doc_path(version: Path, doc_id: str) -> Path:
    """Where a document's text goes; ids were validated on load, and this
    refuses anything that would still land outside ``docs/``."""
    if not valid_id(doc_id):
        raise store.IndexError_(f"document id {doc_id!r} is not a safe file name; fix it and build again")
    return version / "docs" / f"{doc_id}.txt"


def corpus_fingerprint(files: list[Path]) -> dict[str, str]:
    """sha256 of every corpus file, so staleness can be judged without re-reading them."""
    from ingest.records import file_sha256

    out = {}
    for f in files:
        try:
            out[display_path(f)] = file_sha256(f)
        except OSError:
            continue
    return out


def ingest_corpus(settings: Settings, embedder: Embedder, corpus_dirs: list[Path],
                  progress: Progress | None = None,
                  files: list[Path] | None = None) -> tuple[list[IngestedFile], list[str]]:
    """Ingest every readable file, skipping bad and duplicate ones with a warning each."""
    found, warnings = discover(corpus_dirs, settings.follow_links_outside_corpus)
    files = found if files is None else files
    sources = load_sources(settings.sources_file)
    trusted = trusted_hashes(sources, settings.official_dir)
    limits = Limits.from_settings(settings)
    count = embedder.token_counter()
    results: list[IngestedFile] = []
    for i, path in enumerate(files, start=1):
        try:
            results.append(ingest_file(path, sources, settings.max_tokens, count, trusted=trusted, limits=limits))
        except IngestError as e:
            warnings.append(str(e))
        except (RecursionError, MemoryError, UnicodeError, ValueError) as e:
            warnings.append(f"{path}: could not be parsed ({type(e).__name__}); check the file or remove it")
        if progress:
            progress("read", i, len(files))
    done, skipped = _deduplicate(results)
    return done, warnings + skipped


def _deduplicate(results: list[IngestedFile]) -> tuple[list[IngestedFile], list[str]]:
    """One document per content and per id. Verified official documents go
    first, so a file that borrows an official id can never displace the real one."""
    done: list[IngestedFile] = []
    warnings: list[str] = []
    by_sha: dict[str, Path] = {}
    by_id: dict[str, Path] = {}
    for result in sorted(results, key=lambda r: not r.document.meta.official):
        doc, path = result.document, result.document.path
        if doc.sha256 in by_sha:
            warnings.append(f"{path}: same content as {by_sha[doc.sha256]}; skipped as a duplicate")
        elif doc.meta.doc_id in by_id:
            warnings.append(f"{path}: document id '{doc.meta.doc_id}' is already used by {by_id[doc.meta.doc_id]}; "
                            "give it another id (front matter 'id' or file name) and rebuild")
        else:
            by_sha[doc.sha256] = path
            by_id[doc.meta.doc_id] = path
            done.append(result)
            warnings.extend(result.warnings)
    return done, warnings


def _dirs_to_read(settings: Settings, corpus_dirs: list[Path] | None) -> list[Path]:
    """The folders to read. The default official folder only exists after
    `wtkb fetch`, so its absence is normal and it is then left out."""
    return [Path(d) for d in corpus_dirs] if corpus_dirs else \
        [Path(d) for d in settings.corpus_dirs if Path(d).exists() or Path(d) != Path(settings.official_dir)]


def _all_chunks(ingested: list[IngestedFile], dirs: list[Path]) -> list[Chunk]:
    """Every chunk in document order; an empty corpus stops the build before
    anything is written, so the live index stays as it was."""
    chunks: list[Chunk] = [c for f in ingested for c in f.chunks]
    if not chunks:
        where = ", ".join(str(d) for d in dirs)
        raise store.IndexError_(f"no readable documents in {where}; add PDF/HTML/Markdown/text files "
                                "(or run `wtkb fetch`) and build again. The existing index was not changed")
    return chunks


@dataclass
class _Embedded:
    """Row i of each field belongs to chunk i: the text that was embedded,
    its content hash (the reuse key) and its vector."""
    texts: list[str]
    hashes: list[str]
    vectors: np.ndarray


def _encode(embedder: Embedder, texts: list[str], progress: Progress | None) -> np.ndarray:
    """Embed ``texts``, turning the embedder's per-batch counts into a running total for the progress bar."""
    done = 0

    def tick(n):
        nonlocal done
        done += n
        if progress:
            progress("embed", done, len(texts))

    return embedder.encode(texts, progress=tick)


def _embed(settings: Settings, embedder: Embedder, index_dir: Path, chunks: list[Chunk],
           progress: Progress | None, report: BuildReport) -> _Embedded:
    """Vectors for every chunk. Unchanged chunks take theirs from the live
    index, so only new or edited text pays for the model."""
    cache = _previous_vectors(index_dir, embedder.identity)
    texts = [c.embed_text if settings.header_in_embedding else c.text for c in chunks]
    hashes = [c.content_hash for c in chunks]
    todo = [i for i, h in enumerate(hashes) if h not in cache]
    dim = embedder.dim if todo else len(next(iter(cache.values())))
    vecs = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h in cache:
            vecs[i] = cache[h]
    if todo:
        te = time.perf_counter()
        vecs[todo] = _encode(embedder, [texts[i] for i in todo], progress)
        report.embed_seconds = time.perf_counter() - te
    report.embedded, report.reused = len(todo), len(chunks) - len(todo)
    return _Embedded(texts, hashes, vecs)


def _new_version(index_dir: Path) -> Path:
    """An empty version folder; failing to make one is a disk problem, reported as such."""
    try:
        return store.new_version_dir(index_dir)
    except OSError as e:
        raise _write_error(index_dir, e) from e


def _write_files(settings: Settings, embedder: Embedder, index_dir: Path, version: Path,
                 ingested: list[IngestedFile], chunks: list[Chunk], embedded: _Embedded) -> str:
    """Everything in the version folder except the manifest, which is written
    last; returns which query encoder the version carries."""
    np.save(version / "vectors.npy", embedded.vectors)
    query_encoder = _query_encoder(settings, embedder, index_dir, version)
    vectors.save(vectors.build(embedded.vectors, settings.exact_search_max), version / "vectors.faiss")
    KeywordIndex.build([c.keyword_text(t) for c, t in zip(chunks, embedded.texts)]).save(version / "bm25")
    store.write_chunks(version, chunks)
    (version / "docs").mkdir()
    for f in ingested:
        _doc_path(version, f.document.meta.doc_id).write_text(f.text, encoding="utf-8")
    return query_encoder


def _document_entries(ingested: list[IngestedFile]) -> list[dict]:
    """One manifest row per document: what the app shows about it and what staleness checks compare."""
    return [{
        "doc_id": f.document.meta.doc_id, "title": f.document.meta.title,
        "short_title": f.document.meta.short_title, "edition": f.document.meta.edition,
        "kind": f.document.meta.kind, "official": f.document.meta.official, "url": f.document.meta.url,
        "covers_doc": f.document.meta.covers_doc, "covers_chapter": f.document.meta.covers_chapter,
        "path": display_path(f.document.path), "sha256": f.document.sha256, "format": f.document.fmt,
        "pages": f.document.pages, "chunks": len(f.chunks), "footnotes_removed": len(f.footnotes),
        "coverage": f.coverage,
    } for f in ingested]


def _manifest(settings: Settings, embedder: Embedder, embedded: _Embedded, query_encoder: str,
              report: BuildReport, dirs: list[Path], fingerprint: dict[str, str], t0: float) -> dict:
    """The version's description: enough to reuse its vectors, judge its
    staleness and reproduce it (model, chunker, library versions)."""
    vecs = embedded.vectors
    return {
        "model": {"name": getattr(embedder, "name", settings.model), "identity": embedder.identity,
                  "dim": int(vecs.shape[1])},
        "chunker": {"max_tokens": settings.max_tokens, "header_in_embedding": settings.header_in_embedding,
                    "parser_version": PARSER_VERSION},
        "vector_index": "exact" if len(vecs) <= settings.exact_search_max else "hnsw",
        "query_encoder": query_encoder,
        "sources": report.documents,
        "corpus_dirs": [display_path(d) for d in dirs],
        "corpus_files": fingerprint,
        "chunk_count": len(embedded.hashes),
        "content_hashes": embedded.hashes,
        "versions": _versions(),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - t0, 2),
        "warnings": report.warnings,
    }


def build(settings: Settings, corpus_dirs: list[Path] | None = None, progress: Progress | None = None,
          embedder: Embedder | None = None) -> BuildReport:
    """Build a new index version from the corpus and make it live."""
    t0 = time.perf_counter()
    index_dir = Path(settings.index_dir)
    report = BuildReport(index_dir=index_dir)
    embedder = embedder or Embedder(settings.model, settings.embed_batch_size)
    dirs = _dirs_to_read(settings, corpus_dirs)

    with store.build_lock(index_dir):
        # Fingerprint the corpus as found at the start, so a file changed
        # mid-build makes the next `--if-stale` build again.
        files, _ = discover(dirs, settings.follow_links_outside_corpus)
        fingerprint = corpus_fingerprint(files)
        ingested, report.warnings = ingest_corpus(settings, embedder, dirs, progress, files=files)
        chunks = _all_chunks(ingested, dirs)
        embedded = _embed(settings, embedder, index_dir, chunks, progress, report)
        version = _new_version(index_dir)
        try:
            query_encoder = _write_files(settings, embedder, index_dir, version, ingested, chunks, embedded)
            report.documents = _document_entries(ingested)
            manifest = _manifest(settings, embedder, embedded, query_encoder, report, dirs, fingerprint, t0)
            store.write_manifest(version, manifest)
            store.publish(index_dir, version, settings.version_grace_s)
        except OSError as e:
            store.discard(index_dir, version)
            raise _write_error(index_dir, e) from e
        except BaseException:
            store.discard(index_dir, version)
            raise
        report.version = version
        report.chunks = len(chunks)
        report.seconds = time.perf_counter() - t0
        return report


def staleness(settings: Settings, corpus_dirs: list[Path] | None = None) -> str:
    """Why the index needs rebuilding ("" when it is current): no index, or
    corpus files added, removed or changed since the build."""
    if store.current_version(settings.index_dir) is None:
        return "there is no index yet"
    try:
        _, manifest = store.read_manifest(settings.index_dir, hold_version=False)
    except store.IndexError_ as e:
        return str(e)
    files, _ = discover([Path(d) for d in (corpus_dirs or settings.corpus_dirs) if Path(d).exists()],
                        settings.follow_links_outside_corpus)
    if corpus_fingerprint(files) != manifest.get("corpus_files"):
        return "corpus files were added, removed or changed since the last build"
    if manifest.get("chunker", {}).get("parser_version") != PARSER_VERSION:
        return "this wtkb reads documents differently from the one that built the index"
    return ""
