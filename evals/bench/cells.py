"""How a figure is written in a cell of the Markdown report."""

from __future__ import annotations


def fmt(x, unit: str = "", nd: int = 1) -> str:
    """A number with thousands separators, "–" for a missing figure."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, float):
        return f"{x:,.{nd}f}{unit}"
    if isinstance(x, int):
        return f"{x:,}{unit}"
    return f"{x}{unit}"


def pair(d: dict, key: str, a: str = "p50", b: str = "p95") -> str:
    """Two percentiles of one latency record, "a / b" in ms."""
    lat = d.get(key)
    return "–" if not lat else f"{lat[a]:.2f} / {lat[b]:.2f}"


def profile(p: dict | None) -> str:
    """A neighbour profile as "random pair / 1st / 10th nearest" cosines."""
    return "–" if not p else f"{p['random_pair_cos']:.2f} / {p['nn1_cos']:.2f} / {p['nn10_cos']:.2f}"
