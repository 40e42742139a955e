"""Gold sets: the hand-written questions every system is scored against.

A gold set is a JSON Lines file, one question a line. Loading checks every
line and names the file and line in a one-line ``ValueError``, so a typo is
found before any index is built. A set is judged either by chunk id
(``relevant``) or by paragraph label (``labels``); label-judged sets are mapped
to the chunks that cite those paragraphs once the index is open.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest import discover
from ingest.config import PROJECT_ROOT

SPLITS = ("dev", "test")
GOLD_DIR = PROJECT_ROOT / "evals" / "gold"


@dataclass
class Question:
    id: str
    question: str
    relevant: dict[str, int]
    key_fact: str = ""
    out_of_scope: bool = False
    split: str = "test"
    tags: list[str] = field(default_factory=list)
    answer: str = ""  # regex (case-insensitive) a correct first key point must match
    labels: list[str] = field(default_factory=list)  # paragraph labels that answer it (label-judged sets)
    document: tuple[str, ...] = ()  # label-judged sets: words naming the file the labels refer to


def display(path: Path) -> str:
    """A path relative to the project when it is inside it (reports stay portable)."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise ValueError(f"{path}: gold file not found; expected JSON Lines with one question per line")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot read the gold file ({type(e).__name__})") from e


def _text_field(row: dict, key: str, where: str, what: str) -> str:
    value = row.get(key) or ""
    if not isinstance(value, str):
        raise ValueError(f"{where}: '{key}' must be {what}")
    return value.strip()


def _judgement(row: dict, where: str) -> tuple[dict[str, int], list[str], bool]:
    """The relevant chunks, the paragraph labels and the out-of-scope flag, checked together."""
    relevant = row.get("relevant", {})
    labels = row.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, (str, int)) for x in labels):
        raise ValueError(f"{where}: 'labels' must be a list of paragraph labels such as [\"67\"]")
    labels = [str(x) for x in labels]
    if not isinstance(relevant, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v in (0, 1, 2)
            for k, v in relevant.items()):
        raise ValueError(f"{where}: 'relevant' must map chunk ids to grades 1 or 2")
    relevant = {k: v for k, v in relevant.items() if v > 0}
    oos = row.get("out_of_scope", False)
    if not isinstance(oos, bool):
        raise ValueError(f"{where}: 'out_of_scope' must be true or false")
    if oos and relevant:
        raise ValueError(f"{where}: an out-of-scope question cannot have relevant chunks")
    if oos and labels:
        raise ValueError(f"{where}: an out-of-scope question cannot have paragraph labels")
    if not oos and not relevant and not labels:
        raise ValueError(f"{where}: an in-scope question needs at least one relevant chunk or label")
    return relevant, labels, oos


def _question(row: object, where: str, seen: set[str]) -> Question:
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object")
    qid, question = row.get("id"), row.get("question")
    if not isinstance(qid, (str, int)) or not str(qid).strip() or re.search(r"\s", str(qid)):
        raise ValueError(f"{where}: 'id' must be a non-empty string without spaces")
    qid = str(qid)
    if qid in seen:
        raise ValueError(f"{where}: duplicate id '{qid}'")
    seen.add(qid)
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"{where}: 'question' must be a non-empty string")
    relevant, labels, oos = _judgement(row, where)
    split = row.get("split", "test")
    if split not in SPLITS:
        raise ValueError(f"{where}: 'split' must be 'dev' or 'test', not {split!r}")
    key_fact = _text_field(row, "key_fact", where, "a string")
    answer = _text_field(row, "answer", where, "a string (a regular expression)")
    try:
        re.compile(answer)
    except re.error as e:
        raise ValueError(f"{where}: 'answer' is not a valid regular expression ({e})") from e
    tags = row.get("tags") or []
    if not isinstance(tags, list):
        raise ValueError(f"{where}: 'tags' must be a list")
    return Question(qid, question.strip(), relevant, key_fact, oos, split, [str(t) for t in tags], answer, labels,
                    _document(row, where))


def _document(row: dict, where: str) -> tuple[str, ...]:
    """The words (one string, or alternatives) a file's name must hold to be the document a
    label-judged set is about: "working together 2023" picks it out of a folder of several."""
    doc = row.get("document") or []
    doc = [doc] if isinstance(doc, str) else doc
    if not isinstance(doc, list) or not all(isinstance(d, str) and name_words(d) for d in doc):
        raise ValueError(f"{where}: 'document' must be words of the document's file name, such as "
                         "\"working together 2023\", or a list of such alternatives")
    return tuple(d.strip() for d in doc)


def name_words(text: str) -> set[str]:
    """Lower-case letters-and-digits runs: how file names and 'document' words are compared."""
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def load_gold(path: Path) -> list[Question]:
    """Read and check a gold set; any problem is a ValueError naming the file."""
    path = Path(path)
    out: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = f"{path}: line {n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: not valid JSON ({e.msg})") from e
        out.append(_question(row, where, seen))
    if not out:
        raise ValueError(f"{path}: the gold file holds no questions")
    return out


class GoldSet:
    """One gold file with its questions, its name (the file stem) and the kind of
    corpus it was judged against: the generated fixture PDF, a document the
    user supplies (paragraph labels), or the bundled notes."""

    def __init__(self, path: Path, questions: list[Question]):
        self.path = Path(path)
        self.name = self.path.stem
        self.questions = questions
        self.kind = ("fixture" if self.name.startswith("fixture")
                     else "labels" if any(q.labels for q in questions) else "notes")
        documents = {q.document for q in questions}
        if len(documents) > 1:
            raise ValueError(f"{self.path}: every question must name the same 'document' (found "
                             f"{len(documents)} different ones)")
        self.document = documents.pop() if documents else ()

    def names_file(self, path: Path) -> bool:
        """Whether a file's name holds all the words of one of the set's 'document' alternatives."""
        words = name_words(Path(path).name)
        return any(name_words(d) <= words for d in self.document)

    def split(self, name: str) -> list[Question]:
        return [q for q in self.questions if q.split == name]

    @property
    def has_dev(self) -> bool:
        dev = self.split("dev")
        return any(not q.out_of_scope for q in dev) and any(not q.out_of_scope for q in self.split("test"))

    def describe(self) -> dict:
        qs = self.questions
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        return {"name": self.name, "path": display(self.path), "sha256": digest,
                "questions": len(qs), "in_scope": sum(not q.out_of_scope for q in qs),
                "out_of_scope": sum(q.out_of_scope for q in qs),
                "dev": len(self.split("dev")), "test": len(self.split("test")), "corpus": self.kind}


def default_gold(corpus: Path | None = None, notes: list[str] | None = None) -> list[Path]:
    """Every evals/gold/*.jsonl; a set judged by paragraph label over a document the user
    supplies (kcsie2025.jsonl, wt2023.jsonl) only when ``corpus`` holds its document.
    Sets left out for that reason are named in ``notes``."""
    files = sorted(GOLD_DIR.glob("*.jsonl"), key=lambda p: (p.stem.startswith("fixture"), p.name))
    labelled = [f for f in files if _labelled(f)]
    keep = [f for f in labelled if corpus is not None and _document_in(f, Path(corpus))]
    if corpus is not None and labelled and not keep:
        wanted = "; ".join(f"{f.stem}: {' or '.join(_set(f).document) or 'any file'}" for f in labelled)
        raise ValueError(f"{corpus}: holds none of the documents the paragraph-labelled sets are about "
                         f"(file names with these words: {wanted}); add the file or rename it")
    if notes is not None and corpus is not None:
        notes += [f"{f.stem} skipped: {corpus} holds no file named with "
                  + " or ".join(f"'{d}'" for d in _set(f).document) for f in labelled if f not in keep]
    files = [f for f in files if f not in labelled or f in keep]
    if not files:
        raise ValueError(f"{display(GOLD_DIR)}: no gold sets (*.jsonl) found; pass --gold FILE")
    return files


def _labelled(path: Path) -> bool:
    try:
        return '"labels"' in path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _set(path: Path) -> GoldSet:
    return GoldSet(path, load_gold(path))


def _document_in(path: Path, corpus: Path) -> bool:
    try:
        document_for(_set(path), corpus)
        return True
    except ValueError:
        return False


def document_for(gs: GoldSet, corpus: Path) -> Path:
    """The file a label-judged set's index is built from. A file passed as the corpus is
    used as it is (the user chose it), and so is a folder when the set names no document;
    otherwise the one file in the folder whose name holds the set's 'document' words, so
    one folder can hold KCSIE 2025 and Working Together 2023 and each set gets its own."""
    corpus = Path(corpus)
    if corpus.is_file() or not gs.document:
        return corpus
    found = [p for p in discover([corpus])[0] if gs.names_file(p)]
    if len(found) == 1:
        return found[0]
    words = " or ".join(f"'{d}'" for d in gs.document)
    if not found:
        raise ValueError(f"{corpus}: no file whose name holds the words {words}, the document {gs.name} is "
                         "judged against; add it to the folder (or rename it), or pass the file with --corpus")
    raise ValueError(f"{corpus}: {len(found)} files are named with {words} ({', '.join(p.name for p in found)}); "
                     f"keep one, or pass the file {gs.name} is judged against with --corpus")


def load_sets(paths: list[Path]) -> list[GoldSet]:
    """Every gold file, checked, with distinct names (a name keys the report)."""
    sets = [GoldSet(p, load_gold(p)) for p in paths]
    seen: set[str] = set()
    for gs in sets:
        if gs.name in seen:
            raise ValueError(f"{gs.path}: two gold sets are named '{gs.name}'; rename one")
        seen.add(gs.name)
    return sets


def chunk_labels(chunk) -> list[str]:
    """The labels a passage answers to: its paragraph numbers as printed ("67", "4.12"),
    then its locator, the chunk id after the doc id ("app-a/intro#17"), which is how a
    gold set labels text under an unnumbered heading (the child protection steps, a glossary)."""
    return [str(p) for p in chunk.paragraphs] + [chunk.chunk_id.split(":", 1)[-1]]


def _cites(chunk, gold: set[str]) -> bool:
    return bool(gold & set(chunk_labels(chunk)))


def labels_to_chunks(gs: GoldSet, kb) -> list[str]:
    """Judge a labelled set by paragraph: every chunk whose citation holds a
    gold label (compared as strings), or whose locator is one, answers the question (grade 2)."""
    warnings = []
    for q in gs.questions:
        if not q.labels:
            continue
        gold = {str(x) for x in q.labels}
        rel = {c.chunk_id: 2 for c in kb.chunks if _cites(c, gold)}
        if not rel:
            warnings.append(f"{gs.name}: {q.id}: no chunk cites paragraph(s) {', '.join(sorted(gold))}")
            rel = {f"missing-paragraph:{'+'.join(sorted(gold))}": 2}
        q.relevant = rel
    return warnings


def check_ids(gs: GoldSet, kb) -> list[str]:
    """Warnings for gold chunk ids the index does not hold; an error when most are missing."""
    known = set(kb.by_id)
    cited = {c for q in gs.questions for c in q.relevant}
    missing = sorted(cited - known)
    if cited and len(missing) > len(cited) / 2:
        raise ValueError(f"{gs.path}: {len(missing)} of {len(cited)} relevant chunk ids are not in the index "
                         f"(e.g. {missing[0]}); the gold set does not match this corpus or chunker")
    return [f"{gs.name}: chunk id {c} is not in the index (counted as never retrieved)" for c in missing]
