"""Linear models stored as tables of named weights: what `contrats train` writes and extraction reads.

A scikit-learn logistic regression is fitted at training time (ingest/training/extraction.py); what ships is
its weights keyed by feature name, in JSON. Reading them needs no scikit-learn, no pickle (no code
runs when a model is loaded), gives the same answer on every platform, and a researcher can open
the file and see which words push a unit towards "commitment".
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.extract.unit_features import context_features

Features = Mapping[str, float]


@dataclass(frozen=True)
class LinearClassifier:
    """Multinomial logistic regression: one weight per (feature, class)."""

    classes: tuple[str, ...]
    weights: Mapping[str, Sequence[float]]
    intercept: Sequence[float]
    # Weights of the unit's meaning vector (UnitView.vector), one row per score; None when the
    # model reads named features only (the actor ranker, models trained before vectors).
    dense: np.ndarray | None = None

    def scores(self, features: Features, vector: np.ndarray | None = None) -> list[float]:
        z = list(self.intercept)
        for name, value in features.items():
            w = self.weights.get(name)
            if w is not None:
                for k, wk in enumerate(w):
                    z[k] += wk * value
        if self.dense is not None and vector is not None:
            z = [a + float(b) for a, b in zip(z, self.dense @ vector, strict=True)]
        return z

    def proba(self, features: Features, vector: np.ndarray | None = None) -> dict[str, float]:
        z = self.scores(features, vector)
        if len(self.classes) == 2 and len(z) == 1:  # binary: one score for classes[1]
            p = 1 / (1 + math.exp(-z[0]))
            return {self.classes[0]: 1 - p, self.classes[1]: p}
        top = max(z)
        e = [math.exp(v - top) for v in z]
        s = sum(e)
        return {c: v / s for c, v in zip(self.classes, e, strict=True)}

    def to_json(self) -> dict[str, Any]:
        out = {"classes": list(self.classes), "intercept": [round(x, 6) for x in self.intercept],
               "weights": {k: [round(x, 6) for x in v] for k, v in sorted(self.weights.items())}}
        if self.dense is not None:
            out["dense"] = [[round(float(x), 6) for x in row] for row in self.dense]
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> LinearClassifier:
        dense = np.asarray(d["dense"], dtype=np.float64) if "dense" in d else None
        return cls(tuple(d["classes"]), {k: tuple(v) for k, v in d["weights"].items()}, tuple(d["intercept"]), dense)


FORMATS = ("contrats-kg/extraction-model/1", "contrats-kg/extraction-model/2")
# The second pass learned from whole contracts what a unit's list, section and neighbours say; a
# text of a few units has none of them, and its empty context reads as "no commitment around"
# ("La CAF s'engage à soutenir la parentalité.", alone: 0.57 at the first pass, 0.28 after the
# second). Below this many units the first pass decides. Every annotated document has more.
MIN_CONTEXT_UNITS = 8


@dataclass(frozen=True)
class ExtractionModel:
    """The unit classifier, the actor ranker, the decision thresholds, and what they were trained on.

    `context`, when present, is a second pass over the units: it reads each unit's features and
    what the first pass (`units`) thought of its neighbours (unit_features.context_features)."""

    units: LinearClassifier
    actors: LinearClassifier
    thresholds: Mapping[str, float] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)  # annotations hash, documents, versions
    context: LinearClassifier | None = None

    @property
    def sentence_weight(self) -> float:
        """The weight of the sentence vector in each unit's vector when trained (0: none, the models
        trained before it read the word-vector mean alone)."""
        return float(self.meta.get("sentence_weight", 0.0))

    def unit_probabilities(self, views: Sequence[Any]) -> list[dict[str, float]]:
        """Class probabilities of every unit of one document, in reading order (views: UnitView)."""
        first = [self.units.proba(v.features, v.vector) for v in views]
        if self.context is None or len(views) < MIN_CONTEXT_UNITS:
            return first
        return [self.context.proba({**v.features, **c}, v.vector)
                for v, c in zip(views, context_features(views, first), strict=True)]

    def to_json(self) -> dict[str, Any]:
        out = {"format": FORMATS[self.context is not None], "meta": dict(self.meta),
               "thresholds": dict(self.thresholds), "units": self.units.to_json(), "actors": self.actors.to_json()}
        if self.context is not None:
            out["context"] = self.context.to_json()
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ExtractionModel:
        if d.get("format") not in FORMATS:
            raise ValueError(f"not an extraction model: format {d.get('format')!r}")
        return cls(LinearClassifier.from_json(d["units"]), LinearClassifier.from_json(d["actors"]),
                   d.get("thresholds", {}), d.get("meta", {}),
                   LinearClassifier.from_json(d["context"]) if "context" in d else None)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ExtractionModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    @property
    def fingerprint(self) -> str:
        """A hash of the weights: part of the build cache key, so a new model re-extracts."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "data" / "extraction_model.json"


def shipped_model() -> ExtractionModel | None:
    return _cached_model(str(SHIPPED_MODEL)) if SHIPPED_MODEL.exists() else None


_CACHE: dict[str, ExtractionModel] = {}


def _cached_model(path: str) -> ExtractionModel:
    if path not in _CACHE:
        _CACHE[path] = ExtractionModel.load(Path(path))
    return _CACHE[path]
