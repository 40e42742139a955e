"""The benchmark's pure functions on a tiny scale: well-formed outputs and a
recall computation checked by hand. No timing assertions (timed tests flake)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from evals.bench.common import DIM
from evals.bench.figures import key_figures
from evals.bench.keyword_scale import keyword_scale_point
from evals.bench.measure import latency_figures
from evals.bench.neighbours import brute_force_neighbours, neighbour_profile, recall_at_k
from evals.bench.recommend import nice_floor, recommend_exact_search_max
from evals.bench.report import render_markdown
from evals.bench.scale import footprint
from evals.bench.synthetic import keyword_queries, perturbed_queries, synthetic_texts, synthetic_vectors, unit_rows
from evals.bench.vector_scale import build_vector_index, search_ids, vector_scale_point
from index.evaluation.machine import machine, percentiles

pytestmark = pytest.mark.slow


def test_recall_at_k_matches_a_hand_count():
    truth = [[0, 1, 2], [3, 4, 5]]
    # query 1: 2 of 3 found; query 2: all 3, in another order (order within top k does not matter)
    found = [[0, 1, 9], [5, 3, 4]]
    assert recall_at_k(found, truth, 3) == pytest.approx((2 / 3 + 3 / 3) / 2)
    # only the first k of each list count
    assert recall_at_k([[0, 7, 1]], [[0, 1, 2]], 1) == 1.0
    assert recall_at_k([[7, 0, 1]], [[0, 1, 2]], 1) == 0.0
    # -1 (FAISS "no result") never counts as a hit
    assert recall_at_k([[-1, -1]], [[0, 1]], 2) == 0.0
    with pytest.raises(ValueError):
        recall_at_k([[0]], [[0], [1]], 1)


def test_hnsw_given_the_exact_answers_has_recall_one_and_exact_matches_brute_force():
    base = synthetic_vectors(1_000, seed=3)
    queries, src = perturbed_queries(base, 40, seed=4)
    exact = build_vector_index(base, "exact")
    truth = search_ids(exact, queries, 10)
    assert recall_at_k(truth, truth, 10) == 1.0
    # the FAISS exact index agrees with numpy brute force (a hand-checkable ground truth)
    assert recall_at_k(truth, brute_force_neighbours(base, queries, 10), 10) == pytest.approx(1.0)
    # and a perturbed copy finds its source
    assert np.mean([s in row for s, row in zip(src, truth)]) > 0.9


def test_brute_force_on_a_tiny_example():
    base = unit_rows(np.array([[1, 0], [0, 1], [1, 1], [-1, 0]], dtype=np.float32))
    q = unit_rows(np.array([[1, 0.1]], dtype=np.float32))
    # cosines to q: row0 0.995, row2 0.774, row1 0.0995, row3 -0.995
    assert brute_force_neighbours(base, q, 3).tolist() == [[0, 2, 1]]
    exact = build_vector_index(base, "exact")
    assert search_ids(exact, q, 3).tolist() == [[0, 2, 1]]


def test_synthetic_data_is_deterministic_unit_length_and_perturbed():
    a = synthetic_vectors(500, seed=1)
    assert a.shape == (500, DIM) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, synthetic_vectors(500, seed=1))
    iso = synthetic_vectors(500, seed=1, kind="isotropic")
    assert np.allclose(np.linalg.norm(iso, axis=1), 1.0, atol=1e-5)
    q, src = perturbed_queries(a, 50, noise=0.75, seed=2)
    cos = np.sum(q * a[src], axis=1)
    assert 0.6 < cos.mean() < 0.95  # a perturbed copy, not the vector itself and not noise
    texts = synthetic_texts(50, seed=0)
    assert len(texts) == 50 and all(t.split() for t in texts)
    assert texts == synthetic_texts(50, seed=0)
    assert all(q for q in keyword_queries(texts, 10))


def test_percentiles_are_well_formed():
    p = percentiles([0.001 * i for i in range(1, 101)])
    assert p["n"] == 100
    assert p["min"] <= p["p50"] <= p["p95"] <= p["p99"] <= p["max"]
    assert p["p50"] == pytest.approx(50.5)
    assert percentiles([])["p50"] is None
    measured, steady = latency_figures([[0.003, 0.001], [0.002, 0.004]])
    assert measured["n"] == 4 and steady["n"] == 2 and steady["max"] == pytest.approx(2.0)


@pytest.fixture(scope="module")
def tiny_scale():
    vec = vector_scale_point(1_000, queries=60, seed=0, repeats=2)
    kw = keyword_scale_point(1_000, queries=30, seed=0, repeats=1)
    return vec, kw


def test_vector_scale_point_is_well_formed(tiny_scale):
    p, _ = tiny_scale
    assert p["n"] == 1_000 and p["dim"] == DIM and p["k"] == 50
    for kind, cls in (("exact", "IndexFlatIP"), ("hnsw", "IndexHNSWFlat")):
        d = p[kind]
        assert d["faiss_class"] == cls
        assert d["bytes"] >= d["vector_bytes"] == 1_000 * DIM * 4
        assert d["load_rss_delta_bytes"] is None or d["load_rss_delta_bytes"] >= 0
        for key in ("latency_ms", "latency_ms_steady"):
            lat = d[key]
            assert lat["n"] == (120 if key == "latency_ms" else 60)
            assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"]
    assert p["exact"]["recall@10_vs_numpy"] == pytest.approx(1.0)
    assert 0.0 <= p["hnsw"]["recall@10"] <= 1.0 and 0.0 <= p["hnsw"]["recall@50"] <= 1.0
    assert p["hnsw"]["M"] > 0 and p["hnsw"]["ef_search"] > 0
    json.dumps(p)  # serialisable as it goes into bench.json


def test_keyword_scale_point_is_well_formed(tiny_scale):
    _, k = tiny_scale
    assert k["n"] == 1_000 and k["vocab"] > 100 and k["bytes"] > 0
    assert k["latency_ms"]["n"] == 30 and k["latency_ms"]["p50"] > 0
    assert k["queries_with_hits"] == 1.0  # words drawn from a stored text always match it


def _point(n, p95, recall, p50=None):
    lat = {"p50": p50 if p50 is not None else p95 / 2, "p95": p95}
    return {"n": n, "exact": {"latency_ms": lat, "latency_ms_steady": lat}, "hnsw": {"recall@10": recall}}


def test_recommendation_interpolates_and_respects_recall():
    pts = [_point(1_000, 1.0, 1.0), _point(10_000, 4.0, 0.99), _point(100_000, 40.0, 0.97)]
    r = recommend_exact_search_max(pts, budget_ms=10.0, min_recall=0.95, current=50_000)
    # 10 ms lies between 10k (4 ms) and 100k (40 ms): 10k + 6/36 * 90k = 25k
    assert r["crossing_estimate"] == 25_000 and r["recommended"] == 25_000 and r["recall_ok"]
    # HNSW not accurate enough above the crossing: keep exact while p95 <= 50 ms
    bad = [_point(1_000, 1.0, 1.0), _point(10_000, 4.0, 0.9), _point(100_000, 40.0, 0.8)]
    r = recommend_exact_search_max(bad, budget_ms=10.0, min_recall=0.95)
    assert not r["recall_ok"] and r["recommended"] == 100_000
    # never over budget in range: extrapolate along the last segment
    r = recommend_exact_search_max([_point(1_000, 1.0, 1.0), _point(10_000, 2.0, 1.0)], budget_ms=10.0)
    assert r["extrapolated"] and r["crossing_estimate"] == 82_000 and r["recommended"] == 80_000
    # flat latency never crosses
    r = recommend_exact_search_max([_point(1_000, 1.0, 1.0), _point(10_000, 1.0, 1.0)], budget_ms=10.0)
    assert r["crossing_estimate"] is None and r["recommended"] == 10_000
    assert nice_floor(37_412) == 35_000 and nice_floor(2_262) == 2_200 and nice_floor(0) == 0
    assert math.isfinite(recommend_exact_search_max(pts, stat="p50")["crossing_estimate"])


def test_report_renders_from_a_partial_result(tiny_scale, tmp_path):
    vec, kw = tiny_scale
    iso = vector_scale_point(1_000, queries=20, seed=0, data="isotropic", repeats=1, single_thread=False,
                             measure_memory=False)
    block = {"command": "x", "queries": 60, "seed": 0, "search": "s", "structured": [vec], "isotropic": [iso],
             "keyword": [kw], "synthetic_neighbour_profile": neighbour_profile(synthetic_vectors(300)),
             "recommendation": recommend_exact_search_max([vec], current=50_000),
             "recommendation_isotropic": recommend_exact_search_max([iso], current=50_000),
             "recommendation_sensitivity": {}, "loadavg_start": [0, 0, 0], "loadavg_end": [0, 0, 0]}
    block["footprint"] = footprint(block, None, 50_000)
    results = {"command": "python -m evals.bench --only scale", "quick": True, "started": "now", "total_seconds": 1.0,
               "machine": machine(), "scale": block}
    md = render_markdown(results)
    assert "## 4. Scale (synthetic)" in md and "Recommended `exact_search_max`" in md
    assert "| 1,000 |" in md
    assert results["machine"]["nproc"] >= 1 and results["machine"]["cpu_model"]
    (tmp_path / "bench.json").write_text(json.dumps(results, default=str))
    rows = key_figures(results)
    assert rows and all(len(r) == 5 for r in rows)
