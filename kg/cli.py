"""`contrats`: the command-line tool."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from ingest import environment
from kg.config import load_settings
from kg.extras import ExtrasGroup, require


def _progress(iterable, total: int | None, desc: str):
    # A bar only on a terminal: in a log its carriage returns ran into the `error:` lines.
    return tqdm(iterable, total=total, desc=desc, unit="doc", file=sys.stderr, disable=not sys.stderr.isatty())


@click.group(cls=ExtrasGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="contrats-kg")
def main() -> None:
    """contrats-kg: French urban-policy contracts as a knowledge graph and a search index."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for documents.jsonl and passages.jsonl.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any file could not be ingested.")
def ingest(paths: tuple[Path, ...], out_dir: Path, strict: bool) -> None:
    """Read PDFs and text exports into clean passages with page/line provenance."""
    from ingest.corpus import Ingested, discover, ingest_paths
    from kg.jsonl import write_jsonl

    files, _ = discover(paths)
    documents, passages, failures = [], [], 0
    for result in _progress(ingest_paths(paths), total=len(files), desc="ingest"):
        if isinstance(result, Ingested):
            documents.append(result.document.to_json())
            passages.extend(p.to_json() for p in result.passages)
            for w in result.document.warnings:
                click.echo(f"warning: {w}", err=True)
        else:
            failures += 1
            click.echo(f"error: {result}", err=True)
    if not documents:
        click.echo("error: nothing could be ingested", err=True)
        sys.exit(1)
    write_jsonl(out_dir / "documents.jsonl", documents)
    write_jsonl(out_dir / "passages.jsonl", passages)
    click.echo(f"{len(documents)} documents, {len(passages)} passages -> {out_dir}"
               + (f" ({failures} files failed)" if failures else ""))
    if strict and failures:
        sys.exit(1)


data_option = click.option(
    "--data", "data_dir", type=click.Path(path_type=Path), default=None,
    help="Data directory (default: $CONTRATS_DATA or data/).")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the JSON object (default: a summary).")
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="QPV reference table to link neighbourhoods (default: configured reference).")
@click.option("--no-link", is_flag=True, help="Do not link neighbourhoods to official codes.")
def extract(file: Path, as_json: bool, reference: Path | None, no_link: bool) -> None:
    """Extract one document's records (territory, QPV, signatories, partners, orientations,
    objectives, commitments, indicators)."""
    import json

    from ingest.corpus import ingest_file
    from ingest.errors import IngestError
    from ingest.extract.pipeline import extract as run_extract
    from ingest.extract.to_json import extraction_to_json

    settings = load_settings()
    reference = None if no_link else (reference or settings.qpv_table)
    try:
        ingested = ingest_file(file)
    except IngestError as e:
        _fail(str(e))
    result = extraction_to_json(run_extract(ingested.document, ingested.passages, reference_csv=reference))
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=1))
        return
    click.echo(f"{result['document']['id']}: {result['territory']['name']} ({result['document']['generation']})")
    for key in ("neighbourhoods", "signatories", "partners", "orientations", "commitments", "indicators"):
        click.echo(f"  {key:15} {len(result[key])}")


@main.command()
@click.argument("corpus", nargs=-1, type=click.Path(path_type=Path))
@data_option
@click.option("--no-wait", is_flag=True, help="Fail at once if another build is running on the data directory.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Documents processed at once, each in a worker process (default: every core; CONTRATS_WORKERS).")
@click.option("--allow-invalid", is_flag=True,
              help="Publish the build even if the graph fails its SHACL shapes (for debugging; exit status 2).")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS",
              help="Process the documents on a Dask cluster: its scheduler (tcp://host:8786), or `local` "
                   "(needs the [distributed] extra; the workers share the corpus and data paths).")
def build(corpus: tuple[Path, ...], data_dir: Path | None, no_wait: bool, workers: int | None,
          allow_invalid: bool, dask_address: str | None) -> None:
    """Ingest, extract, build the graph and the search index (incremental, atomic)."""
    from contextlib import nullcontext

    from kg.build.dask_executor import DaskMissing, dask_executor
    from kg.build.pipeline import BuildError
    from kg.build.pipeline import build as run_build

    settings = load_settings(data_dir).with_workers(workers)
    try:
        with dask_executor(dask_address, workers) if dask_address else nullcontext() as executor:
            summary = run_build(list(corpus) or [Path("corpus")], settings, progress=_progress,
                                log=lambda m: tqdm.write(m, file=sys.stderr), wait=not no_wait,
                                allow_invalid=allow_invalid, executor=executor)
    except (BuildError, DaskMissing) as e:
        _fail(f"{e} (the previous build, if any, is untouched)")
    # Each failure and warning was printed as it happened (`log`), one line each.
    click.echo(f"build {summary.build_id} -> {settings.data_dir / 'current'}")
    click.echo(f"  documents   {len(summary.documents)} ({summary.reused} unchanged, reused)")
    for key, n in summary.records.items():
        click.echo(f"  {key:11} {n}")
    click.echo(f"  triples     {summary.triples}")
    click.echo(f"  SHACL       {'conforms' if summary.shacl_conforms else 'DOES NOT CONFORM'}")
    click.echo(f"  index       {summary.index.get('count')} records, {summary.index.get('model')}")
    click.echo(f"  time        {summary.seconds:.1f} s")
    if summary.failures or summary.warnings:
        click.echo(f"  failures    {len(summary.failures)}, warnings {len(summary.warnings)} "
                   f"(each printed above; all in {settings.data_dir / 'current' / 'summary.json'})")
    if not summary.shacl_conforms:
        click.echo(summary.shacl_report, err=True)
        sys.exit(2)


def _build(data_dir: Path | None):
    """The current build of the data directory (kg.facade), or exit saying how to make one."""
    from kg.facade import Build, NoBuild

    try:
        return Build.current(load_settings(data_dir))
    except NoBuild as e:
        _fail(str(e))


def _searcher(data_dir: Path | None):
    from kg.facade import IndexMismatch
    from kg.threads import limit_query_threads

    limit_query_threads()  # before the native libraries load (kg.threads)
    try:
        return _build(data_dir).searcher()
    except (FileNotFoundError, IndexMismatch) as e:
        # IndexMismatch: an index built with another encoder (CONTRATS_MODEL), e.g. before an upgrade.
        _fail(str(e))


def _print_results(results, as_json: bool, response=None, envelope: bool = False) -> None:
    import json

    understood = getattr(response, "understood", None)
    if as_json:
        # `--json` stays the list of results users' scripts read; the object with what the question
        # was understood to name is asked for explicitly (--with-understood).
        payload = response.to_json() if response is not None and envelope else [r.to_json() for r in results]
        if not envelope and understood is not None and understood.mentions:
            click.echo("note: understood " + "; ".join(f"{m.kind} {m.label}" for m in understood.mentions)
                       + " (--literal to ignore, --with-understood for it in the JSON)", err=True)
        click.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    if understood is not None and understood.mentions:
        click.echo("compris / understood: " + "; ".join(f"{m.kind} {m.label} («{m.text}»)" for m in understood.mentions)
                   + "  (--literal to ignore)")
    if not results:
        click.echo("rien trouvé / nothing found")
    for n, r in enumerate(results, 1):
        rec = r.record
        where = f"p. {rec.page}" if rec.page else f"l. {rec.line}"
        click.echo(f"{n:2}. [{r.score:.3f}] {rec.territory} · {rec.document} · {where} · {rec.record_type}"
                   + (f" · {rec.partner}" if rec.partner else ""))
        if rec.section_path:
            click.echo(f"    § {' > '.join(rec.section_path[-2:])}")
        click.echo(f"    {rec.text[:400]}")


@main.command()
@click.argument("query")
@data_option
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 10_000), help="Number of results.")
@click.option("--territory", multiple=True, help="Territory (short or full name); repeatable.")
@click.option("--theme", multiple=True, help="Theme id (see `contrats themes`); repeatable.")
@click.option("--generation", multiple=True, help="Contract generation: 2015, 2019, 2024.")
@click.option("--document", multiple=True, help="Document id.")
@click.option("--partner", multiple=True, help="Partner name (substring).")
@click.option("--partner-type", multiple=True, help="Partner type (caf, region, state, commune...).")
@click.option("--neighbourhood", multiple=True, help="Neighbourhood (QPV) name.")
@click.option("--type", "record_type", multiple=True,
              type=click.Choice(["passage", "commitment", "objective"]), help="Record type.")
@click.option("--method", default="hybrid", type=click.Choice(["hybrid", "bm25", "dense"]), show_default=True)
@click.option("--literal", is_flag=True,
              help="Do not read territories, generations, partners or neighbourhoods named in the query as filters.")
@click.option("--json", "as_json", is_flag=True, help="JSON list of results.")
@click.option("--with-understood", "envelope", is_flag=True,
              help="With --json: an object (query, query_used, understood: what the query names, results).")
def search(query, data_dir, k, territory, theme, generation, document, partner, partner_type,
           neighbourhood, record_type, method, literal, as_json, envelope) -> None:
    """Semantic and keyword search over passages, commitments and objectives (French or English)."""
    from kg.facade import Filters

    searcher = _searcher(data_dir)
    filters = Filters(territories=territory, generations=generation, documents=document, partners=partner,
                      partner_types=partner_type, themes=theme, neighbourhoods=neighbourhood,
                      record_types=record_type)
    try:
        response = searcher.run(query, k=k, filters=filters, method=method, understand=not literal)
    except ValueError as e:
        _fail(str(e))
    _print_results(response.results, as_json, response, envelope)


@main.command()
@click.argument("query", required=False)
@data_option
@click.option("--theme", default=None, help="Compare territories on a theme (matrix cell and examples).")
@click.option("--partner", default=None, help="A partner's commitments in each territory.")
@click.option("--commitment", default=None, help="Commitments similar to this one (id) in other territories.")
@click.option("--territories", "among", multiple=True, help="Territories to compare (default: all).")
@click.option("--k", default=3, show_default=True, type=click.IntRange(1, 1_000), help="Results per territory.")
@click.option("--json", "as_json", is_flag=True)
def compare(query, data_dir, theme, partner, commitment, among, k, as_json) -> None:
    """Side by side, one column per territory: a question, a theme, a partner or a commitment."""
    import json

    from kg.views import compare as cmp

    chosen = [x for x in (query, theme, partner, commitment) if x]
    if len(chosen) != 1:
        _fail("give exactly one of QUERY, --theme, --partner, --commitment")
    searcher = _searcher(data_dir)
    records = searcher.index.records
    header = None
    if query:
        columns = cmp.compare_query(searcher, query, among, k=k)
    elif partner:
        columns = cmp.partner_commitments(records, partner, among)
    elif commitment:
        try:
            source, columns = cmp.similar_commitments(searcher, commitment, k=k, among=among)
        except KeyError as e:
            _fail(str(e.args[0]))
        header = source
    else:
        matrix = cmp.theme_matrix(records, [theme], among=among, top=k)
        columns = [cmp.Column(t, tuple(cmp.SearchResult(r, 1.0) for r in matrix.top.get((t, theme), [])),
                              "" if matrix.counts.get((t, theme)) else "rien trouvé / nothing found")
                   for t in matrix.territories]
    if as_json:
        out = {"columns": [c.to_json() for c in columns]}
        if header is not None:
            out["source"] = header.to_json()
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    if header is not None:
        click.echo(f"similar to [{header.territory}] {header.text[:200]}\n")
    for col in columns:
        click.echo(f"== {col.territory} ==")
        if not col.found:
            click.echo(f"   {col.note}")
        for r in col.results:
            rec = r.record
            where = f"p. {rec.page}" if rec.page else f"l. {rec.line}"
            click.echo(f" - {rec.document} {where}" + (f" · {rec.partner}" if rec.partner else "")
                       + f": {rec.text[:300]}")


@main.command(name="eval")
@click.option("--search", "search_mode", is_flag=True, help="Evaluate search instead of extraction.")
@click.option("--gold", type=click.Path(path_type=Path), default=None, help="Gold folder/file.")
@data_option
@click.option("--fresh", is_flag=True, help="Extract the gold documents now instead of reading the build.")
@click.option("--cross-document", "cross", is_flag=True,
              help="Leave-one-document-out: train on every annotated document but one, extract that one.")
@click.option("--rules", is_flag=True, help="With --cross-document: also the round-1 rules (in-sample).")
@click.option("--openings", type=click.Choice(["dev", "test", "all"]), default=None,
              help="The shipped model on a split of the synthetic documents of other territories (tests/gold/openings; --gold tests/gold/bodies for the contract bodies).")
@click.option("--method", "methods", multiple=True, type=click.Choice(["hybrid", "bm25", "dense"]),
              help="With --search: the retrieval method(s) to evaluate (default hybrid).")
@click.option("--with-corrections", "with_corrections", is_flag=True,
              help="With --cross-document: also with the researchers' corrections of DATA in training "
                   "(never those of the document measured), reported beside the figures without them.")
@click.option("--json", "as_json", is_flag=True)
def evaluate(search_mode: bool, gold: Path | None, data_dir: Path | None, fresh: bool, cross: bool,
             rules: bool, openings: str | None, methods: tuple[str, ...], with_corrections: bool,
             as_json: bool) -> None:
    """Precision/recall of extraction per record type against the gold set; with --search, S@1,
    S@5, MRR and nDCG@10 of search on the blind questions' dev and test halves (--gold FILE.jsonl:
    R@k/MRR on the first gold set)."""
    import json

    from kg.config import PROJECT_ROOT

    if openings:
        from ingest.training.evaluate import format_report, overall, scores_to_json
        from ingest.training.held_out import evaluate_synthetic

        results = evaluate_synthetic(gold or PROJECT_ROOT / "tests/gold/openings", openings,
                                    load_settings(data_dir).qpv_table)
        if len(results) > 1:
            results["ALL (micro)"] = overall(results)
        click.echo(json.dumps(scores_to_json(results), indent=1) if as_json else format_report(results))
        return

    if cross:
        from ingest.training.evaluate import format_report, overall, scores_to_json
        from ingest.training.held_out import cross_document

        settings = load_settings(data_dir)
        gold_dir = gold or PROJECT_ROOT / "tests/gold"
        more = _corrections_for_training(settings, gold_dir) if with_corrections else None
        out = cross_document(gold_dir, PROJECT_ROOT, settings.qpv_table,
                             rules_too=rules, progress=lambda m: click.echo(m, err=True))
        if more is not None:
            out["lodo_with_corrections"] = cross_document(
                gold_dir, PROJECT_ROOT, settings.qpv_table, progress=lambda m: click.echo(m, err=True),
                more=more.documents)["lodo"]
        for name in ("lodo", "rules", "lodo_with_corrections"):
            if len(out.get(name) or ()) > 1:
                out[name]["MEAN (macro)"] = overall(out[name], macro=True)
        if as_json:
            click.echo(json.dumps({k: scores_to_json(v) for k, v in out.items() if v}, indent=1))
            return
        click.echo("Leave-one-document-out (each document extracted by a model that never saw it):")
        click.echo(format_report(out["lodo"]))
        if more is not None:
            click.echo(f"\nThe same, with {more.units} reviewed units of {len(more.documents)} corrected "
                       "document(s) in training:")
            click.echo(format_report(out["lodo_with_corrections"]))
        if out["rules"]:
            click.echo("\nRound-1 rules on the same annotations (IN-SAMPLE: the rules were written on these documents):")
            click.echo(format_report(out["rules"]))
        return

    if search_mode and gold is not None and gold.is_file():  # the first gold set (tests/gold/search.jsonl)
        from kg.search.evaluate import evaluate_search, format_search_report, load_questions

        result = evaluate_search(_searcher(data_dir), load_questions(gold))
        click.echo(json.dumps(result, indent=1) if as_json else format_search_report(result))
        return
    if search_mode:  # the blind gold set, dev and test (kg.search.gold)
        from kg.search import gold as sg

        folder = gold or sg.GOLD_DIR
        result = sg.evaluate(_searcher(data_dir), sg.load_gold(folder), sg.load_split(folder),
                             sg.load_judgments(folder), methods=methods or ("hybrid",))
        click.echo(json.dumps(result, indent=1) if as_json else sg.format_report(result))
        return
    from ingest.training.evaluate import evaluate as eval_doc
    from ingest.training.evaluate import extract_for_gold, format_report, load_gold, overall, scores_to_json
    from kg.facade import Build, NoBuild

    settings = load_settings(data_dir)
    golds = load_gold(gold or PROJECT_ROOT / "tests/gold/extraction")
    build = None
    if not fresh:
        try:
            build = Build.current(settings)
        except NoBuild:
            click.echo(f"note: no build in {settings.data_dir}; extracting the gold documents afresh", err=True)
    built = build.extraction_json() if build is not None else {}
    results = {}
    for doc_id, g in golds.items():
        if build is None:
            predicted = extract_for_gold(g, PROJECT_ROOT, settings.qpv_table)
        else:
            if doc_id not in built:
                click.echo(f"warning: {doc_id} is in the gold set but not in the build", err=True)
                continue
            predicted = built[doc_id]
        results[doc_id] = eval_doc(predicted, g)
    if len(results) > 1:
        results["ALL (micro)"] = overall(results)
    if as_json:
        click.echo(json.dumps(scores_to_json(results), indent=1))
    else:
        click.echo(format_report(results))


def _corrections_for_training(settings, gold_dir: Path):
    """The researchers' corrections of the data directory as training documents (kg.review.training)."""
    from ingest.training.extraction import annotated_documents
    from kg.config import PROJECT_ROOT
    from kg.review.training import corrections_for_training

    build_dir = _build(settings.data_dir).folder
    annotated = [d.document_id for d in annotated_documents(gold_dir, PROJECT_ROOT)]
    more = corrections_for_training(settings.data_dir, build_dir, annotated)
    for line in more.skipped:
        click.echo(f"note: corrections not used: {line}", err=True)
    click.echo(f"corrections: {more.units} reviewed units of {len(more.documents)} document(s)", err=True)
    return more


@main.command()
@click.option("--gold", type=click.Path(path_type=Path), default=None,
              help="Gold folder (default tests/gold): units/*.labels*.tsv and extraction/*.json.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Where to write the model (default: the shipped ingest/data/extraction_model.json).")
@click.option("--with-corrections", "with_corrections", is_flag=True,
              help="Also learn from the researchers' corrections of the data directory (--data).")
@data_option
@click.option("--units/--no-units", default=True, show_default=True,
              help="Retrain the unit classifier and actor ranker.")
@click.option("--signatories/--no-signatories", default=True, show_default=True,
              help="Retrain the signatory reader (ingest/data/signatory_model.json).")
@click.option("--signatory-out", type=click.Path(path_type=Path), default=None,
              help="Where to write the signatory model (default: the shipped one).")
def train(gold: Path | None, out: Path | None, with_corrections: bool, data_dir: Path | None, units: bool,
          signatories: bool, signatory_out: Path | None) -> None:
    """Retrain the extraction model (unit classifier and actor ranker) from the annotated units,
    and the signatory reader from the annotated signatories."""
    from ingest.extract.linear_model import SHIPPED_MODEL
    from ingest.training.extraction import train as train_model
    from ingest.training.extraction import training_documents
    from kg.config import PROJECT_ROOT

    gold_dir = gold or PROJECT_ROOT / "tests/gold"
    if units:
        docs = training_documents(gold_dir, PROJECT_ROOT)
        if not docs:
            raise click.ClickException("no annotated documents (tests/gold/units/*.labels.tsv)")
        if with_corrections:
            docs += list(_corrections_for_training(load_settings(data_dir), gold_dir).documents)
        model = train_model(docs)
        target = out or SHIPPED_MODEL
        model.save(target)
        click.echo(f"trained on {len(docs)} documents (contracts and dev synthetic documents), {model.meta['units']} units "
                   f"(annotations {model.meta['annotations_sha256']}) -> {target}")
    if signatories:
        from ingest.extract.signatory_reader import SHIPPED_SIGNATORY_MODEL
        from ingest.training.signatories import signatory_documents, train_signatories

        sig_docs = signatory_documents(gold_dir, PROJECT_ROOT)
        if not sig_docs:
            raise click.ClickException("no document with annotated signatories")
        sig_model = train_signatories(sig_docs)
        sig_target = signatory_out or SHIPPED_SIGNATORY_MODEL
        sig_model.save(sig_target)
        click.echo(f"signatory reader: {len(sig_docs)} documents, {sig_model.meta['candidates']} candidates "
                   f"({sig_model.meta['positives']} signing), thresholds {sig_model.threshold}/"
                   f"{sig_model.rule_threshold} -> {sig_target}")


@main.command()
@data_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--timeout", default=None, type=float, help="Per-query timeout in seconds (default 10).")
@click.option("--max-rows", default=None, type=int, help="Result row limit (default 10000).")
@click.option("--workers", default=None, type=int, help="Query worker processes (default 2).")
@click.option("--allow-service", "allow_services", multiple=True, metavar="IRI",
              help="Let SERVICE query this endpoint (full IRI); repeatable. Default: SERVICE is refused.")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow browser pages of this origin (or *) to read answers; repeatable. Default: CORS off.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="Also answer requests whose Host header is NAME (or *); repeatable. Default: loopback names.")
@click.option("--max-per-client", default=None, type=click.IntRange(min=1),
              help="Queries one client address runs at once (default: workers - 1, at least 1).")
@click.option("--memory-mb", default=None, type=click.IntRange(min=256),
              help="Address-space limit of each query worker in MB (default 2048).")
@click.option("--saved-max-rows", default=None, type=click.IntRange(min=1),
              help="Row limit of a saved query, at /queries/NAME or sent as its text (default 1000000).")
@click.option("--saved-timeout", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Timeout of a saved query in seconds (default 60).")
@click.option("--cache-mb", default=None, type=click.IntRange(min=0),
              help="Memory kept for saved queries' answers, per build served (default 256; 0: none).")
def serve(data_dir, host, port, timeout, max_rows, workers, allow_services, cors_origins, allowed_hosts,
          max_per_client, memory_mb, saved_max_rows, saved_timeout, cache_mb) -> None:
    """SPARQL 1.1 Protocol endpoint at /sparql (read-only), with a query form at /; search as JSON at /search."""
    import uvicorn

    from kg.facade import BuildUnavailable, open_searcher_of
    from kg.serve import create_app

    settings = load_settings(data_dir)
    build = _build(data_dir)
    try:
        build.store_source()  # an incomplete build: said here, not in a startup traceback
    except BuildUnavailable as e:
        _fail(str(e))
    # The data directory, not the build: the server follows `current` across rebuilds.
    app = create_app(settings=settings, timeout=timeout, max_rows=max_rows,
                     workers=workers, host=host, allowed_hosts=list(allowed_hosts) or None,
                     cors_origins=list(cors_origins) or None, allowed_services=list(allow_services) or None,
                     per_client=max_per_client, memory_mb=memory_mb, search=lambda: open_searcher_of(settings),
                     saved_max_rows=saved_max_rows, saved_timeout=saved_timeout, cache_mb=cache_mb)
    click.echo(f"SPARQL endpoint: http://{host}:{port}/sparql, saved queries: http://{host}:{port}/queries, "
               f"search: http://{host}:{port}/search?q=… "
               f"(OpenAPI: /openapi.json; build {build.name})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@data_option
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--headless/--browser", default=True, show_default=True)
def app(data_dir, port, headless) -> None:
    """Start the researchers' app (Streamlit) on the built data."""
    import subprocess

    from kg.shipped import app_script

    require("contrats app", "streamlit")  # before the subprocess, whose failure would say less
    settings = load_settings(data_dir)
    env = environment.child_environment(CONTRATS_DATA=str(settings.data_dir.resolve()))
    script = app_script()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script),
           "--server.port", str(port), "--server.headless", str(headless).lower(),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           "--browser.serverAddress", "localhost", "--client.toolbarMode", "viewer"]
    click.echo(f"app: http://localhost:{port}", err=True)
    # Beside the script (the checkout's root, or site-packages): the options above are the whole
    # configuration, .streamlit/config.toml of a checkout says the same.
    sys.exit(subprocess.call(cmd, env=env, cwd=script.parent))


# ---------------------------------------------------------------- the graph: SPARQL, networks, exports

def _graph_store(data_dir: Path | None):
    from kg.facade import BuildUnavailable

    build = _build(data_dir)
    try:
        return build.store()
    except (BuildUnavailable, FileNotFoundError) as e:
        _fail(str(e))


def _parse_bindings(pairs: tuple[str, ...]) -> dict:
    """`name=value` pairs: a value in <...> is an IRI, anything else a string literal."""
    from kg.queries import binding_value

    bindings: dict = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            _fail(f"--bind expects name=value, got {pair!r}")
        name = name.lstrip("?$")
        bindings[name] = binding_value(value)
    return bindings


@main.command()
@click.argument("query", required=False)
@data_option
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json", "csv"]))
@click.option("--bind", "binds", multiple=True, metavar="NAME=VALUE",
              help="Bind a query variable to a value (a string, or <IRI>); repeatable. Never pasted into the text.")
@click.option("--list", "list_queries", is_flag=True, help="List the saved queries and their parameters.")
@click.option("--allow-service", "allow_services", multiple=True, metavar="IRI",
              help="Let SERVICE query this endpoint (full IRI); repeatable. Default: SERVICE is refused.")
def sparql(query, data_dir, fmt, binds, list_queries, allow_services) -> None:
    """Run SPARQL on the built graph: QUERY is a query text, a FILE.rq, or a saved query's name
    (see --list)."""
    from kg.facade import StoreError
    from kg.queries import find_saved_query, saved_queries

    if list_queries or not query:
        for q in saved_queries():
            click.echo(f"{q.name:32} {q.title}")
            for p in q.params:
                click.echo(f"{'':34}--bind {p.name}=…  (default: {p.default or 'none, no filter'}) {p.help}")
        if not query and not list_queries:
            _fail("give a QUERY, a FILE.rq or a saved query name")
        return
    saved = find_saved_query(query) if len(query) < 100 and "{" not in query else None
    if saved is None and query.endswith(".rq"):
        from kg.queries import parse_query_file

        if not Path(query).is_file():
            _fail(f"no such query file: {query}")
        saved = parse_query_file(Path(query))
    text = saved.text if saved else query
    bindings = _parse_bindings(binds)
    if saved and saved.params:
        unknown = sorted(set(bindings) - {p.name for p in saved.params})
        if unknown:
            _fail(f"{saved.name} takes {', '.join(p.name for p in saved.params)}; not {', '.join(unknown)}")
    from kg.sparql.guard import QueryRefused, allowed_services_from_env, check_query

    allowed = allow_services or allowed_services_from_env()
    try:
        check_query(text, allowed)  # before the store opens: no outbound request, no crashing depth
    except QueryRefused as e:
        _fail(f"query refused: {e}")
    store = _graph_store(data_dir)
    try:
        result = store.query(text, bindings, allowed_services=allowed)
    except (SyntaxError, ValueError, StoreError) as e:
        _fail(f"query failed: {e}")
    except Exception as e:  # a parse error from rdflib or pyparsing: say it, no traceback
        _fail(f"query failed: {type(e).__name__}: {e}")
    finally:
        store.close()
    from kg.views.export import format_result

    click.echo(format_result(result, fmt), nl=False)


@main.command()
@data_option
@click.option("--format", "fmt", default="json", show_default=True, type=click.Choice(["json", "graphml"]))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Output file (default: stdout).")
def network(data_dir, fmt, out) -> None:
    """Partner–territory and partner–theme networks: projections, shared partners, centralities."""
    import json

    from kg.views.network import load_networks

    store = _graph_store(data_dir)
    try:
        nets = load_networks(store)
    finally:
        store.close()
    if fmt == "graphml":
        if out is None:
            _fail("--format graphml needs --out PATH")
        nets.write_graphml(out)
    else:
        text = json.dumps(nets.to_json(), ensure_ascii=False, indent=1)
        if out is None:
            click.echo(text)
        else:
            out.write_text(text, encoding="utf-8")
    pt = nets.partner_territory
    click.echo(f"partner–territory: {pt.number_of_nodes()} nodes, {pt.number_of_edges()} edges; "
               f"partner–theme: {nets.partner_theme.number_of_nodes()} nodes, "
               f"{nets.partner_theme.number_of_edges()} edges" + (f" -> {out}" if out else ""), err=True)
    for row in nets.top_partners(k=5):
        click.echo(f"  {row['label']:45} territories {row['degree']:.2f}  commitments {row['commitments']}", err=True)


@main.group()
def review() -> None:
    """Review the current build's facts; corrections are kept in DATA/corrections/ and applied by
    every build (kg.review.corrections). Facts are named by their id in the current build: a commitment's
    (arras-2024/c12), an indicator's (arras-2024/i3), a signatory's or a neighbourhood's position
    (arras-2024/s2, arras-2024/n1); `contrats review facts` lists them."""


def _review_context(data_dir):
    build = _build(data_dir)
    return build.settings.data_dir, build.facts()


def _record(data_dir, fact_id: str, action: str, reviewer: str, value: dict | None, why: str) -> None:
    from kg.review.corrections import CorrectionError
    from kg.review.reviewing import UnknownFact, record

    data, facts = _review_context(data_dir)
    try:
        c = record(data, facts, fact_id, action, reviewer, value, why)
    except (UnknownFact, CorrectionError) as e:
        _fail(str(e))
    click.echo(f"{action} {c.key.record} {fact_id} by {c.reviewer}: recorded ({c.id[:10]}); "
               "the views show it now, the graph after the next build")


_reviewer = click.option("--reviewer", required=True, envvar="CONTRATS_REVIEWER",
                         help="Who reviews (or $CONTRATS_REVIEWER).")
_why = click.option("--why", default="", help="Why (kept with the correction).")


def _verdict(action: str, help_text: str) -> None:
    """`contrats review confirm|reject ID`: a verdict on a fact, with nothing to change in it."""
    @review.command(action, help=help_text)
    @data_option
    @click.argument("fact_id")
    @_reviewer
    @_why
    def command(data_dir, fact_id, reviewer, why) -> None:
        _record(data_dir, fact_id, action, reviewer, None, why)


_verdict("confirm", "The fact (commitment, indicator, signatory, neighbourhood) is right as extracted.")
_verdict("reject", "The fact is wrong (not a commitment, not an indicator, not a party, not a neighbourhood of "
                   "the contract): out of every view and saved query, kept in the audit graph.")


@review.command("actor")
@data_option
@click.argument("fact_id")
@click.option("--partner-id", required=True, help="Organisation id, as in the graph (e.g. caf-nord).")
@click.option("--partner", "name", required=True, help="Its name.")
@click.option("--type", "type_", required=True, help="Its partner type (caf, region, commune…).")
@_reviewer
@_why
def review_actor(data_dir, fact_id, partner_id, name, type_, reviewer, why) -> None:
    """The commitment is another partner's, or the signatory another organisation."""
    from ingest.model import PARTNER_TYPES

    if type_ not in PARTNER_TYPES:
        _fail(f"unknown partner type {type_!r}: {', '.join(PARTNER_TYPES)}")
    _record(data_dir, fact_id, "actor", reviewer, {"id": partner_id, "name": name, "type": type_}, why)


@review.command("kind")
@data_option
@click.argument("commitment_id")
@click.option("--kind", required=True, type=click.Choice(["commitment", "proposal", "objective"]))
@_reviewer
@_why
def review_kind(data_dir, commitment_id, kind, reviewer, why) -> None:
    """A commitment, a proposal, or an objective of the contract (which is not a commitment)."""
    _record(data_dir, commitment_id, "kind", reviewer, {"kind": kind}, why)


@review.command("span")
@data_option
@click.argument("fact_id")
@click.option("--text", required=True, help="The text as it should read (from its passage).")
@_reviewer
@_why
def review_span(data_dir, fact_id, text, reviewer, why) -> None:
    """The text of a commitment or an indicator is more or less than it."""
    _record(data_dir, fact_id, "span", reviewer, {"text": text}, why)


def _field(action: str, option: str, help_text: str, doc: str) -> None:
    """`contrats review person|role|name|code ID --<field> VALUE`: one field of a signatory or a neighbourhood."""
    @review.command(action, help=doc)
    @data_option
    @click.argument("fact_id")
    @click.option(f"--{option}", "value", required=True, help=help_text)
    @_reviewer
    @_why
    def command(data_dir, fact_id, value, reviewer, why) -> None:
        _record(data_dir, fact_id, action, reviewer, {action: value}, why)


_field("person", "person", "Who signs (\"\": nobody named).", "The person who signs for a signatory.")
_field("role", "role", "As what (Maire, Préfet du Nord…; \"\": none).", "The capacity a signatory signs in.")
_field("name", "name", "The neighbourhood's name.", "A neighbourhood's name.")
_field("code", "code", "Its QPV code (QN… or QP…; \"\": none).", "A neighbourhood's QPV code.")


@review.command("scope")
@data_option
@click.argument("commitment_id")
@click.option("--neighbourhood", "neighbourhoods", multiple=True, help="Repeatable; none: every neighbourhood.")
@_reviewer
@_why
def review_scope(data_dir, commitment_id, neighbourhoods, reviewer, why) -> None:
    """The neighbourhoods the commitment is for."""
    _record(data_dir, commitment_id, "scope", reviewer, {"neighbourhoods": list(neighbourhoods)}, why)


@review.command("add")
@data_option
@click.argument("passage_id")
@click.option("--partner-id", required=True)
@click.option("--partner", "name", required=True)
@click.option("--type", "type_", required=True)
@click.option("--kind", default="commitment", type=click.Choice(["commitment", "proposal"]))
@click.option("--text", default=None, help="The commitment's text (default: the whole passage).")
@_reviewer
@_why
def review_add(data_dir, passage_id, partner_id, name, type_, kind, text, reviewer, why) -> None:
    """A commitment the extractor missed, from a passage of the current build."""
    from kg.review.corrections import CorrectionError
    from kg.review.reviewing import UnknownFact, record_added

    data, facts = _review_context(data_dir)
    try:
        c = record_added(data, facts, passage_id, reviewer, {"id": partner_id, "name": name, "type": type_},
                         kind, text, why)
    except (UnknownFact, CorrectionError) as e:
        _fail(str(e))
    click.echo(f"add from {passage_id} by {c.reviewer}: recorded ({c.id[:10]}); in the graph after the next build")


@review.command("facts")
@data_option
@click.option("--document", default=None, help="Only this document's facts.")
@click.option("--record", type=click.Choice(["commitment", "indicator", "signatory", "neighbourhood"]), default=None,
              help="Only this sort of fact.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per fact.")
def review_facts(data_dir, document, record, as_json) -> None:
    """The reviewable facts of the current build, with their ids, confidence and review status
    (the reviews since the build included)."""
    import json

    from kg.review.reviewing import pending, status

    data, facts = _review_context(data_dir)
    waiting = pending(data, facts)
    for f in facts.facts.values():
        if (document and f.document != document) or (record and f.record != record):
            continue
        state = status(facts, waiting, f.id)
        if as_json:
            click.echo(json.dumps({"id": f.id, "record": f.record, "document": f.document, "label": f.label,
                                   "page": f.page, "line": f.line, "passage_id": f.passage_id,
                                   "confidence": f.confidence, "review_status": f.review_status,
                                   "reviewers": list(f.reviewers), "status": state}, ensure_ascii=False))
        else:
            confidence = "    " if f.confidence is None else f"{f.confidence:.2f}"
            click.echo(f"{f.id:28} {f.record:13} {confidence}  {state:10} {f.label[:70]}")


@review.command("list")
@data_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per correction (the log's lines).")
def review_list(data_dir, as_json) -> None:
    """The corrections of the data directory, oldest first, and which are pending a build."""
    import json

    from kg.review.corrections import CorrectionLog

    data, facts = _review_context(data_dir)
    reading = CorrectionLog(data).read()
    for line in reading.unreadable:
        click.echo(f"warning: unreadable correction skipped: {line}", err=True)
    for n, c in enumerate(reading.corrections):
        pending = n >= facts.applied
        if as_json:
            click.echo(json.dumps({**c.to_json(), "pending": pending}, ensure_ascii=False))
        else:
            click.echo(f"{c.at[:19]}  {c.reviewer:15.15}  {c.action:8} {c.key.record:13} {c.key.document}: "
                       f"{c.key.span[:60]!r}"
                       + ("  [pending build]" if pending else ""))
    if not as_json:
        click.echo(f"{len(reading.corrections)} corrections, {max(0, len(reading.corrections) - facts.applied)} "
                   "pending the next build", err=True)


@main.command()
@data_option
@click.option("--format", "fmt", required=True,
              type=click.Choice(["ttl", "jsonld", "nt", "csv", "parquet", "geojson", "gpkg"]))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output file (ttl, jsonld, nt, geojson, gpkg; csv and parquet with --reviewed) or folder "
                   "(csv, parquet: one table per record type).")
@click.option("--reviewed", is_flag=True,
              help="csv/parquet: only the reviewed facts (commitments, indicators, signatories, neighbourhoods), "
                   "one table with their provenance, passage, confidence and review, for citation.")
def export(data_dir, fmt, out, reviewed) -> None:
    """Export the current build: the graph (Turtle, JSON-LD, N-Triples), CSV or Parquet tables, the
    reviewed facts for citation, or the neighbourhoods with their geometry and counts for a
    GIS (GeoJSON, GeoPackage)."""
    from kg.views.export import export_csv, export_graph, export_parquet, export_reviewed

    build = _build(data_dir)
    build_dir = build.folder
    if reviewed and fmt not in ("csv", "parquet"):
        _fail("--reviewed exports a table: use --format csv or parquet")
    if reviewed:
        n = export_reviewed(build_dir, out, fmt)
        click.echo(f"{n} reviewed facts -> {out}" + ("" if n else " (nobody reviewed any: see `contrats review`)"))
    elif fmt == "parquet":
        counts = export_parquet(build_dir, out)
        click.echo(f"{len(counts)} tables -> {out}: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    elif fmt == "csv":
        counts = export_csv(build_dir, out)
        click.echo(f"{len(counts)} tables -> {out}: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
    elif fmt in ("geojson", "gpkg"):
        from kg.views.gis import export_gis

        store = _graph_store(data_dir)
        try:
            n = export_gis(store, fmt, out)
        finally:
            store.close()
        click.echo(f"{n} neighbourhoods -> {out}" + ("" if n else " (no geometry in this build: see README, Maps)"))
    else:
        n = export_graph(build.graph_file, fmt, out)
        click.echo(f"{n} triples -> {out}")


if __name__ == "__main__":
    main()
