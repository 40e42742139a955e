"""A question with no letters or digits in any script is refused like an empty one (issue 22, item 7).

Real FAISS and bm25s over the toy passages (HashEncoder, OverlapScorer): the
refusal happens in query preparation, before any search, so the model does not
matter; tests/test_hardening_cli.py checks the same line from `wtkb ask`.
"""

from __future__ import annotations

import pytest

import index
from index import QueryError

NOTHING_TO_SEARCH = [
    "", "   ", "\t\n", "\x00", "\u200b\u200b", "\u202e", "\ufeff",  # empty, blank, invisible
    "\U0001f600\U0001f914\U0001f468\u200d\U0001f469\u200d\U0001f467",  # the emoji of the issue
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",  # a flag made of tag characters
    "?", "?!...", "\u2014 \u2026 \u00bf?", "++--==**", "\u2665\u2605\u2606",  # punctuation, symbols
    "\u0300\u0301",  # combining marks with nothing to mark
]
REAL_QUESTIONS = ["LADO?", "x", "what is a s47", "\u00bfQu\u00e9 es?", "\u0633\u0624\u0627\u0644",
                  "\u554f\u984c", "\u2160\u2161", "\u2460 strategy"]


def refusal(kb, question) -> str:
    with pytest.raises(QueryError) as e:
        index.answer(kb, question)
    return str(e.value)


def test_nothing_to_search_is_refused_with_the_empty_line(toy_kb):
    kb = toy_kb()
    empty = refusal(kb, "")
    assert empty.startswith("Please type a question")
    for question in NOTHING_TO_SEARCH:
        assert refusal(kb, question) == empty, repr(question)
        with pytest.raises(QueryError):
            kb.search(question)


@pytest.mark.parametrize("question", REAL_QUESTIONS)
def test_a_letter_or_digit_in_any_script_is_a_question(toy_kb, question):
    kb = toy_kb()
    result = index.answer(kb, question)
    assert result.query.strip()
