"""Markdown front matter: bounded YAML, every field checked by type.

YAML is parsed only after its size is checked and its aliases counted (an
alias bomb expands a few hundred bytes into gigabytes); fields with the wrong
type are refused with their name, never coerced (the string "false" is not
false).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .limits import Limits
from .records import KINDS, IngestError

TEXT_FIELDS = ("id", "title", "short_title", "edition", "kind", "url", "publisher", "edition_of", "supersedes")
COVERS_FIELDS = ("doc", "chapter", "chapter_title")


def split(path: Path, raw: str, limits: Limits) -> tuple[str, str]:
    """(YAML text, body) of a file that starts with '---'."""
    parts = raw.split("\n---", 1)
    if len(parts) != 2:
        raise IngestError(f"{path}: front matter starts with '---' but never ends; close it with a '---' line")
    yaml_text = parts[0][3:]
    if len(yaml_text.encode("utf-8")) > limits.max_front_matter_bytes:
        raise IngestError(f"{path}: front matter is over the max_front_matter_bytes limit of "
                          f"{limits.max_front_matter_bytes:,}; shorten it")
    return yaml_text, parts[1].lstrip("-").lstrip("\n")


def _parse(path: Path, text: str, limits: Limits):
    import yaml

    try:
        aliases = sum(1 for ev in yaml.parse(text, Loader=yaml.SafeLoader) if isinstance(ev, yaml.AliasEvent))
        if aliases > limits.max_front_matter_aliases:
            raise IngestError(f"{path}: front matter uses {aliases} YAML alias(es) (*name), over the "
                              f"max_front_matter_aliases limit of {limits.max_front_matter_aliases}; "
                              "write the values out")
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        raise IngestError(f"{path}: front matter is not valid YAML{at}; fix it and rebuild") from e


def _text(path: Path, data: dict, key: str, where: str = "") -> None:
    value = data.get(key)
    if value is None:
        data.pop(key, None)  # "title:" with nothing after it means not given
        return
    if isinstance(value, date) and key == "edition":
        data[key] = value.isoformat()  # edition: 2023-12-15 unquoted is a YAML date
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key in ("chapter", "edition"):
        data[key] = str(value)  # chapter: 3 and edition: 2023 are plainly meant as text
        return
    if not isinstance(value, str):
        raise IngestError(f"{path}: front matter '{where}{key}' must be text, not "
                          f"{type(value).__name__}; quote it and rebuild")
    if not value.isascii() and any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):  # YAML "\ud800"
        raise IngestError(f"{path}: front matter '{where}{key}' holds an unpaired surrogate escape, which is "
                          "not text; remove it and rebuild")
    if "\n" in value.strip() or len(value) > 500:
        raise IngestError(f"{path}: front matter '{where}{key}' must be one short line; shorten it")


def _check(path: Path, data: dict) -> dict:
    for key in TEXT_FIELDS:
        _text(path, data, key)
    if "official" in data and not isinstance(data["official"], bool):
        raise IngestError(f"{path}: front matter 'official' must be true or false without quotes, not "
                          f"{data['official']!r}; fix it and rebuild")
    if data.get("kind") is not None and data["kind"] not in KINDS:
        raise IngestError(f"{path}: front matter 'kind' must be one of {', '.join(KINDS)}; fix it and rebuild")
    if data.get("url") and not data["url"].startswith("https://"):
        data["url"] = ""  # javascript:, http:, file: ... are never offered as links
    covers = data.get("covers")
    if covers is not None:
        if not isinstance(covers, dict):
            raise IngestError(f"{path}: front matter 'covers' must be a mapping with doc and chapter; "
                              "fix it and rebuild")
        covers = dict(covers)
        for key in COVERS_FIELDS:
            _text(path, covers, key, "covers.")
        data["covers"] = covers
    return data


def parse(path: Path, raw: str, limits: Limits) -> tuple[dict, str]:
    """(checked front matter, body); ({}, raw) when the file has none."""
    if not raw.startswith("---"):
        return {}, raw
    text, body = split(path, raw, limits)
    data = _parse(path, text, limits) or {}
    if not isinstance(data, dict):
        raise IngestError(f"{path}: front matter must be a YAML mapping of key: value lines; fix it and rebuild")
    return _check(path, dict(data)), body
