"""Which documents are official, and which ids are safe.

The rule, in one place: a document is official only when its id is an entry
of ``corpus/sources.toml`` marked official and the sha256 of its bytes is one
that wtkb trusts for that id: the hash ``wtkb fetch`` recorded in
``fetch.lock.json`` when it downloaded the file from an allowlisted host, or a
``sha256`` pinned in the entry itself. Nothing inside a file (front matter)
and nothing about its name can make it official; study notes never are.

Ids become file names in the index (``docs/<id>.txt``) and in
``corpus/official``, so they are checked against one pattern everywhere.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from .records import KINDS, IngestError, is_note_kind, slugify
from .safe_open import NotRegularFile, open_regular, read_regular_text

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
LOCK_NAME = "fetch.lock.json"
# Entry keys that must be text when present (sources.toml).
TEXT_KEYS = ("title", "short_title", "publisher", "edition", "kind", "landing_page", "file_url", "format",
             "licence", "found", "sha256", "supersedes", "edition_of")


def valid_id(doc_id) -> bool:
    """Safe as a file name on every platform: no '/', no '..', not absolute."""
    return isinstance(doc_id, str) and bool(ID_RE.match(doc_id)) and ".." not in doc_id


def id_from_name(stem: str) -> str:
    """A file name stem as an id (slugged, so always valid)."""
    return stem if valid_id(stem) else slugify(stem)


def _entry_problem(entry, i: int) -> str:
    """Why a ``[[source]]`` table is unusable ("" when it is fine)."""
    if not isinstance(entry, dict):
        return f"[[source]] number {i} is not a table"
    doc_id = entry.get("id")
    if doc_id is None:
        return f"[[source]] number {i} has no id; add id = \"...\""
    if not valid_id(doc_id):
        return (f"[[source]] number {i} has id {doc_id!r}; ids must be lower-case letters, digits, '.', '_' "
                "and '-', starting with a letter or digit")
    for key in TEXT_KEYS:
        if key in entry and not isinstance(entry[key], str):
            return f"[[source]] '{doc_id}': {key} must be a quoted string"
    if "official" in entry and not isinstance(entry["official"], bool):
        return f"[[source]] '{doc_id}': official must be true or false (without quotes)"
    if entry.get("kind", "guidance") not in KINDS:
        return f"[[source]] '{doc_id}': kind must be one of {', '.join(KINDS)}"
    if "sha256" in entry and not SHA_RE.match(entry["sha256"]):
        return f"[[source]] '{doc_id}': sha256 must be 64 lower-case hex digits (from `sha256sum FILE`)"
    hosts = entry.get("allowed_hosts", [])
    if not isinstance(hosts, (list, str)) or (isinstance(hosts, list) and
                                              not all(isinstance(h, str) for h in hosts)):
        return f"[[source]] '{doc_id}': allowed_hosts must be a list of host names"
    return ""


def load_sources(sources_file: Path | None) -> dict[str, dict]:
    """The source manifest (corpus/sources.toml) keyed by document id.

    A broken file, or an entry without a valid id, raises IngestError naming
    the file and the fix: guessing would risk mislabelling official text."""
    if not sources_file or not Path(sources_file).exists():
        return {}
    try:
        with open_regular(sources_file) as f:  # a pipe named sources.toml must not hang a build
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise IngestError(f"{sources_file}: not valid TOML ({e}); fix it (see the comments at its top)") from e
    except (OSError, UnicodeDecodeError) as e:
        why = e.strerror if isinstance(e, NotRegularFile) else type(e).__name__
        raise IngestError(f"{sources_file}: cannot be read ({why}); check the file") from e
    entries = data.get("source", [])
    if not isinstance(entries, list):
        raise IngestError(f"{sources_file}: 'source' must be a list of [[source]] tables; fix the file")
    out: dict[str, dict] = {}
    for i, entry in enumerate(entries, start=1):
        problem = _entry_problem(entry, i)
        if not problem and entry["id"] in out:
            problem = f"id '{entry['id']}' is listed twice"
        if problem:
            raise IngestError(f"{sources_file}: {problem}; fix it and run again")
        out[entry["id"]] = entry
    return out


def read_lock(folder: Path) -> dict[str, dict]:
    """``fetch.lock.json`` in ``folder`` as {id: record}; unreadable means empty."""
    try:
        data = json.loads(read_regular_text(Path(folder) / LOCK_NAME))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}


def trusted_hashes(sources: dict[str, dict], official_dir: Path | None) -> dict[str, set[str]]:
    """For each official manifest id, the sha256 values that prove a file is that document."""
    lock = read_lock(official_dir) if official_dir else {}
    out: dict[str, set[str]] = {}
    for doc_id, entry in sources.items():
        if entry.get("official", True) is not True:
            continue
        hashes = {entry["sha256"]} if isinstance(entry.get("sha256"), str) else set()
        recorded = lock.get(doc_id, {}).get("sha256")
        if isinstance(recorded, str) and SHA_RE.match(recorded):
            hashes.add(recorded)
        if hashes:
            out[doc_id] = hashes
    return out


def is_official(doc_id: str, sha256: str, kind: str, trusted: dict[str, set[str]] | None) -> bool:
    """THE rule: verified bytes of an official manifest document, and never a study note."""
    return not is_note_kind(kind) and bool(trusted) and sha256 in trusted.get(doc_id, set())


def unverified_warning(path: Path, doc_id: str) -> str:
    return (f"{path}: named like the official document '{doc_id}' but its sha256 is not the one `wtkb fetch` "
            "recorded or sources.toml pins; indexed as unofficial. Run `wtkb fetch`, or add "
            f"sha256 = \"...\" (from `sha256sum`) to its entry if you downloaded it by hand")
