"""The model protocols and their model-free stand-ins (no model is loaded)."""

from __future__ import annotations

import numpy as np
import pytest

from index import Embedder, Encoder, HashEncoder, OverlapScorer, Scorer
from index.rerank import Reranker


def test_hash_encoder_rows_are_unit_float32_and_repeatable():
    texts = ["Strategy discussions bring agencies together.", "Designated officers manage allegations."]
    a = HashEncoder().encode(texts)
    assert a.dtype == np.float32 and a.shape == (2, 256)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    assert np.array_equal(a, HashEncoder().encode(list(reversed(texts)))[::-1])  # a row never depends on the others
    assert np.array_equal(HashEncoder().encode_query(texts[0]), a[0])
    assert HashEncoder(dim=32).encode(texts).shape == (2, 32)


def test_hash_encoder_shared_words_mean_higher_cosine():
    enc = HashEncoder()
    q = enc.encode_query("strategy discussion police")
    two, one, none = enc.encode(["police strategy meeting", "police station", "garden furniture sale"])
    assert q @ two > q @ one > q @ none
    assert q @ none == pytest.approx(0.0)
    # Stopwords and case say nothing about a topic.
    assert np.array_equal(enc.encode_query("What is the STRATEGY?"), enc.encode_query("strategy"))


def test_hash_encoder_text_without_words_is_a_zero_row():
    assert not HashEncoder().encode(["the of and", "?!"]).any()
    assert HashEncoder().encode([]).shape == (0, 256)


def test_overlap_scorer_is_the_share_of_question_words_found():
    scores = OverlapScorer().score("strategy discussion police", [
        "A strategy discussion with the police.", "A strategy meeting.", "Garden furniture."])
    assert scores.tolist() == pytest.approx([10.0, -10 + 20 / 3, -10.0])
    assert OverlapScorer(low=0, high=1).score("alpha beta", ["beta"]).tolist() == [0.5]
    assert OverlapScorer().score("what is it?", ["anything"]).tolist() == [-10.0]  # no content words: no relevance


def test_the_real_and_fake_models_satisfy_the_protocols(tmp_path):
    assert isinstance(HashEncoder(), Encoder)
    # dim given, so checking the protocol reads no model files.
    assert isinstance(Embedder("all-MiniLM-L6-v2", dim=384), Encoder)
    assert isinstance(OverlapScorer(), Scorer)
    assert isinstance(Reranker(model_dir=tmp_path), Scorer)  # files are only read on the first score
    assert not isinstance(OverlapScorer(), Encoder) and not isinstance(HashEncoder(), Scorer)
    assert HashEncoder().identity != HashEncoder(dim=32).identity  # different vectors, different identity
