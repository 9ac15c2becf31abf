"""`contrats build`: ingest, extract, graph and index, incrementally and atomically.

The data directory holds finished builds and a `current` link to the last good one:

    data/current -> builds/<build id>/   documents.jsonl passages.jsonl extractions/ graph.nt
                                         store/ index/ summary.json
    data/cache/<document sha256>-<pipeline version>/   per-document results, reused
    data/models/fr-word-vectors/          the built-in encoder
    data/embeddings/<encoder>-<fingerprint>/   passage vectors per text (kg.embedding_cache)

A build is written into a hidden temporary folder and only renamed into place and linked as
`current` once every stage succeeded, so a failed or killed build leaves the previous one
readable. A document whose content and pipeline are unchanged is taken from the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest import __version__ as ingest_version
from ingest.corpus import Ingested, discover, ingest_file
from ingest.errors import IngestError
from ingest.model import Passage
from kg.config import Settings
from kg.jsonl import read_jsonl, write_atomic, write_jsonl
from kg.records import index_records, records_from_extraction_json

KEEP_BUILDS = 2


class NoBuild(FileNotFoundError):
    """No finished build in the data directory."""


def current_build(data_dir: Path) -> Path:
    """The folder of the last good build, or a NoBuild error that says how to make one."""
    link = data_dir / "current"
    if not link.exists():
        raise NoBuild(f"no build in {data_dir}: run `contrats build corpus --data {data_dir}`")
    return link.resolve()


def pipeline_version() -> str:
    """Changes whenever what makes a cached document changes: the code and data of ingestion and
    extraction, the graph writer and URI rules, and the ontology. Invalidates the cache."""
    import ingest

    h = hashlib.sha256(ingest_version.encode())
    root = Path(ingest.__file__).parent
    kg_dir = Path(__file__).parent
    inputs = [p for p in sorted(root.rglob("*"))
              if p.suffix in (".py", ".yaml", ".csv") and "__pycache__" not in p.parts]
    inputs += [kg_dir / "graph.py", kg_dir / "uris.py", *sorted((kg_dir.parent / "ontology").glob("*.ttl"))]
    for path in inputs:
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class BuildSummary:
    build_id: str
    started: str
    documents: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    records: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    shacl_conforms: bool | None = None
    shacl_report: str = ""
    index: dict = field(default_factory=dict)
    reused: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _process_document(path: Path, cache_dir: Path, version: str, reference_csv: Path | None) -> tuple[Path, bool]:
    """Ingest and extract one document into its cache folder; True when it was already there."""
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json
    from kg.graph import extraction_to_graph

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = cache_dir / f"{digest[:20]}-{version}-{path.name}"
    if (folder / "done").exists():
        return folder, True
    ingested: Ingested = ingest_file(path)
    extraction = extract(ingested.document, ingested.passages, reference_csv=reference_csv)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    write_atomic(tmp / "document.json", json.dumps(ingested.document.to_json(), ensure_ascii=False))
    write_jsonl(tmp / "passages.jsonl", (p.to_json() for p in ingested.passages))
    write_atomic(tmp / "extraction.json", json.dumps(extraction_to_json(extraction), ensure_ascii=False))
    graph = extraction_to_graph(extraction, ingested.passages)
    write_atomic(tmp / "graph.nt", graph.serialize(format="nt"))
    (tmp / "done").write_text(digest)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder, False


def build(corpus: Sequence[Path], settings: Settings, progress: Callable | None = None,
          log: Callable[[str], None] = print) -> BuildSummary:
    """Build the graph and the index from `corpus` into `settings.data_dir`. Atomic."""
    from kg.encoder import BUILTIN_FR, load_encoder
    from kg.graph import build_activity_graph
    from kg.index import SearchIndex
    from kg.validate import validate_graph

    t0 = time.time()
    data_dir = settings.data_dir
    builds = data_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    summary = BuildSummary(build_id, datetime.now(UTC).isoformat(timespec="seconds"))
    for stale in builds.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by a killed build
    work = builds / f".tmp-{build_id}"
    work.mkdir()
    try:
        files, errors = discover(corpus)
        summary.failures.extend(str(e) for e in errors)
        version = pipeline_version()
        reference_csv = settings.qpv_table
        folders: list[Path] = []
        stage = time.time()
        iterator = progress(files, len(files), "build") if progress else files
        for path in iterator:
            try:
                folder, reused = _process_document(path, data_dir / "cache", version, reference_csv)
                folders.append(folder)
                summary.reused += reused
            except IngestError as e:
                summary.failures.append(str(e))
        summary.stage_seconds["ingest+extract+graph"] = round(time.time() - stage, 2)
        if not folders:
            raise BuildError("nothing could be built: " + "; ".join(summary.failures or ["no input files"]))

        documents, passages, extractions = [], [], []
        (work / "extractions").mkdir()
        graph_parts = []
        seen_ids: dict[str, str] = {}
        for folder in folders:
            doc = json.loads((folder / "document.json").read_text(encoding="utf-8"))
            if doc["id"] in seen_ids:
                summary.failures.append(f"{doc['path']}: same document id {doc['id']!r} as {seen_ids[doc['id']]}; "
                                        "skipped (rename the file or give it a manifest row)")
                continue
            seen_ids[doc["id"]] = doc["path"]
            documents.append(doc)
            passages.extend(read_jsonl(folder / "passages.jsonl"))
            extraction = json.loads((folder / "extraction.json").read_text(encoding="utf-8"))
            extractions.append(extraction)
            shutil.copyfile(folder / "extraction.json", work / "extractions" / f"{doc['id']}.json")
            graph_parts.append((folder / "graph.nt").read_text(encoding="utf-8"))
        write_jsonl(work / "documents.jsonl", documents)
        write_jsonl(work / "passages.jsonl", passages)
        summary.documents = [{"id": d["id"], "territory": d.get("territory"), "generation": d.get("generation"),
                              "passages": sum(1 for p in passages if p["document_id"] == d["id"])}
                             for d in documents]
        for x in extractions:
            for key in ("neighbourhoods", "signatories", "partners", "orientations", "commitments", "indicators"):
                summary.records[key] = summary.records.get(key, 0) + len(x[key])

        stage = time.time()
        activity = build_activity_graph(build_id, summary.started, [d["id"] for d in documents])
        nt = "".join(graph_parts) + activity.serialize(format="nt")
        write_atomic(work / "graph.nt", nt)
        conforms, report, triples = validate_graph(work / "graph.nt")
        summary.triples = triples
        summary.shacl_conforms, summary.shacl_report = conforms, report[:4000]
        summary.stage_seconds["graph+shacl"] = round(time.time() - stage, 2)

        stage = time.time()
        _load_store(work, settings)
        summary.stage_seconds["store"] = round(time.time() - stage, 2)

        stage = time.time()
        records = index_records([Passage.from_json(p) for p in passages], documents,
                                [records_from_extraction_json(x) for x in extractions])
        encoder = load_encoder(settings.model, data_dir / "models",
                               corpus_texts=[r.text for r in records] if BUILTIN_FR in settings.model else None,
                               cache_dir=settings.embeddings_dir)
        index = SearchIndex.build(records, encoder)
        index.save(work / "index")
        summary.index = index.config
        summary.stage_seconds["index"] = round(time.time() - stage, 2)

        summary.seconds = round(time.time() - t0, 2)
        write_atomic(work / "summary.json", json.dumps(summary.to_json(), ensure_ascii=False, indent=1))
        final = builds / build_id
        os.replace(work, final)
        _point_current(data_dir, final)
        _collect_old_builds(builds)
        return summary
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


class BuildError(RuntimeError):
    pass


def _load_store(work: Path, settings: Settings) -> None:
    from kg.store import open_store

    if settings.store == "oxigraph":
        store = open_store("oxigraph", str(work / "store"))
    elif settings.store == "sparql":
        store = open_store("sparql", settings.sparql_query_url, update_url=settings.sparql_update_url)
        store.clear()
    else:
        return  # the in-memory store is loaded from graph.nt by whoever opens it
    try:
        store.load_file(work / "graph.nt")
    finally:
        store.close()


def _point_current(data_dir: Path, target: Path) -> None:
    """Swap the `current` link in one rename: readers see the old build or the new one."""
    tmp_link = data_dir / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("builds") / target.name)
    os.replace(tmp_link, data_dir / "current")


def _collect_old_builds(builds: Path) -> None:
    finished = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-KEEP_BUILDS]:
        shutil.rmtree(old, ignore_errors=True)
