"""The refusal-signal study's scoring (evals/signals.py), on made-up rows: no model needed."""

from __future__ import annotations

import numpy as np

from evals import signals


def _rows(n_in: int, n_oos: int, split: str, separable: bool) -> list[dict]:
    rows = []
    for i in range(n_in + n_oos):
        oos = i >= n_in
        top = (-5.0 if oos else 5.0) if separable else float(i % 3)
        x = [top] + [0.0] * (len(signals.FEATURES) - 1)
        rows.append({"id": f"{split}{i}", "split": split, "out_of_scope": oos, "x": x,
                     "answer_in_top3": not oos, "first_key_point": not oos and i % 2 == 0})
    return rows


def test_a_signal_that_separates_refuses_every_out_of_scope_question_and_nothing_else():
    result = signals.study(_rows(50, 10, "dev", True) + _rows(50, 10, "test", True))
    top = result["signals"]["ce_top"]["test"]
    assert top == {"precision": 1.0, "recall": 1.0, "wrongly_refused": 0.0}


def test_a_signal_that_does_not_separate_cannot_refuse_without_wrongly_refusing():
    result = signals.study(_rows(50, 10, "dev", False) + _rows(50, 10, "test", False))
    top = result["signals"]["ce_top"]["test"]
    assert top["recall"] < 0.5 or top["precision"] < 0.5


def test_the_threshold_comes_from_dev_alone():
    dev_scores = np.array([0.0, 1.0, 2.0, 10.0])
    dev_oos = np.array([False, False, False, True])
    test = signals.calibrated(dev_scores, dev_oos, np.array([3.0, 1.5]), np.array([True, False]))
    assert test["test"]["recall"] == 1.0 and test["test"]["wrongly_refused"] == 0.0


def test_key_point_shares_count_answerable_test_questions_only():
    result = signals.study(_rows(50, 10, "dev", True) + _rows(50, 10, "test", True))
    k = result["key_points"]
    assert k["answerable_test_questions"] == 50
    assert k["answer_in_top3_passages"] == 1.0 and k["first_key_point_states_it"] == 0.5


def test_a_bad_gold_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    assert signals.main(["--gold", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "bad.jsonl" in err and "\n" not in err
    assert not (tmp_path / "out").exists()
