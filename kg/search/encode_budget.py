"""Bounded encoder memory: passages cut to a maximum length, batches sized by tokens.

sentence-transformers pads a batch to its longest text, so one million-character passage in a
batch of 256 asked torch for 35 GB. Two bounds, whatever the model:
- each text is **truncated** to its first `max_tokens` words (CONTRATS_ENCODE_MAX_TOKENS, 512 by
  default, or the model's own `max_seq_length` when smaller) and to 40 characters a word; only
  the dense vector is affected, the lexical (BM25) index keeps the whole text, so the rest of a
  long passage stays findable by its words. Truncation rather than windows pooled together:
  a real passage is a paragraph, and one past 512 words is a table or a layout accident;
- texts are sorted by length and cut into batches of at most `batch_tokens` padded tokens
  (CONTRATS_ENCODE_BATCH_TOKENS, 16,384), so a batch of long texts holds few of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest import environment

DEFAULT_MAX_TOKENS = 512
DEFAULT_BATCH_TOKENS = 16_384
CHARS_PER_TOKEN = 40
_WORDS = re.compile(r"\S+")


def max_tokens(model_limit: int | None = None) -> int:
    configured = environment.whole("CONTRATS_ENCODE_MAX_TOKENS", DEFAULT_MAX_TOKENS)
    return min(configured, model_limit) if model_limit else configured


def batch_tokens() -> int:
    return environment.whole("CONTRATS_ENCODE_BATCH_TOKENS", DEFAULT_BATCH_TOKENS)


def cut(text: str, limit: int) -> str:
    """The first `limit` words of `text` (and at most CHARS_PER_TOKEN characters a word)."""
    text = text[:limit * CHARS_PER_TOKEN]
    for count, m in enumerate(_WORDS.finditer(text), 1):
        if count > limit:
            return text[:m.start()].rstrip()
    return text


def token_count(text: str) -> int:
    return max(1, sum(1 for _ in _WORDS.finditer(text)))


def token_batches(texts: Sequence[str], budget: int, max_count: int) -> list[list[int]]:
    """Indexes of `texts` in batches whose padded size (count x longest) stays within `budget`
    tokens and `max_count` texts; longest first, so each batch's padding is small."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        tokens = token_count(texts[i])
        width = max(longest, tokens)
        if current and (width * (len(current) + 1) > budget or len(current) >= max_count):
            batches.append(current)
            current, width = [], tokens
        current.append(i)
        longest = width
    if current:
        batches.append(current)
    return batches
