"""The build's search index, made from the documents' files one document at a time.

The build used to gather every passage and every extraction of the corpus in memory (as JSON,
then as typed records, then as index records) before encoding them: at 155 synthetic contracts
its main process peaked at 3.9 GB. Here each document's passages and extraction are read from
its files when its records are due, and the records go to the index folder as they are made
(kg.search.index.build_index_files). The records come in the order `kg.records.index_records` gives
them — every document's passages, then every document's commitments and objectives — so the
index is the one the whole-corpus build makes: same records, same ids, same vectors.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.model import Passage
from kg.jsonl import read_jsonl
from kg.records import document_fields, extraction_records, passage_records, records_from_extraction_json
from kg.search.encoder import Encoder, EncoderBlend
from kg.search.index import IndexRecord, build_index_files


@dataclass(frozen=True)
class DocumentFiles:
    """Where a built document's index records come from."""

    passages: Path  # its passages.jsonl
    extraction: Path  # its extraction JSON as the build publishes it (corrections applied)


def _passages(path: Path) -> list[Passage]:
    return [Passage.from_json(p) for p in read_jsonl(path)]


def document_index_records(documents: Sequence[dict], files: Sequence[DocumentFiles]) -> Iterator[IndexRecord]:
    """The index records of the documents (rows of documents.jsonl), read from `files`."""
    fields = document_fields(documents)
    for f in files:
        yield from passage_records(_passages(f.passages), fields)
    for f in files:
        # Read again rather than kept from the first pass: the sections of a commitment's passage
        # are all that is needed of them, and keeping every passage is what this module avoids.
        by_passage = {p.id: p for p in _passages(f.passages)}
        extraction = records_from_extraction_json(json.loads(f.extraction.read_text(encoding="utf-8")))
        yield from extraction_records(extraction, fields, by_passage)


def build_document_index(documents: Sequence[dict], files: Sequence[DocumentFiles],
                         encoder_for: Callable[[list[str]], Encoder | EncoderBlend], folder: Path) -> dict:
    """The search index of the documents into `folder`; its config."""
    return build_index_files(document_index_records(documents, files), encoder_for, folder)
