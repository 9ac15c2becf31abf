"""The built-in French word-vector encoder (`builtin:fr-word-vectors`) with numpy alone.

The model is the sentence-transformers model `kg.search.encoder` describes, three modules:
`WordEmbeddings` (a `WhitespaceTokenizer` over the vocabulary, the 300-d vectors), `WordWeights`
(the corpus's IDF) and mean `Pooling`. Its vector of a text is the weighted mean of its words'
vectors; nothing of it needs torch. So it is written and read here in the very files
sentence-transformers writes and reads (`SentenceTransformer(folder)` still loads a folder this
module wrote, and this module the folders that sentence-transformers wrote), and encoded with
numpy: a build or a search with this encoder no longer imports torch and sentence-transformers
(seconds in every process: the build, a `contrats search`, each server) and no longer copies its
226 MB of vectors into torch (`tests/test_word_vector_model.py` checks the vectors against
sentence-transformers' own).

The vectors do not depend on the corpus, only the word weights do: a build whose data directory
already holds the model of the same spaCy vectors links its vector files and writes only the
weights (a rebuild writes 1 MB, not 230).
"""

from __future__ import annotations

import contextlib
import json
import os
import string
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

# The files and module types sentence-transformers (6.x) writes for this model.
MODULES = [
    {"idx": 0, "name": "0", "path": "",
     "type": "sentence_transformers.sentence_transformer.modules.word_embeddings.WordEmbeddings"},
    {"idx": 1, "name": "1", "path": "1_WordWeights",
     "type": "sentence_transformers.sentence_transformer.modules.word_weights.WordWeights"},
    {"idx": 2, "name": "2", "path": "2_Pooling",
     "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
]
TOKENIZER_CLASS = "sentence_transformers.sentence_transformer.modules.tokenizer.whitespace.WhitespaceTokenizer"
MAX_SEQ_LENGTH = 1_000_000  # WordEmbeddings' default: no limit but the encoder's own (encode_budget)
VECTOR_FILES = ("model.safetensors", "whitespacetokenizer_config.json")  # what the corpus does not change
TENSOR = "emb_layer.weight"


def read_tensor(path: Path, name: str = TENSOR) -> np.ndarray:
    """A float32 tensor of a safetensors file, mapped read-only (not read: pages come as used)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    info = header[name]
    if info["dtype"] != "F32":
        raise ValueError(f"{path}: {name} is {info['dtype']}, not F32")
    start, end = info["data_offsets"]
    shape = tuple(info["shape"])
    if end - start != 4 * int(np.prod(shape)):
        raise ValueError(f"{path}: {name}'s offsets do not hold its shape {shape}")
    if not shape or 0 in shape:
        return np.zeros(shape, np.float32)
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + size + start, shape=shape)


def write_tensor(path: Path, array: np.ndarray, name: str = TENSOR) -> None:
    """One float32 tensor as safetensors writes it (header padded with spaces to 8 bytes)."""
    array = np.ascontiguousarray(array, dtype="<f4")
    header = json.dumps({name: {"dtype": "F32", "shape": list(array.shape), "data_offsets": [0, array.nbytes]}},
                        separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        f.write(memoryview(array).cast("B"))


class WordVectorModel:
    """What `SentenceTransformer([WordEmbeddings, WordWeights, Pooling("mean")])` computes, with
    numpy: the words the whitespace tokenizer finds in the vocabulary, their vectors weighted by
    their weights, summed and divided by the sum of the weights (then L2-normalised if asked).
    `encode`, `max_seq_length` and `get_embedding_dimension` are the parts of a
    SentenceTransformer that `kg.search.encoder.Encoder` uses."""

    def __init__(self, vocab: Sequence[str], vectors: np.ndarray, weights: np.ndarray,
                 stop_words: Iterable[str] = (), do_lower_case: bool = True,
                 max_seq_length: int = MAX_SEQ_LENGTH) -> None:
        if len(vocab) != len(vectors) or len(weights) != len(vectors):
            raise ValueError(f"{len(vocab)} words, {len(vectors)} vectors, {len(weights)} weights")
        self.word2idx = {word: i for i, word in enumerate(vocab)}
        self.vectors = vectors
        self.weights = np.asarray(weights, dtype=np.float32).reshape(-1)
        self.stop_words = frozenset(stop_words)
        self.do_lower_case = do_lower_case
        self.max_seq_length = max_seq_length

    def __repr__(self) -> str:
        return f"WordVectorModel({len(self.word2idx)} words, {self.get_embedding_dimension()} dimensions)"

    @classmethod
    def load(cls, path: Path) -> WordVectorModel:
        """The model of a folder `build_word_vector_model` (or sentence-transformers) saved."""
        path = Path(path)
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        if [m["type"].rsplit(".", 1)[-1] for m in modules] != ["WordEmbeddings", "WordWeights", "Pooling"]:
            raise ValueError(f"{path} is not a word-vector model (its modules: {[m['type'] for m in modules]})")
        pooling = json.loads((path / modules[2]["path"] / "config.json").read_text(encoding="utf-8"))
        mode = pooling.get("pooling_mode") or ("mean" if pooling.get("pooling_mode_mean_tokens") else None)
        if mode != "mean":
            raise ValueError(f"{path}: pooling {mode!r}, not mean")
        tokenizer = json.loads((path / "whitespacetokenizer_config.json").read_text(encoding="utf-8"))
        embedding = json.loads((path / "wordembedding_config.json").read_text(encoding="utf-8"))
        return cls(tokenizer["vocab"], read_tensor(path / "model.safetensors"),
                   read_tensor(path / modules[1]["path"] / "model.safetensors"),
                   stop_words=tokenizer.get("stop_words", ()), do_lower_case=tokenizer.get("do_lower_case", False),
                   max_seq_length=embedding.get("max_seq_length", MAX_SEQ_LENGTH))

    def get_embedding_dimension(self) -> int:
        return int(self.vectors.shape[1])

    def tokenize(self, text: str) -> list[int]:
        """The vocabulary rows of the words of `text`: sentence-transformers' WhitespaceTokenizer."""
        if self.do_lower_case:
            text = text.lower()
        ids: list[int] = []
        for token in text.split():
            for form in (token, token.strip(string.punctuation), token.strip(string.punctuation).lower()):
                if form in self.stop_words:
                    break
                if form and form in self.word2idx:
                    ids.append(self.word2idx[form])
                    break
        return ids

    def encode(self, sentences: Sequence[str], batch_size: int = 32, convert_to_numpy: bool = True,
               normalize_embeddings: bool = False, show_progress_bar: bool = False, **_: object) -> np.ndarray:
        out = np.zeros((len(sentences), self.get_embedding_dimension()), dtype=np.float32)
        for n, text in enumerate(sentences):
            ids = self.tokenize(text)[:self.max_seq_length]
            if not ids:
                continue  # no known word: the zero vector, as the mean over no weight gives
            weights = self.weights[ids]
            total = (self.vectors[ids] * weights[:, None]).sum(axis=0, dtype=np.float32)
            out[n] = total / max(np.float32(weights.sum(dtype=np.float32)), np.float32(1e-9))
        if normalize_embeddings:
            norms = np.sqrt(np.einsum("ij,ij->i", out, out, dtype=np.float32))
            out /= np.maximum(norms, np.float32(1e-12))[:, None]
        return out


def saved_vocabulary(folder: Path) -> list[str]:
    """The words of a saved model, in the order of its vector rows."""
    return json.loads((folder / "whitespacetokenizer_config.json").read_text(encoding="utf-8"))["vocab"]


def save_word_vector_model(folder: Path, vocab: Sequence[str], vectors: np.ndarray | None,
                           word_weights: dict[str, float], unknown_word_weight: float,
                           linked_from: Path | None = None) -> None:
    """Write the model's files into `folder` as sentence-transformers saves them (without a
    model card). With `linked_from` (a saved model of the same vectors, `vocab` its words), its
    vector files are linked (or copied) instead of written from `vocab` and `vectors`."""
    folder.mkdir(parents=True, exist_ok=True)
    if linked_from is not None:
        for name in VECTOR_FILES:
            try:
                os.link(linked_from / name, folder / name)
            except OSError:
                import shutil

                shutil.copyfile(linked_from / name, folder / name)
        dimension = int(read_tensor(folder / "model.safetensors").shape[1])
    else:
        if vectors is None:
            raise ValueError("the vectors, or a saved model to link them from")
        write_tensor(folder / "model.safetensors", vectors)
        with open(folder / "whitespacetokenizer_config.json", "w", encoding="utf-8") as f:
            json.dump({"vocab": list(dict.fromkeys(vocab)), "stop_words": [], "do_lower_case": True}, f)
        dimension = int(vectors.shape[1])
    _write_json(folder / "wordembedding_config.json",
                {"tokenizer_class": TOKENIZER_CLASS, "update_embeddings": False, "max_seq_length": MAX_SEQ_LENGTH}, 4)
    weights_folder = folder / "1_WordWeights"
    weights_folder.mkdir(exist_ok=True)
    _write_json(weights_folder / "config.json", {"vocab": list(vocab), "word_weights": word_weights,
                                                 "unknown_word_weight": unknown_word_weight}, 4)
    weights = np.array([word_weights.get(w, word_weights.get(w.lower(), unknown_word_weight)) for w in vocab],
                       dtype=np.float32)
    write_tensor(weights_folder / "model.safetensors", weights[:, None])
    (folder / "2_Pooling").mkdir(exist_ok=True)
    _write_json(folder / "2_Pooling" / "config.json",
                {"embedding_dimension": dimension, "pooling_mode": "mean", "include_prompt": True}, 4)
    _write_json(folder / "config_sentence_transformers.json", _model_config(), 2, sort_keys=True)
    _write_json(folder / "modules.json", MODULES, 2)


def _write_json(path: Path, data: object, indent: int, sort_keys: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=indent, sort_keys=sort_keys)


def _model_config() -> dict:
    """config_sentence_transformers.json: the versions of the installed packages, as
    sentence-transformers records them (read from their metadata, not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for key, package in (("sentence_transformers", "sentence-transformers"), ("transformers", "transformers"),
                         ("pytorch", "torch")):
        with contextlib.suppress(PackageNotFoundError):
            versions[key] = version(package)
    return {"__version__": versions, "default_prompt_name": None, "model_type": "SentenceTransformer",
            "prompts": {"document": "", "query": ""}, "similarity_fn_name": "cosine"}
