"""SPARQL 1.1 result serialisations (JSON, XML, CSV, TSV) of pyoxigraph terms, and RDF graphs.

Rows are collected first (to enforce the result limit), so they are serialised here rather than
streamed by pyoxigraph.
"""

from __future__ import annotations

import csv
import io
import json
import re
from xml.sax.saxutils import escape, quoteattr

RESULT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {"turtle": "text/turtle", "jsonld": "application/ld+json", "ntriples": "application/n-triples"}


def _accepted(accept: str | None) -> list[str]:
    """Media types of an Accept header, best first by their `q`; `q=0` means "not this one"."""
    ranked = []
    for position, part in enumerate((accept or "").split(",")):
        media, *params = (x.strip() for x in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, position, media.lower()))
    return [media for _, _, media in sorted(ranked)]


def negotiate(accept: str | None, requested: str | None = None) -> str:
    """Pick a format name from a `format=` parameter or an Accept header (JSON by default)."""
    if requested:
        aliases = {"srj": "json", "srx": "xml", "ttl": "turtle", "json-ld": "jsonld", "nt": "ntriples"}
        name = aliases.get(requested.lower(), requested.lower())
        if name in RESULT_FORMATS or name in GRAPH_FORMATS:
            return name
    for media in _accepted(accept):
        for name, m in {**RESULT_FORMATS, **GRAPH_FORMATS}.items():
            if media == m:
                return name
        if media in ("application/json",):
            return "json"
        if media in ("application/xml", "text/xml"):
            return "xml"
    return "json"


# Characters XML 1.0 cannot carry at all, even escaped: a literal holding one made the whole
# XML answer unreadable. They become U+FFFD (JSON, CSV and TSV keep them, escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def _term_json(term) -> dict:
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype and term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def _term_tsv(term) -> str:
    import pyoxigraph as ox

    if term is None:
        return ""
    if isinstance(term, ox.Literal) and not term.language and (
            not term.datatype or term.datatype.value == "http://www.w3.org/2001/XMLSchema#string"):
        return json.dumps(term.value, ensure_ascii=False)  # a quoted string, escapes as in Turtle
    return str(term)


def serialize_solutions(variables: list[str], rows: list[list], fmt: str,
                        boolean: bool | None = None) -> tuple[bytes, str]:
    if fmt not in RESULT_FORMATS:
        fmt = "json"
    media = RESULT_FORMATS[fmt]
    if fmt == "json":
        if boolean is not None:
            doc = {"head": {}, "boolean": boolean}
        else:
            doc = {"head": {"vars": variables},
                   "results": {"bindings": [{v: _term_json(t) for v, t in zip(variables, row, strict=True)
                                             if t is not None} for row in rows]}}
        return json.dumps(doc, ensure_ascii=False).encode(), media
    if fmt == "xml":
        out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
        if boolean is not None:
            out.append(f"<head/><boolean>{'true' if boolean else 'false'}</boolean></sparql>")
            return "".join(out).encode(), media
        out.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables) + "</head><results>")
        for row in rows:
            out.append("<result>")
            for v, t in zip(variables, row, strict=True):
                if t is None:
                    continue
                j = _term_json(t)
                if j["type"] == "uri":
                    inner = f"<uri>{_xml_text(j['value'])}</uri>"
                elif j["type"] == "bnode":
                    inner = f"<bnode>{_xml_text(j['value'])}</bnode>"
                else:
                    attrs = (f" xml:lang={quoteattr(j['xml:lang'])}" if "xml:lang" in j else "") + (
                        f" datatype={quoteattr(j['datatype'])}" if "datatype" in j else "")
                    inner = f"<literal{attrs}>{_xml_text(j['value'])}</literal>"
                out.append(f"<binding name={quoteattr(v)}>{inner}</binding>")
            out.append("</result>")
        out.append("</results></sparql>")
        return "".join(out).encode(), media
    if boolean is not None:
        return (("true" if boolean else "false") + "\n").encode(), media
    buf = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow(["" if t is None else t.value for t in row])
    else:
        buf.write("\t".join(f"?{v}" for v in variables) + "\n")
        for row in rows:
            buf.write("\t".join(_term_tsv(t) for t in row) + "\n")
    return buf.getvalue().encode(), media


def serialize_graph(triples: list, fmt: str) -> tuple[bytes, str]:
    import pyoxigraph as ox

    if fmt not in GRAPH_FORMATS:
        fmt = "turtle"
    rdf_format = {"turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
                  "ntriples": ox.RdfFormat.N_TRIPLES}[fmt]
    return ox.serialize(triples, format=rdf_format), GRAPH_FORMATS[fmt]
