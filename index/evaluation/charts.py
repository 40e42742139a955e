"""metrics.png and latency.png: the main set's scores and warm latencies per system.

matplotlib is optional: without it the charts are skipped with a note in the report.
"""

from __future__ import annotations

from pathlib import Path

from .report import EvalReport
from .scoring import LABELS, METRICS


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _metrics_chart(plt, r: EvalReport, sr: dict, path: Path) -> None:
    names = list(sr["systems"])
    fig, ax = plt.subplots(figsize=(11, 4.8))
    width = 0.8 / max(len(names), 1)
    for i, n in enumerate(names):
        vals = [sr["systems"][n].get(m) or 0 for m in METRICS]
        ax.bar([j + i * width for j in range(len(METRICS))], vals, width, label=n)
    ax.set_xticks([j + width * (len(names) - 1) / 2 for j in range(len(METRICS))], [LABELS[m] for m in METRICS])
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.set_title(f"Retrieval quality, {r.primary} ({sr['scored_split']} split, {sr['in_scope']} questions)")
    ax.legend(fontsize=8, ncol=len(names), loc="upper center", bbox_to_anchor=(0.5, -0.07), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _latency_chart(plt, r: EvalReport, sr: dict, path: Path) -> None:
    names = list(sr["systems"])
    fig, ax = plt.subplots(figsize=(9, 4.2))
    p50 = [sr["systems"][n]["latency_ms"]["p50"] or 0 for n in names]
    p95 = [sr["systems"][n]["latency_ms"]["p95"] or 0 for n in names]
    xs = range(len(names))
    ax.bar([x - 0.2 for x in xs], p50, 0.4, label="p50")
    ax.bar([x + 0.2 for x in xs], p95, 0.4, label="p95")
    ax.set_xticks(list(xs), names, rotation=20)
    ax.set_yscale("log")
    ax.set_ylabel("ms per question (log scale)")
    ax.set_title(f"Warm query latency, {r.machine.get('nproc')} cores")
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_charts(r: EvalReport, out: Path) -> list[str]:
    """Draw both charts into ``out``; the file names, or [] with a note when matplotlib is missing."""
    plt = _pyplot()
    if plt is None:
        r.notes.append("matplotlib is not installed: charts skipped.")
        return []
    sr = r.sets[r.primary]
    _metrics_chart(plt, r, sr, out / "metrics.png")
    _latency_chart(plt, r, sr, out / "latency.png")
    return ["metrics.png", "latency.png"]
