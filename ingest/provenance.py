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
import os
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


# ------------------------------------------------------------------ recording a verification (`wtkb verify`)

def _entry_block(doc_id: str, sha256: str, title: str, kind: str) -> str:
    kind = kind if kind in ("guidance", "framework", "summary") else "guidance"
    # JSON string escapes are valid TOML basic strings, so any title stays one value.
    return ("\n[[source]]\n" + f"id = {json.dumps(doc_id)}\n" + f"title = {json.dumps(title or doc_id)}\n"
            + f"kind = {json.dumps(kind)}\nofficial = true\n" + f"sha256 = {json.dumps(sha256)}\n")


def _with_pin(text: str, doc_id: str, sha256: str) -> str:
    """The manifest text with ``sha256 = "…"`` added under the entry's ``id = "…"`` line."""
    line = re.compile(rf"""^([ \t]*id[ \t]*=[ \t]*(["']){re.escape(doc_id)}\2[ \t]*(?:#.*)?)$""", re.M)
    found = list(line.finditer(text))
    if len(found) != 1:
        raise IngestError(f"'{doc_id}' is in the manifest but its id line could not be found once; add "
                          f'sha256 = "{sha256}" to its entry by hand')
    end = found[0].end()
    return text[:end] + f"\nsha256 = {json.dumps(sha256)}" + text[end:]


def pin_sha256(sources_file: Path, doc_id: str, sha256: str, title: str = "", kind: str = "guidance") -> str:
    """Record that the file whose bytes hash to ``sha256`` is the official document ``doc_id``: add the
    hash to its ``sources.toml`` entry, or add an entry. Returns what was done ("pinned", "added",
    "already pinned"). The file is replaced whole and read back; a manifest that would not read back
    with this pin is left as it was and IngestError names the fix."""
    sources_file = Path(sources_file)
    if not valid_id(doc_id):
        raise IngestError(f"'{doc_id}' is not a document id (lower-case letters, digits, '.', '_' and '-')")
    if not SHA_RE.match(sha256 or ""):
        raise IngestError(f"'{sha256}' is not a sha256 (64 lower-case hex digits, from `sha256sum FILE`)")
    sources = load_sources(sources_file)
    entry = sources.get(doc_id)
    existed = sources_file.exists()
    original = sources_file.read_text(encoding="utf-8") if existed else ""
    if entry is not None and entry.get("official", True) is not True:
        raise IngestError(f"{sources_file}: '{doc_id}' is marked official = false; change that by hand first")
    if entry is not None and entry.get("sha256") == sha256:
        return "already pinned"
    if entry is not None and entry.get("sha256"):
        raise IngestError(f"{sources_file}: '{doc_id}' already pins another sha256 ({entry['sha256'][:12]}…); "
                          "if the published file changed, replace that value by hand")
    text = _with_pin(original, doc_id, sha256) if entry is not None else (
        original.rstrip("\n") + "\n" + _entry_block(doc_id, sha256, title, kind))
    _replace_checked(sources_file, text, original if existed else None, doc_id, sha256)
    return "pinned" if entry is not None else "added"


def _replace_checked(sources_file: Path, text: str, original: str | None, doc_id: str, sha256: str) -> None:
    """Write ``text`` atomically and read the pin back; on failure put back ``original`` (None: no file)."""
    tmp = sources_file.with_name(sources_file.name + ".wtkb-tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, sources_file)
        if load_sources(sources_file).get(doc_id, {}).get("sha256") != sha256:
            raise IngestError(f"{sources_file}: the pin for '{doc_id}' did not read back; add it by hand")
    except (OSError, IngestError) as e:
        tmp.unlink(missing_ok=True)
        if original is None:
            sources_file.unlink(missing_ok=True)  # there was none: leave none
        else:
            sources_file.write_text(original, encoding="utf-8")  # put the manifest back as it was
        if isinstance(e, IngestError):
            raise
        raise IngestError(f"{sources_file}: cannot be written ({type(e).__name__}); check the folder") from e
