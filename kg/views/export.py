"""Exports of a build: the graph as Turtle, JSON-LD or N-Triples; the records as CSV tables;
and SPARQL results as a terminal table, SPARQL JSON or CSV (for `contrats sparql`).

The graph is read from the build's `graph.nt` (whatever store serves queries), and serialised
by pyoxigraph, which streams: the national-scale graph does not fit rdflib comfortably. CSV
tables come from the build's `extractions/*.json` (the documented `contrats extract` shape),
one file per record type, with a `document_id` column joining them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import Literal, URIRef

from ingest.model import Orientation
from kg.jsonl import read_jsonl
from kg.sparql.results import serialize_solutions
from kg.sparql.store import QueryResult, to_oxigraph

GRAPH_FORMATS = ("ttl", "jsonld", "nt")
PREFIXES = {
    # No prefix for our instances: their paths hold "/", which Turtle would have to escape.
    "ckg": "https://w3id.org/contrats-kg/ontology#",
    "org": "http://www.w3.org/ns/org#", "oa": "http://www.w3.org/ns/oa#",
    "geo": "http://www.opengis.net/ont/geosparql#", "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#", "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# Record types of `contrats extract --json`, in the order a reader meets them.
RECORD_TYPES = ("territories", "neighbourhoods", "signatories", "partners", "orientations", "objectives",
                "commitments", "indicators")


# ---------------------------------------------------------------- the graph

def export_graph(graph_nt: Path, fmt: str, out: Path) -> int:
    """Write the N-Triples file `graph_nt` as `fmt` (ttl, jsonld, nt) to `out`; the triple count."""
    import pyoxigraph as ox

    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"unknown graph format {fmt!r}: {', '.join(GRAPH_FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(graph_nt, "rb") as f:
        triples = list(ox.parse(f, format=ox.RdfFormat.N_TRIPLES))
    # Sorted by subject, so that Turtle and JSON-LD group each node's statements together.
    triples.sort(key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    rdf_format = {"ttl": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD, "nt": ox.RdfFormat.N_TRIPLES}[fmt]
    tmp = out.with_name(out.name + ".tmp")
    if fmt == "ttl":
        ox.serialize(triples, str(tmp), format=rdf_format, prefixes=PREFIXES)
    else:
        ox.serialize(triples, str(tmp), format=rdf_format)
    tmp.replace(out)
    return len(triples)


# ---------------------------------------------------------------- CSV tables

def _cell(value) -> str | int | float | None:
    """A JSON value as one CSV cell: lists joined by "; ", objects as compact JSON."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list):
        return "; ".join(str(_cell(v)) for v in value if v is not None)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _where(record: dict) -> dict:
    """The first place a record was read (records carry either page/line or a provenance list)."""
    if "line" in record or "passage_id" in record:
        return {"page": record.get("page"), "line": record.get("line"), "passage_id": record.get("passage_id")}
    first = (record.get("provenance") or [{}])[0]
    return {"page": first.get("page"), "line": first.get("line"), "passage_id": first.get("passage_id")}


def _flat(document_id: str, record: dict, skip: tuple[str, ...] = ()) -> dict:
    row = {"document_id": document_id}
    for key, value in record.items():
        if key in ("provenance", "page", "line", "passage_id", *skip):
            continue
        row[key] = _cell(value)
    row.update(_where(record))
    return row


def _objectives(document_id: str, orientation: dict) -> Iterator[dict]:
    # The one walk of the tree (Orientation.walk), so that the table lists the objectives in the
    # order the graph and the search records meet them; the columns are the JSON's, in the order
    # extraction_to_json writes them. The ids (None in JSON written before them) join the
    # commitments' objective_id.
    for step in Orientation.from_json(orientation).walk():
        o, parent = step.objective, step.parent
        first = o.provenance[0] if o.provenance else None
        yield {"document_id": document_id, "label": o.label, "code": o.code, "level": o.level,
               "themes": _cell(list(o.themes)), "id": o.id,
               "page": first.page if first else None, "line": first.line if first else None,
               "passage_id": first.passage_id if first else None,
               "orientation": step.orientation.label, "parent": parent.label if parent else None,
               "orientation_id": step.orientation.id, "parent_id": parent.id if parent else None}


def record_tables(extractions: Iterable[dict]) -> dict[str, list[dict]]:
    """One list of flat rows per record type, from extraction JSON objects."""
    tables: dict[str, list[dict]] = {t: [] for t in RECORD_TYPES}
    for x in extractions:
        doc = x["document"]["id"]
        tables["territories"].append({"document_id": doc, **{k: _cell(v) for k, v in x["territory"].items()}})
        for key in ("neighbourhoods", "signatories", "partners", "commitments", "indicators"):
            tables[key].extend(_flat(doc, r) for r in x.get(key, []))
        for o in x.get("orientations", []):
            tables["orientations"].append(_flat(doc, o, skip=("objectives",)))
            tables["objectives"].extend(_objectives(doc, o))
    return tables


def _write_csv(path: Path, rows: list[dict], first: tuple[str, ...] = ("document_id",)) -> None:
    columns: list[str] = [c for c in first if any(c in r for r in rows)] or list(first)
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


CITATION_COLUMNS = ("document_id", "territory", "generation", "source", "id", "text", "partner", "partner_id",
                    "partner_type", "kind", "neighbourhoods", "themes", "page", "line", "passage_id", "passage_text",
                    "confidence", "partner_confidence", "review_status", "reviewers", "revises",
                    "fact", "person", "role", "code")


def _citation_fields(record: str, r: dict) -> dict:
    """A reviewed record's own fields under the citation table's columns: a signatory's
    organisation is its partner, a neighbourhood's name its text."""
    if record == "signatory":
        return {"text": r.get("name"), "partner": r.get("name"), "partner_id": r.get("organisation"),
                "partner_type": r.get("type"), "person": r.get("person"), "role": r.get("role")}
    if record == "neighbourhood":
        return {"text": r.get("name"), "code": r.get("code")}
    return {}


def citation_rows(build_dir: Path, reviewed_only: bool = True) -> list[dict]:
    """The facts of a build (commitments, indicators, signatories, neighbourhoods; `fact` says
    which), each with what a citation needs: the document and its source file, the page or line
    and the passage as written, the model's confidence, and its review (`review_status`
    confirmed | corrected | added; empty: nobody reviewed it)."""
    from kg.jsonl import read_extraction_files
    from kg.review.reviewing import document_facts

    documents = {d["id"]: d for d in read_jsonl(build_dir / "documents.jsonl")}
    passages = {p["id"]: p["text"] for p in read_jsonl(build_dir / "passages.jsonl")}
    rows = []
    for doc_id, x in read_extraction_files(build_dir).items():
        doc = documents.get(doc_id, {})
        for f in document_facts(doc_id, x):
            if reviewed_only and not f.review_status:
                continue
            row = {**_flat(doc_id, dict(f.data)), "id": f.id, **_citation_fields(f.record, dict(f.data)),
                   "fact": f.record, "territory": doc.get("territory"), "generation": doc.get("generation"),
                   "source": doc.get("path") or doc.get("source"), "passage_text": passages.get(f.passage_id)}
            rows.append({k: row.get(k) for k in CITATION_COLUMNS})
    return rows


def export_reviewed(build_dir: Path, out: Path, fmt: str) -> int:
    """The reviewed facts, one table (CSV or Parquet) at `out`; rows written."""
    rows = citation_rows(build_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        import pandas as pd

        pd.DataFrame(rows, columns=list(CITATION_COLUMNS)).to_parquet(out, index=False)
    else:
        _write_csv(out, rows, first=CITATION_COLUMNS)
    return len(rows)


def export_parquet(build_dir: Path, out_dir: Path) -> dict[str, int]:
    """documents.parquet and one Parquet table per record type in `out_dir` (the CSV tables' columns)."""
    import pandas as pd

    out_dir.mkdir(parents=True, exist_ok=True)
    from kg.jsonl import read_extraction_files

    documents = [{k: _cell(v) for k, v in d.items()} for d in read_jsonl(build_dir / "documents.jsonl")]
    tables = {"documents": documents, **record_tables(read_extraction_files(build_dir).values())}
    for name, rows in tables.items():
        frame = pd.DataFrame(rows)
        # Mixed cells (an id that is a number in one row, text in another) are text in Parquet.
        frame = frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object})
        frame.to_parquet(out_dir / f"{name}.parquet", index=False)
    return {name: len(rows) for name, rows in tables.items()}


def export_csv(build_dir: Path, out_dir: Path) -> dict[str, int]:
    """documents.csv and one CSV per record type in `out_dir`; rows written per table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    documents = [{k: _cell(v) for k, v in d.items()} for d in read_jsonl(build_dir / "documents.jsonl")]
    _write_csv(out_dir / "documents.csv", documents, first=("id",))
    from kg.jsonl import read_extraction_files

    extractions = list(read_extraction_files(build_dir).values())
    counts = {"documents": len(documents)}
    for name, rows in record_tables(extractions).items():
        _write_csv(out_dir / f"{name}.csv", rows)
        counts[name] = len(rows)
    return counts


# ---------------------------------------------------------------- SPARQL results

def _nt(term) -> str:
    return term.n3() if isinstance(term, URIRef | Literal) else f"_:{term}"


def format_result(result: QueryResult, fmt: str, max_width: int = 60) -> str:
    """`table` (aligned, long cells cut), `json` (SPARQL 1.1 JSON results) or `csv` (SPARQL CSV)."""
    if result.triples is not None:
        if fmt == "json":
            from rdflib import Graph

            g = Graph()
            for triple in result.triples:
                g.add(triple)
            return g.serialize(format="json-ld")
        return "".join(f"{_nt(s)} {_nt(p)} {_nt(o)} .\n" for s, p, o in result.triples)
    if fmt in ("json", "csv"):
        rows = [[to_oxigraph(t) for t in row] for row in result.rows]
        body, _media = serialize_solutions(list(result.variables), rows, fmt, boolean=result.boolean)
        return body.decode() + ("\n" if fmt == "json" else "")
    if result.boolean is not None:
        return "true\n" if result.boolean else "false\n"
    if fmt != "table":
        raise ValueError(f"unknown result format {fmt!r}: table, json or csv")
    return _table(result, max_width)


def _table(result: QueryResult, max_width: int) -> str:
    def show(term) -> str:
        text = "" if term is None else " ".join(str(term).split())
        return text if len(text) <= max_width else text[:max_width - 1] + "…"

    cells = [[show(t) for t in row] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"
