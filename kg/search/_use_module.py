"""The sentence-transformers input module of USE-m3 (kg.search.use_encoder); imports torch, so kept apart."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from sentence_transformers.base.modules.input_module import InputModule

from ingest import sentence_encoder
from kg.search.use_encoder import DIMENSION


class UniversalSentenceEncoder(InputModule):
    config_keys: ClassVar[list[str]] = ["threads", "denoise_numbers"]
    save_in_root = True

    def __init__(self, threads: int | None = None, denoise_numbers: bool = False) -> None:
        super().__init__()
        self.threads = threads or sentence_encoder.default_threads()
        # Numbers make USE vectors of otherwise equal sentences drift apart; contracts repeat
        # the same action with other amounts and years, so this can be turned on.
        self.denoise_numbers = denoise_numbers

    @property
    def _use(self):
        # The process's one USE-m3 (ingest/sentence_encoder.py): the questions' numpy path and the
        # unit classifier encode with the same object, so the same vectors.
        return sentence_encoder.model(self.threads, self.denoise_numbers)

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

