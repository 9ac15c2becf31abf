"""Issue 12, item 2: the encoder sees passages cut to a maximum length, in batches sized by
tokens (peak memory is measured by benchmarks/bench_robustness.py, not asserted here)."""

from __future__ import annotations

import numpy as np

from kg.search.encode_budget import cut, token_batches, token_count


def test_batches_are_sized_by_tokens() -> None:
    texts = ["court texte"] * 500 + ["mot " * 512] * 40 + ["deux mots"] * 7
    budget = 4096
    batches = token_batches(texts, budget, max_count=256)
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    for batch in batches:
        padded = len(batch) * max(token_count(texts[i]) for i in batch)
        assert padded <= budget or len(batch) == 1
        assert len(batch) <= 256


def test_a_long_passage_is_truncated_to_the_bound() -> None:
    assert token_count(cut("mot " * 250_000, 512)) == 512
    assert len(cut("x" * 10_000_000, 512)) <= 512 * 40  # one "word" of ten million characters


def test_a_million_character_passage_encodes_as_its_first_words(small_build) -> None:
    from kg.search.encoder import load_encoder

    encoder = load_encoder(small_build.model, small_build.data_dir / "models")
    long = "la caf s'engage pour la parentalité " * 28_000  # about a million characters
    vectors = encoder.encode_passages(["emploi des jeunes"] * 300 + [long])
    assert vectors.shape == (301, encoder.dimension)
    assert np.allclose(vectors[-1], encoder.encode_passages([cut(long, 512)])[0], atol=1e-5)
    assert np.allclose(vectors[0], encoder.encode_passages(["emploi des jeunes"])[0], atol=1e-5)
