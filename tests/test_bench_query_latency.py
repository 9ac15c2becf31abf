"""The latency benchmark times the encoder on every round, not the encoder's memory of questions
(benchmarks/bench_query_latency.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from kg.search.encoder import Encoder

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_query_latency.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_query_latency", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_round_encodes_its_questions() -> None:
    encoded: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        encoded.extend(texts)
        return np.ones((len(texts), 2), np.float32)

    encoder = Encoder("counting", query_encoder=encode, dim=2)

    class Searcher:
        def search(self, query: str, k: int = 10) -> list:
            encoder.encode_queries([query])
            return []

    encoder.encode_queries(["q1"])  # remembered before the benchmark starts (its warm-up question)
    encoded.clear()
    lat, cpu = _bench().timed_rounds(Searcher(), encoder, ["q1", "q2", "q3"], rounds=3)
    assert encoded == ["q1", "q2", "q3"] * 3
    assert len(lat) == len(cpu) == 9
