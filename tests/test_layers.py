"""The layers point one way: ingest ← index ← shells (the CLI, the app, evals).

Read from the source with ``ast``, without importing anything but ``index``
itself (for its ``__all__``), so a forbidden import fails here even on a code
path no other test runs:

- ``ingest/`` and ``index/`` import nothing from ``wtkb``, ``app`` or ``evals``;
- the shells (app.py, the CLI modules, the diff view, the exports, the app's
  view helpers, and everything in evals/) reach the library only through the public API: ``import index``
  or ``from index import <public name>``, and ``index.<name>`` only for names in
  ``index.__all__``. Never ``index.store``, ``index.diff_kb``, ``ingest.*``...
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import index

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"index", "ingest", "wtkb", "evals", "app"}
SHELLS = sorted({ROOT / "app.py", ROOT / "wtkb" / "diff_view.py", ROOT / "wtkb" / "export.py",
                 ROOT / "wtkb" / "progress.py", *(ROOT / "wtkb").glob("cli*.py"), *(ROOT / "wtkb" / "ui").glob("*.py"),
                 *(ROOT / "evals").rglob("*.py")})


def _package(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def imports(path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """(absolute module, names taken from it, line) for every import in a file, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, (), node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = _package(path).split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.append((module, tuple(a.name for a in node.names), node.lineno))
    return found


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name}:{line}"


def shell_problems(path: Path, public: set[str], rel: str = "") -> list[str]:
    """Every way a shell file goes around the public API: importing a submodule of index or anything
    of ingest/app (or evals, from outside evals), importing a non-public name from index, or reading one
    as ``index.<name>``. A shell may import its own package and the shared shell code in wtkb."""
    bad = []
    own = rel.split("/")[0] if "/" in rel else ""
    for mod, names, line in imports(path):
        top = mod.split(".")[0]
        if top not in FIRST_PARTY or top in {"wtkb", own}:
            continue
        if mod != "index":
            bad.append(f"{_where(path, line)} imports {mod}")
            continue
        bad += [f"{_where(path, line)} imports index.{n}, not a public name" for n in names if n not in public]
    # ``import index as lib`` then ``lib.store...`` goes around the API as surely as an import does.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = {a.asname or a.name for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names if a.name == "index"}
    bad += [f"{_where(path, n.lineno)} reads index.{n.attr}" for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id in aliases
            and n.attr not in public]
    return bad


@pytest.mark.parametrize("package", ["ingest", "index"])
def test_the_library_imports_no_shell(package):
    bad = [f"{_where(p, line)} imports {mod}" for p in sorted((ROOT / package).rglob("*.py"))
           for mod, _, line in imports(p) if mod.split(".")[0] in {"wtkb", "app", "evals"}]
    assert not bad, "\n".join(bad)


def test_shells_use_only_the_public_api():
    assert len(SHELLS) >= 40 and ROOT / "wtkb" / "ui" / "evaluation.py" in SHELLS and ROOT / "evals" / "plugin.py" in SHELLS
    public = set(index.__all__)
    bad = [p for path in SHELLS for p in shell_problems(path, public, path.relative_to(ROOT).as_posix())]
    assert not bad, "\n".join(bad)


def test_the_check_catches_each_detour(tmp_path):
    shell = tmp_path / "shell.py"
    shell.write_text("import json\nimport index as lib\nfrom index import load, store\nfrom index.store import x\n"
                     "from ingest.chunk import chapter_label\n\n\ndef f():\n    from evals import run\n"
                     "    return lib.load, lib.store.current_version\n", encoding="utf-8")
    problems = shell_problems(shell, set(index.__all__))
    assert problems == ["shell.py:3 imports index.store, not a public name", "shell.py:4 imports index.store",
                        "shell.py:5 imports ingest.chunk", "shell.py:9 imports evals",
                        "shell.py:10 reads index.store"]
