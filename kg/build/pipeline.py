"""`contrats build`: ingest, extract, graph and index, incrementally and atomically.

The data directory holds finished builds and a `current` link to the last good one:

    data/current -> builds/<build id>/   documents.jsonl passages.jsonl extractions/ graph.nt
                                         store/ index/ summary.json
    data/cache/<document sha256>-<pipeline version>/   per-document results, reused
    data/models/fr-word-vectors/          the built-in encoder
    data/embeddings/<encoder>-<fingerprint>/   passage vectors per text (kg.search.embedding_cache)

A build is written into a hidden temporary folder and only renamed into place and linked as
`current` once every stage succeeded, so a failed or killed build leaves the previous one
readable. A document whose content and pipeline are unchanged is taken from the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from ingest import __version__ as ingest_version
from ingest import environment
from ingest.corpus import Ingested, discover, ingest_file
from ingest.errors import IngestError, disk_error, one_document, one_line
from ingest.limits import Limits, time_budget
from kg.build.corrections import BuildCorrections
from kg.build.pointer import NoBuild, current_build  # noqa: F401 (NoBuild: kg.build.pipeline's callers catch it)
from kg.config import Settings
from kg.jsonl import JsonlFile, read_jsonl, write_atomic, write_jsonl
from kg.shipped import ONTOLOGY_DIR

logger = logging.getLogger("contrats.build")
logger.addHandler(logging.NullHandler())  # silent unless the application configures logging

KEEP_BUILDS = 2
CACHE_DAYS = 30  # a cached document unused this long is deleted


def pipeline_inputs() -> list[Path]:
    """What makes a cached document: the code and data of ingestion and extraction (the shipped
    extraction model included: ingest/data/extraction_model.json), the graph writer and URI
    rules, and the ontology."""
    import ingest

    root = Path(ingest.__file__).parent
    kg_dir = Path(__file__).parent.parent
    # The reference tables have their own part of the key (reference_fingerprint): a wheel holds
    # them as a folder under ingest/data, a checkout as a link that rglob does not follow.
    inputs = [p for p in sorted(root.rglob("*"))
              if p.suffix in (".py", ".yaml", ".csv", ".json") and "__pycache__" not in p.parts
              and p.relative_to(root).parts[:2] != ("data", "reference")]
    inputs += [kg_dir / "graph" / "writer.py", kg_dir / "graph" / "uris.py", *sorted(ONTOLOGY_DIR.glob("*.ttl"))]
    return [p for p in inputs if p.exists()]


def pipeline_version(inputs: Sequence[Path] | None = None) -> str:
    """A hash of `pipeline_inputs()`: changes whenever one of them does, and so invalidates the cache."""
    h = hashlib.sha256(ingest_version.encode())
    for path in pipeline_inputs() if inputs is None else inputs:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def reference_fingerprint(reference_dir: Path) -> str:
    """Changes whenever a reference table changes: neighbourhoods are coded and territories named
    from them, so a cached extraction made with other tables is stale."""
    h = hashlib.sha256()
    for path in sorted(Path(reference_dir).glob("*.csv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def missing_reference(settings: Settings) -> list[str]:
    """What a build loses for each reference table it cannot find: said, never silently dropped."""
    from ingest.reference import CONTRACT_TABLE, CORRESPONDENCE_TABLE, QPV_TABLE_2015

    where = f"in {settings.reference_dir} (CONTRATS_REFERENCE)"
    losses = [(settings.qpv_table.name, settings.qpv_table.exists(),
               "neighbourhoods are left without their QN codes and communes"),
              (CONTRACT_TABLE, (settings.reference_dir / CONTRACT_TABLE).exists(),
               "territories are left without their SIREN and contract code"),
              (QPV_TABLE_2015, (settings.reference_dir / QPV_TABLE_2015).exists(),
               "2015 neighbourhoods are left without their QP codes"),
              (CORRESPONDENCE_TABLE, (settings.reference_dir / CORRESPONDENCE_TABLE).exists(),
               "no 2024 neighbourhood is linked to the 2015 one it continues")]
    return [f"no {name} {where}: {loss}" for name, found, loss in losses if not found]


@dataclass
class BuildSummary:
    build_id: str
    started: str
    documents: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # one line per document not built: "PATH: cause"
    warnings: list[str] = field(default_factory=list)  # the built documents' warnings
    records: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    shacl_conforms: bool | None = None
    shacl_report: str = ""
    index: dict = field(default_factory=dict)
    reused: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # The build process's peak resident memory (MB) at the end of each stage, and its workers'
    # ("workers"): where a build's memory goes, measured by every build.
    stage_peak_rss_mb: dict[str, int] = field(default_factory=dict)
    review: dict[str, int] = field(default_factory=dict)  # researchers' corrections applied (kg.review.apply)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def cache_key(digest: str, path: Path, version: str) -> str:
    """The document's cache folder name: a hash of its content, its file name and its manifest
    row (which give its id and metadata) with the pipeline version. Never the file name itself,
    which may be 255 bytes long before anything is added to it."""
    from ingest.corpus import manifest_row

    doc_id, meta = manifest_row(path)
    h = hashlib.sha256("\0".join([digest, path.name, repr(doc_id), repr(meta), version]).encode("utf-8"))
    return h.hexdigest()[:40]


def _process_document(path: Path, cache_dir: Path, version: str, reference_csv: Path | None,
                      limits: Limits | None = None, shapes: Path | None = None) -> tuple[Path, bool]:
    """Ingest and extract one document into its cache folder; True when it was already there.
    Raises IngestError (one line) for anything wrong with this document."""
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json
    from ingest.read.document import TEXT_SUFFIXES
    from ingest.read.files import read_source
    from kg.graph.writer import extraction_to_graph

    limits = limits or Limits()
    raw = read_source(path, limits, text=path.suffix.lower() in TEXT_SUFFIXES)  # never blocks (FIFOs refused)
    digest = hashlib.sha256(raw).hexdigest()
    del raw
    folder = cache_dir / cache_key(digest, path, version)
    if (folder / "done").exists():
        os.utime(folder)  # used: kept by the cache pruning
        return folder, True
    ingested: Ingested = ingest_file(path, limits)
    extraction = extract(ingested.document, ingested.passages, reference_csv=reference_csv)
    tmp = folder.with_name(folder.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        write_atomic(tmp / "document.json", json.dumps(ingested.document.to_json(), ensure_ascii=False))
        write_jsonl(tmp / "passages.jsonl", (p.to_json() for p in ingested.passages))
        write_atomic(tmp / "extraction.json", json.dumps(extraction_to_json(extraction), ensure_ascii=False))
        graph = extraction_to_graph(extraction, ingested.passages)
        nt = graph.serialize(format="nt")
        write_atomic(tmp / "graph.nt", nt)
        if shapes is not None:  # validated now, as written (kg.build.validate_document)
            from kg.build.validate_document import keep_failures, parse_nt

            keep_failures(tmp, parse_nt(nt), shapes)
        (tmp / "done").write_text(digest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # nothing half-written stays in the cache
        raise
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(tmp, folder)
    return folder, False


@dataclass(frozen=True)
class DocumentOutcome:
    """What a worker answers for one document: its cache folder, or the one line that says why not."""

    folder: Path | None = None
    reused: bool = False
    failure: str | None = None
    shape_failures: tuple = ()  # kg.graph.validate.ShapeFailure: its graph against the document shapes


def _document_job(path: Path, cache_dir: Path, version: str, reference_csv: Path | None,
                  limits: Limits, shapes: Path | None = None) -> DocumentOutcome:
    """One document, in a worker process: every failure comes back as a line, not an exception.
    Its graph is validated here too (kg.build.validate_document), so no process holds the whole graph."""
    from kg.build.validate_document import document_failures

    try:
        with one_document(str(path)), time_budget(str(path), limits.document_seconds):
            folder, reused = _process_document(path, cache_dir, version, reference_csv, limits, shapes)
            failures = tuple(document_failures(folder, shapes)) if shapes is not None else ()
    except IngestError as e:
        return DocumentOutcome(failure=str(e))
    return DocumentOutcome(folder, reused, shape_failures=failures)


def process_documents(files: Sequence[Path], cache_dir: Path, version: str, reference_csv: Path | None,
                      summary: BuildSummary, progress: Callable | None = None,
                      log: Callable[[str], None] = print, workers: int | None = None,
                      executor: Executor | None = None, shapes: Path | None = None,
                      validated: dict[Path, tuple] | None = None) -> list[Path]:
    """Each document into the cache, in worker processes (kg.build.document_pool), each one isolated: a
    document that fails, or whose reader crashes its process, is one line in `summary.failures`
    (and on `log`), and the others go on. The same error path as `contrats ingest`
    (ingest.errors.one_document). Folders come back in the order of `files`; with `shapes`, each
    document's graph is validated in its worker and its failures put in `validated[folder]`."""
    from kg.build.document_pool import run_each

    job = partial(_document_job, cache_dir=cache_dir, version=version, reference_csv=reference_csv,
                  limits=Limits(), shapes=shapes)
    outcomes: dict[int, DocumentOutcome] = {}
    done = run_each(job, list(files), workers=workers, executor=executor)
    bar = progress(done, len(files), "read+extract") if progress else done
    failed = 0
    for n, outcome in bar:
        if isinstance(outcome, OSError) and disk_error(outcome):
            raise outcome  # the disk, not the document: ends the build (see ingest.errors)
        if not isinstance(outcome, DocumentOutcome):  # the worker died, or the executor failed
            outcome = DocumentOutcome(failure=f"{files[n]}: {one_line(outcome)}; skipped")
        if outcome.failure:
            summary.failures.append(outcome.failure)
            log(f"error: {outcome.failure}")
            failed += 1
            if hasattr(bar, "set_postfix_str"):  # a progress bar: documents failed so far
                bar.set_postfix_str(f"{failed} failed")
        outcomes[n] = outcome
    folders = []
    for n in sorted(outcomes):
        folder = outcomes[n].folder
        if folder is not None:
            folders.append(folder)
            summary.reused += outcomes[n].reused
            if validated is not None:
                validated[folder] = outcomes[n].shape_failures
    return folders


def _logged(log: Callable[[str], None]) -> Callable[[str], None]:
    """`log`, and the same line through `logging` ("contrats.build"): errors and warnings at their
    level, the rest as information."""
    def both(message: str) -> None:
        level = logging.ERROR if message.startswith("error:") else \
            logging.WARNING if message.startswith("warning:") else logging.INFO
        logger.log(level, message)
        log(message)
    return both


def build(corpus: Sequence[Path], settings: Settings, progress: Callable | None = None,
          log: Callable[[str], None] = print, wait: bool = True, executor: Executor | None = None,
          allow_invalid: bool = False) -> BuildSummary:
    """Build the graph and the index from `corpus` into `settings.data_dir`. Atomic, and one at a
    time per data directory: a second build waits for the first (or, with `wait=False`, fails
    at once with BuildError). A graph that fails its SHACL shapes is not published (BuildError
    naming the failing shapes and nodes) unless `allow_invalid`."""
    from kg.build.lock import BuildBusy, build_lock

    log = _logged(log)
    try:
        with build_lock(settings.data_dir, wait=wait, log=log):
            return _build_locked(corpus, settings, progress, log, executor, allow_invalid)
    except BuildBusy as e:
        raise BuildError(str(e)) from e
    except OSError as e:
        if said := disk_error(e):  # disk full, quota, read-only: said in one line, not a traceback
            raise BuildError(f"cannot write the build in {settings.data_dir}: {said}"
                             + (f" ({e.filename})" if e.filename else "")) from e
        raise


def _build_locked(corpus: Sequence[Path], settings: Settings, progress: Callable | None,
                  log: Callable[[str], None], executor: Executor | None = None,
                  allow_invalid: bool = False) -> BuildSummary:
    from rdflib import Graph

    from kg.build.graph_stage import GraphFile, load_check_and_count
    from kg.build.index_stage import DocumentFiles, build_document_index
    from kg.build.lease import create_lease_file
    from kg.build.publish import IncompleteBuild, verify_build
    from kg.build.validate_document import nt_failures
    from kg.graph.uris import AUDIT_FILE
    from kg.graph.validate import SHAPES, describe
    from kg.graph.writer import build_activity_graph
    from kg.search.encoder import BUILTIN_FR, load_encoder

    t0 = time.time()
    data_dir = settings.data_dir
    builds = data_dir / "builds"
    build_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    summary = BuildSummary(build_id, datetime.now(UTC).isoformat(timespec="seconds"))
    work = builds / f".tmp-{build_id}"
    try:
        builds.mkdir(parents=True, exist_ok=True)
        # We hold the build lock, so every working folder here was left by a killed build.
        for stale in builds.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        work.mkdir()
        files, errors = discover(corpus)
        for e in errors:
            summary.failures.append(str(e))
            log(f"error: {e}")
        # The cache key's version: the pipeline (code, model, ontology) and the reference tables.
        version = f"{pipeline_version()}-{reference_fingerprint(settings.reference_dir)}"
        reference_csv = settings.qpv_table
        for warning in missing_reference(settings):
            summary.warnings.append(warning)
            log(f"warning: {warning}")
        stage = time.time()
        shapes = SHAPES  # read here: a worker process would not see a shapes file set by a test
        validated: dict[Path, tuple] = {}
        folders = process_documents(files, data_dir / "cache", version, reference_csv, summary, progress, log,
                                    workers=settings.workers, executor=executor, shapes=shapes,
                                    validated=validated)
        summary.stage_seconds["ingest+extract+graph"] = round(time.time() - stage, 2)
        _note_peak(summary, "ingest+extract+graph", workers=executor is None)
        if not folders:
            raise BuildError("nothing could be built: " + "; ".join(summary.failures or ["no input files"]))

        documents: list[dict] = []
        index_files: list[DocumentFiles] = []  # the search index reads each document again from these
        passages_file = JsonlFile(work / "passages.jsonl")
        (work / "extractions").mkdir()
        graph_file = GraphFile(work / "graph.nt")
        shape_failures: list = []  # kg.graph.validate.ShapeFailure of each document's graph
        audit_parts: list[str] = []
        review = BuildCorrections(data_dir, summary, log)
        seen_ids: dict[str, str] = {}
        for folder in folders:
            doc = json.loads((folder / "document.json").read_text(encoding="utf-8"))
            if doc["id"] in seen_ids:
                summary.failures.append(f"{doc['path']}: same document id {doc['id']!r} as {seen_ids[doc['id']]}; "
                                        "skipped (rename the file or give it a manifest row)")
                log(f"error: {summary.failures[-1]}")
                continue
            seen_ids[doc["id"]] = doc["path"]
            for warning in doc.get("warnings", []):
                summary.warnings.append(warning)
                log(f"warning: {warning}")
            documents.append(doc)
            doc_passages = read_jsonl(folder / "passages.jsonl")
            for p in doc_passages:
                passages_file.write(p)
            extraction_file = work / "extractions" / f"{doc['id']}.json"
            index_files.append(DocumentFiles(folder / "passages.jsonl", extraction_file))
            extraction = json.loads((folder / "extraction.json").read_text(encoding="utf-8"))
            reviewed = review.of(doc["id"])
            if reviewed:
                extraction, graph_nt, audit_nt = review.apply(extraction, doc_passages, reviewed)
                write_atomic(extraction_file, json.dumps(extraction, ensure_ascii=False))
                graph_file.add(graph_nt)
                shape_failures += nt_failures(graph_nt, shapes)  # the reviewed graph, not the cached one
                audit_parts.append(audit_nt)
            else:
                shutil.copyfile(folder / "extraction.json", extraction_file)
                graph_file.add_file(folder / "graph.nt")
                shape_failures += validated.get(folder, ())
            # Counted here, a document at a time: nothing of the documents is held after the loop.
            summary.documents.append({"id": doc["id"], "territory": doc.get("territory"),
                                      "generation": doc.get("generation"),
                                      "passages": sum(1 for p in doc_passages if p["document_id"] == doc["id"])})
            for key in ("neighbourhoods", "signatories", "partners", "orientations", "commitments", "indicators"):
                summary.records[key] = summary.records.get(key, 0) + len(extraction[key])
        passages_file.close()
        review.report(seen_ids)
        if audit_parts:
            write_atomic(work / AUDIT_FILE, "".join(audit_parts))
        write_jsonl(work / "documents.jsonl", documents)

        stage = time.time()
        # Bounded memory: the graph is streamed to graph.nt, checked and counted on the store
        # (kg.build.graph_stage); only what the build adds is held here.
        activity = build_activity_graph(build_id, summary.started, [d["id"] for d in documents])
        additions = activity.serialize(format="nt") + _geometries(graph_file.geometry_lines(), settings, summary, log)
        graph_file.add(additions)
        graph_file.close()
        checked = load_check_and_count(work, settings.store, shapes, Graph().parse(data=additions, format="nt"),
                                       work / AUDIT_FILE)
        shape_failures += checked.failures
        summary.triples = checked.triples
        summary.shacl_conforms = not shape_failures
        summary.shacl_report = describe(shape_failures)[:4000]
        summary.records["observations"] = checked.observations
        summary.stage_seconds["graph+shacl"] = round(time.time() - stage, 2)
        summary.stage_seconds.update(checked.seconds)
        _note_peak(summary, "graph+shacl")
        if shape_failures:
            if not allow_invalid:
                raise BuildError("the graph does not conform to its SHACL shapes, so it was not published:\n"
                                 + describe(shape_failures) + "\n(--allow-invalid publishes it anyway, for debugging)")
            log("warning: the graph does not conform to its SHACL shapes (published with --allow-invalid):\n"
                + describe(shape_failures))

        stage = time.time()
        for note in _load_store(work, settings):
            summary.warnings.append(note)
            log(f"warning: {note}")
        if settings.store == "sparql":
            summary.stage_seconds["store"] = round(time.time() - stage, 2)

        stage = time.time()

        def encoder_for(texts: list[str]):
            return load_encoder(settings.model, data_dir / "models",
                                corpus_texts=texts if BUILTIN_FR in settings.model else None,
                                cache_dir=settings.embeddings_dir)

        # From the documents' files, a document at a time (kg.build.index_stage): the same index as
        # SearchIndex.build over every record, without every passage and record in memory.
        summary.index = build_document_index(documents, index_files, encoder_for, work / "index")
        summary.stage_seconds["index"] = round(time.time() - stage, 2)
        _note_peak(summary, "index")

        summary.seconds = round(time.time() - t0, 2)
        write_atomic(work / "summary.json", json.dumps(summary.to_json(), ensure_ascii=False, indent=1))
        create_lease_file(work)
        try:
            verify_build(work, settings.store, settings.model)
        except IncompleteBuild as e:
            raise BuildError(f"the build is incomplete and was not published: {e}") from e
        final = builds / build_id
        os.replace(work, final)
        _point_current(data_dir, final)
        _collect_old_builds(builds)
        prune_cache(data_dir / "cache", used=set(folders))
        return summary
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


class BuildError(RuntimeError):
    pass


def _note_peak(summary: BuildSummary, stage: str, workers: bool = False) -> None:
    """The peak resident memory so far (it only grows: the stage that raised it is where it was)."""
    import resource

    summary.stage_peak_rss_mb[stage] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if workers:  # the worker processes of the local pool, ended with it
        summary.stage_peak_rss_mb["workers"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _geometries(nt: str, settings: Settings, summary: BuildSummary, log: Callable[[str], None]) -> str:
    """The GeoSPARQL geometries of the graph's coded neighbourhoods and territories (kg.graph.geometry)."""
    from kg.graph.geometry import geometry_nt

    def warn(message: str) -> None:
        summary.warnings.append(message.removeprefix("warning: "))
        log(message)

    return geometry_nt(nt, settings.reference_dir, warn)


def _load_store(work: Path, settings: Settings) -> list[str]:
    """Load the build's graphs into the configured store; what the store had to say about it."""
    from kg.graph.uris import AUDIT_FILE, REJECTED_GRAPH
    from kg.sparql.store import open_store

    if settings.store == "oxigraph":
        return []  # loaded already, to be checked and counted (kg.build.graph_stage)
    if settings.store == "sparql":
        store = open_store("sparql", settings.sparql_query_url, update_url=settings.sparql_update_url)
        store.clear()
    else:
        return []  # the in-memory store is loaded from graph.nt by whoever opens it
    try:
        store.load_file(work / "graph.nt")
        if (work / AUDIT_FILE).exists():
            store.load_file(work / AUDIT_FILE, graph=REJECTED_GRAPH)
        return list(getattr(store, "notes", []))
    finally:
        store.close()


def _point_current(data_dir: Path, target: Path) -> None:
    """Swap the `current` link in one rename: readers see the old build or the new one."""
    tmp_link = data_dir / f".current-{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(Path("builds") / target.name)
    os.replace(tmp_link, data_dir / "current")


def _collect_old_builds(builds: Path) -> None:
    """Keep the last KEEP_BUILDS builds, and any older one a running reader still holds."""
    from kg.build.lease import delete_unless_in_use

    finished = sorted(p for p in builds.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in finished[:-KEEP_BUILDS]:
        delete_unless_in_use(old)


def prune_cache(cache_dir: Path, used: set[Path]) -> None:
    """Drop cached documents this build did not use and nobody used for CACHE_DAYS (default
    30, `CONTRATS_CACHE_DAYS`), and working folders of killed builds (we hold the build lock)."""
    if not cache_dir.is_dir():
        return
    days = environment.number("CONTRATS_CACHE_DAYS", CACHE_DAYS)
    cutoff = time.time() - days * 86400
    for entry in cache_dir.iterdir():
        if entry in used:
            continue
        try:
            stale = ".tmp" in entry.name or entry.stat().st_mtime < cutoff
        except OSError:
            continue
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
