"""``python -m evals.run``: the same as ``wtkb eval``, kept for older notes and scripts.

The evaluation itself is a library capability (``index.evaluate``, code in
``index/evaluation/``); this alias only forwards to the CLI command, adding
``--fast`` as shorthand for ``--system bm25 --system dense --system hybrid``.
"""

from __future__ import annotations

import sys

from index import FAST_SYSTEMS


def cli(argv: list[str] | None = None) -> None:
    from wtkb.cli import app

    args = list(sys.argv[1:] if argv is None else argv)
    if "--fast" in args:
        args = [a for a in args if a != "--fast"] + [x for s in FAST_SYSTEMS for x in ("--system", s)]
    app(["eval", *args], prog_name="python -m evals.run")


if __name__ == "__main__":
    cli()
