"""Passage vectors kept per (encoder, text), so a rebuild encodes only text it has not seen.

`data/embeddings/<encoder key>/` holds shards: `<stamp>.keys.npy` (the 16-byte BLAKE2 digests
of the texts, prefix included) beside `<stamp>.vectors.npy` (float32, one row per key). A build
reads every shard of its encoder, encodes what is missing, and writes the new vectors as one new
shard. Shards are written under a temporary name and renamed (vectors first, keys last: a
shard without its keys file is ignored), so a killed build leaves no half shard and two builds
writing at once just add two shards.

The encoder key is the encoder's name and a fingerprint of its weights (`Encoder.fingerprint`):
the corpus-fitted word-vector model changes with the corpus, and then its old vectors are simply
never looked up again; `prune` removes the folders of other fingerprints of the same encoder.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

KEY_BYTES = 16


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_BYTES).digest()


def _key_bytes(keys: np.ndarray) -> list[bytes]:
    """Digests of a keys file: rows of bytes (uint8); a fixed-width string array (dtype S16)
    drops trailing zero bytes, so those are padded back."""
    if keys.dtype == np.uint8:
        return [row.tobytes() for row in keys.reshape(-1, KEY_BYTES)]
    return [bytes(k).ljust(KEY_BYTES, b"\0") for k in keys]


def folder_name(encoder_name: str, fingerprint: str) -> str:
    return re.sub(r"[^\w.-]+", "_", encoder_name).strip("_") + "-" + fingerprint


class EmbeddingCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._keys: dict[bytes, tuple[int, int]] = {}
        self._shards: list[np.ndarray] = []
        self._load()

    def _load(self) -> None:
        if not self.folder.is_dir():
            return
        for keys_path in sorted(self.folder.glob("*.keys.npy")):
            vectors_path = keys_path.with_name(keys_path.name.replace(".keys.npy", ".vectors.npy"))
            try:
                keys = np.load(keys_path)
                vectors = np.load(vectors_path, mmap_mode="r")
            except (OSError, ValueError):
                continue  # a damaged shard is only a cache miss
            if len(keys) != len(vectors):
                continue
            shard = len(self._shards)
            self._shards.append(vectors)
            for row, key in enumerate(_key_bytes(keys)):
                self._keys[key] = (shard, row)

    def __len__(self) -> int:
        return len(self._keys)

    def vectors(self, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The vectors of `texts`, encoding (once each) only the texts not in the cache."""
        keys = [text_key(t) for t in texts]
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in self._keys and key not in missing:
                missing[key] = text
        fresh: dict[bytes, np.ndarray] = {}
        if missing:
            encoded = np.ascontiguousarray(encode(list(missing.values())), dtype=np.float32)
            fresh = dict(zip(missing, encoded, strict=True))
            self._write(list(missing), encoded)
        dim = next(iter(fresh.values())).shape[0] if fresh else (self._shards[0].shape[1] if self._shards else 0)
        out = np.empty((len(texts), dim), dtype=np.float32)
        for n, key in enumerate(keys):
            if key in fresh:
                out[n] = fresh[key]
            else:
                shard, row = self._keys[key]
                out[n] = self._shards[shard][row]
        return out

    def _write(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = f"{time.time_ns():020d}-{os.getpid()}"
        tmp = self.folder / f".{stamp}.tmp"
        tmp.mkdir()
        try:
            np.save(tmp / "vectors.npy", vectors)
            np.save(tmp / "keys.npy", np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, KEY_BYTES))
            os.replace(tmp / "vectors.npy", self.folder / f"{stamp}.vectors.npy")
            os.replace(tmp / "keys.npy", self.folder / f"{stamp}.keys.npy")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        shard = len(self._shards)
        self._shards.append(vectors)
        for row, key in enumerate(keys):
            self._keys[key] = (shard, row)


def prune(root: Path, keep: set[str]) -> None:
    """Remove the cache folders not in `keep` whose encoder has a kept folder (old fingerprints)."""
    if not root.is_dir():
        return
    kept_encoders = {name.rsplit("-", 1)[0] for name in keep}
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in keep and folder.name.rsplit("-", 1)[0] in kept_encoders:
            shutil.rmtree(folder, ignore_errors=True)
