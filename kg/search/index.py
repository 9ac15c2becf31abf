"""The search index: records, their dense vectors in FAISS, and BM25 beside them.

The index folder holds `records.jsonl` (what a hit shows), `dense.faiss`, `lexical/`,
`config.json` (model, dimension, count, corpus hash) and `terms.npy` / `terms.json`: the vectors,
as questions, of every term of art the thesaurus can add to a question (kg.search.searcher), so a search
encodes the question alone (an index without them encodes a term when a question first adds it). `SearchIndex.load` refuses a folder whose
config does not match its contents or the configured model, rather than return wrong neighbours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np

from kg.jsonl import JsonlFile, read_jsonl, write_atomic, write_jsonl
from kg.search.encoder import Encoder, EncoderBlend
from kg.search.lexical import LexicalIndex

INDEX_FORMAT = 1
# Past this many vectors an exact flat index gets slow; an IVF index keeps search in milliseconds.
APPROXIMATE_FROM = 100_000
ENCODE_CHUNK = 16_384


@dataclass(frozen=True)
class IndexRecord:
    """One searchable unit: a passage, a commitment or an objective, with what filters need."""

    id: str
    record_type: str  # passage | commitment | objective
    text: str
    document: str
    territory: str | None = None
    generation: str | None = None
    page: int | None = None
    line: int | None = None
    section_path: tuple[str, ...] = ()
    passage_id: str | None = None
    node: str | None = None  # graph URI of the commitment/objective
    partner: str | None = None
    partner_type: str | None = None
    themes: tuple[str, ...] = ()
    neighbourhoods: tuple[str, ...] = ()
    territory_name: str | None = None  # the territory's full name (`territory` is its short one)
    kind: str | None = None  # a passage's block kind; a commitment's kind (commitment | proposal)
    orientation: str | None = None  # the label of the orientation a commitment or objective is under
    objective: str | None = None  # a commitment's objective label
    partner_id: str | None = None  # a commitment's partner id (`partner` is its name)
    confidence: float | None = None  # the extraction model's, for a commitment (None: a rule's)
    partner_confidence: float | None = None
    review_status: str | None = None  # confirmed | corrected | added; None: nobody reviewed it
    reviewers: tuple[str, ...] = ()
    level: str | None = None  # an objective's level (strategic, operational...)
    code: str | None = None  # an objective's outline code

    def to_json(self) -> dict:
        # Not dataclasses.asdict, which deep-copies every value: its fields are strings, numbers
        # and tuples of strings, and asdict cost more than the rest of writing a national index.
        d = {name: getattr(self, name) for name in _field_names()}
        for key in _TUPLES:
            d[key] = list(d[key])
        return d

    @classmethod
    def from_json(cls, d: dict) -> IndexRecord:
        """A record of records.jsonl. An index written before the named fields kept them in an
        `extra` object: read into the same fields, so an older index loads without a rebuild
        (its ids and texts, which its corpus hash covers, are unchanged)."""
        d = dict(d)
        extra = d.pop("extra", None) or {}
        known = {f.name for f in fields(cls)}
        for key, value in extra.items():
            if key in known and d.get(key) is None:
                d[key] = value
        for key in _TUPLES:
            d[key] = tuple(d.get(key) or ())
        return cls(**{k: v for k, v in d.items() if k in known})


_TUPLES = ("section_path", "themes", "neighbourhoods", "reviewers")


@cache
def _field_names() -> tuple[str, ...]:
    return tuple(f.name for f in fields(IndexRecord))


class IndexMismatch(RuntimeError):
    """The index on disk does not belong to these records or this model: rebuild it."""


class CorpusHash:
    """The hash of the records' ids and texts, fed a record at a time (the index's config keeps it,
    and an index whose records do not match it is refused)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def add(self, record: IndexRecord) -> None:
        self._h.update(record.id.encode())
        self._h.update(b"\0")
        self._h.update(record.text.encode())
        self._h.update(b"\1")

    def hexdigest(self) -> str:
        return self._h.hexdigest()[:16]


def corpus_hash(records: Sequence[IndexRecord]) -> str:
    h = CorpusHash()
    for r in records:
        h.add(r)
    return h.hexdigest()


def _encode_in_chunks(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """All texts' vectors in one preallocated matrix, encoded a chunk at a time: encoders hold
    each batch several times over (tensors, lists, copies), which at 400,000 records tripled
    the peak memory of a build when everything was encoded at once."""
    vectors: np.ndarray | None = None
    for start in range(0, len(texts), ENCODE_CHUNK):
        part = encoder.encode_passages(texts[start:start + ENCODE_CHUNK])
        if vectors is None:
            vectors = np.empty((len(texts), part.shape[1]), dtype=np.float32)
        vectors[start:start + len(part)] = part
    return vectors if vectors is not None else encoder.encode_passages([])


def faiss_index(vectors: np.ndarray):
    """An inner-product FAISS index of `vectors`: exact below APPROXIMATE_FROM, IVF above."""
    import faiss

    dim = vectors.shape[1]
    if len(vectors) < APPROXIMATE_FROM:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = int(4 * np.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)
        index.nprobe = 16
    index.add(vectors)
    return index


def build_index_files(records: Iterable[IndexRecord], encoder_for: Callable[[list[str]], Encoder | EncoderBlend],
                      folder: Path) -> dict:
    """The files `SearchIndex.build(records, encoder).save(folder)` writes, without holding the
    records: each is written to records.jsonl as it comes and only its text is kept (the vectors,
    BM25 and the built-in encoder's word weights need them all). `encoder_for(texts)` gives the
    encoder once the texts are known. Returns the index's config."""
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    h = CorpusHash()
    with JsonlFile(folder / "records.jsonl") as out:
        for r in records:
            out.write(r.to_json())
            texts.append(r.text)
            h.add(r)
    encoder = encoder_for(texts)
    vectors = _encode_in_chunks(encoder, texts)
    config = _config(encoder, vectors, len(texts), h.hexdigest())
    terms = _thesaurus_vectors(encoder, len(texts))
    _save_dense(folder, faiss_index(vectors))
    del vectors  # the FAISS index holds its own copy
    LexicalIndex.build(texts).save(folder / "lexical")
    _save_terms(folder, terms)
    write_atomic(folder / "config.json", json.dumps(config, indent=1))
    return config


def _config(encoder, vectors: np.ndarray, count: int, corpus_digest: str) -> dict:
    return {
        "format": INDEX_FORMAT, "model": encoder.name, "dimension": int(vectors.shape[1]),
        "count": count, "corpus_hash": corpus_digest,
        "faiss": "flat" if count < APPROXIMATE_FROM else "ivf",
    }


def _thesaurus_vectors(encoder, count: int) -> dict[str, np.ndarray]:
    from kg.search.searcher import thesaurus_terms

    terms = thesaurus_terms() if count else []
    encode_terms = getattr(encoder, "encode_terms", None) or encoder.encode_queries
    term_vectors = encode_terms(terms) if terms else []
    return dict(zip(terms, term_vectors, strict=True))


def _save_dense(folder: Path, dense) -> None:
    import faiss

    faiss.write_index(dense, str(folder / "dense.faiss"))


def _save_terms(folder: Path, terms: dict[str, np.ndarray]) -> None:
    if terms:
        texts = list(terms)
        np.save(folder / "terms.npy", np.stack([terms[t] for t in texts]).astype(np.float32))
        write_atomic(folder / "terms.json", json.dumps(texts, ensure_ascii=False))


class SearchIndex:
    def __init__(self, records: list[IndexRecord], dense, lexical: LexicalIndex, config: dict,
                 terms: dict[str, np.ndarray] | None = None) -> None:
        self.records = records
        self.dense = dense
        self.lexical = lexical
        self.config = config
        self.terms = dict(terms or {})  # thesaurus term -> its vector as a question

    @classmethod
    def build(cls, records: Sequence[IndexRecord], encoder: Encoder | EncoderBlend) -> SearchIndex:
        records = list(records)
        vectors = _encode_in_chunks(encoder, [r.text for r in records])
        config = _config(encoder, vectors, len(records), corpus_hash(records))
        return cls(records, faiss_index(vectors), LexicalIndex.build([r.text for r in records]), config,
                   _thesaurus_vectors(encoder, len(records)))

    def term_vectors(self, terms: Sequence[str], encoder) -> np.ndarray:
        """The vectors of thesaurus terms as questions: computed with the index, or now (and kept)
        for a term the index does not have (an index built before, a thesaurus edited since)."""
        missing = [t for t in dict.fromkeys(terms) if t not in self.terms]
        if missing:
            self.terms.update(zip(missing, encoder.encode_queries(missing), strict=True))
        return np.stack([self.terms[t] for t in terms])

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        write_jsonl(folder / "records.jsonl", (r.to_json() for r in self.records))
        _save_dense(folder, self.dense)
        self.lexical.save(folder / "lexical")
        _save_terms(folder, self.terms)
        write_atomic(folder / "config.json", json.dumps(self.config, indent=1))

    @classmethod
    def load(cls, folder: Path, expected_model: str | None = None) -> SearchIndex:
        import faiss

        config = _checked_config(folder, expected_model)
        records = [IndexRecord.from_json(d) for d in read_jsonl(folder / "records.jsonl")]
        dense = faiss.read_index(str(folder / "dense.faiss"))
        _check_consistent(folder, config, len(records), corpus_hash(records), dense)
        return cls(records, dense, LexicalIndex.load(folder / "lexical"), config, _load_terms(folder, config))

    @staticmethod
    def verify(folder: Path, expected_model: str | None = None) -> int:
        """What `load` checks and reads, without holding the index: the number of records. The
        build checks its index before publishing it, in the process that made it; loading it
        whole there (every record as an object, the vectors, BM25's matrices) put 2 GB on top of
        what the index stage had left, and made the 5 GB peak of the 359-contract build."""
        import faiss

        config = _checked_config(folder, expected_model)
        h, count = CorpusHash(), 0
        with (folder / "records.jsonl").open(encoding="utf-8") as f:  # a line at a time: read_jsonl makes a list
            for line in f:
                if line.strip():
                    h.add(IndexRecord.from_json(json.loads(line)))
                    count += 1
        # Mapped, not read: the IVF lists or the flat codes stay in the file (each kind has its
        # own flag; faiss refuses the two together).
        flag = faiss.IO_FLAG_MMAP if config.get("faiss") == "ivf" else faiss.IO_FLAG_MMAP_IFC
        dense = faiss.read_index(str(folder / "dense.faiss"), flag)
        _check_consistent(folder, config, count, h.hexdigest(), dense)
        del dense
        LexicalIndex.load(folder / "lexical", mmap=True)
        _load_terms(folder, config)
        return count

    def dense_scores(self, query_vector: np.ndarray, candidates: np.ndarray | None, k: int) -> dict[int, float]:
        """Cosine similarities of the best `k` records (restricted to `candidates` when given)."""
        import faiss

        params = None
        if candidates is not None:
            if len(candidates) == 0:
                return {}
            selector = faiss.IDSelectorBatch(candidates.astype(np.int64))
            ivf = faiss.try_extract_index_ivf(self.dense)
            params = (faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe) if ivf is not None
                      else faiss.SearchParameters(sel=selector))
        k = min(k, self.dense.ntotal if candidates is None else len(candidates))
        scores, ids = self.dense.search(query_vector.reshape(1, -1), k, params=params)
        return {int(i): float(s) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0}


def _checked_config(folder: Path, expected_model: str | None) -> dict:
    config_path = folder / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"no search index in {folder}: run `contrats build`")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    if config.get("format") != INDEX_FORMAT:
        raise IndexMismatch(f"index format {config.get('format')} in {folder}, expected {INDEX_FORMAT}")
    if expected_model and config["model"] != expected_model:
        raise IndexMismatch(f"index in {folder} was built with {config['model']!r}, "
                            f"configured model is {expected_model!r}: run `contrats build`")
    return config


def _check_consistent(folder: Path, config: dict, count: int, digest: str, dense) -> None:
    if count != config["count"] or dense.ntotal != config["count"] \
            or dense.d != config["dimension"] or digest != config["corpus_hash"]:
        raise IndexMismatch(f"index in {folder} is inconsistent with its config: rebuild it")


def _load_terms(folder: Path, config: dict) -> dict[str, np.ndarray]:
    """The thesaurus terms' vectors saved with the index ({} when absent or not of this index)."""
    try:
        texts = json.loads((folder / "terms.json").read_text(encoding="utf-8"))
        vectors = np.load(folder / "terms.npy")
    except (OSError, ValueError):
        return {}
    if vectors.ndim != 2 or len(vectors) != len(texts) or vectors.shape[1] != config["dimension"]:
        return {}
    return dict(zip(texts, vectors, strict=True))
