"""Reciprocal rank fusion as a pure function: no model, no index."""

from __future__ import annotations

import pytest

from index.retrieve import fuse


def test_agreement_beats_a_single_first_place():
    ranked = fuse({"dense": [(1, 0.9), (2, 0.8)], "keyword": [(2, 12.0), (3, 11.0)]},
                  {"dense": 1.0, "keyword": 1.0}, rrf_k=10)
    assert [row for row, _, _ in ranked] == [2, 1, 3]
    row, score, parts = ranked[0]
    assert score == pytest.approx(1 / 12 + 1 / 11) and parts == {"dense": 0.8, "keyword": 12.0}
    assert ranked[1][2] == {"dense": 0.9}  # a row one retriever never saw has no score from it


def test_weights_and_rrf_k_shift_the_balance():
    runs = {"dense": [(1, 0.9)], "keyword": [(2, 5.0)]}
    assert fuse(runs, {"dense": 1.0, "keyword": 2.0}, 10)[0][0] == 2
    assert fuse(runs, {"dense": 2.0, "keyword": 1.0}, 10)[0][0] == 1
    assert fuse(runs, {"dense": 1.0, "keyword": 1.0}, 60)[0][1] == pytest.approx(1 / 61)


def test_ties_keep_first_seen_order_and_empty_runs_give_nothing():
    tied = fuse({"dense": [(7, 0.5)], "keyword": [(3, 1.0)]}, {"dense": 1.0, "keyword": 1.0}, 10)
    assert [row for row, _, _ in tied] == [7, 3]
    assert fuse({"dense": [], "keyword": []}, {}, 10) == []
