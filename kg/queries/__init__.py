"""The saved SPARQL queries (`*.rq` in this folder) and their parameters.

A saved query starts with comment lines:

    # title: A partner's commitments across territories
    # param: partner=caf  (what the value means)

then plain SPARQL that runs as it is (the endpoint's example menu and the load benchmark send
the text unchanged). A parameter is a variable the query reads but never binds itself: unbound,
the query uses the default written in the `# param:` line (through `COALESCE(?partner, "caf")`)
or, when the default is empty, does not filter on it (`!BOUND(?territory) || ...`). A caller
binds it as a value with `store.query(text, {"partner": "caf-nord"})` (see kg.sparql.store),
in the query's WHERE group and in every subquery that reads it (kg.sparql.text.bind_values).

The endpoint (kg.serve) serves them by name, `/queries/NAME?param=value`, and knows their texts:
a query sent to /sparql that is a saved query's text unchanged is run as that saved query
(`match_saved_query`), with the row limit and timeout of saved queries rather than those of free
SPARQL: their rows are bounded by the corpus, and a national listing is a legitimate export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
# A saved query's own limits, wherever it is run as such (the endpoint, kg.serve; the app's
# console): its rows are bounded by the corpus, and a national listing is an export, not a
# runaway query (commitments with indicators: 37,468 rows at 359 contracts).
SAVED_MAX_ROWS = 1_000_000
SAVED_TIMEOUT = 60.0
_PARAM = re.compile(r"^#\s*param:\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S*)\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    default: str  # "" when unbound means "no filter"
    help: str = ""


@dataclass(frozen=True)
class SavedQuery:
    name: str  # the file name without its number and extension: "partner-commitments"
    title: str
    text: str
    path: Path
    params: tuple[Param, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


def parse_query_file(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    title, params = "", []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.lower().startswith("# title:"):
            title = line.split(":", 1)[1].strip()
        elif m := _PARAM.match(line):
            params.append(Param(m.group(1), m.group(2), (m.group(3) or "").strip()))
    name = re.sub(r"^\d+[-_]", "", path.stem)
    return SavedQuery(name, title or name, text, path, tuple(params))


def saved_queries(folder: Path = FOLDER) -> list[SavedQuery]:
    """Every saved query, in file-name order."""
    return [parse_query_file(p) for p in sorted(folder.glob("*.rq"))]


def find_saved_query(name: str, folder: Path = FOLDER) -> SavedQuery | None:
    """A saved query by its name ("partner-commitments"), its file stem or its number ("03")."""
    for q in saved_queries(folder):
        if name in (q.name, q.path.stem, q.path.name) or q.path.stem.split("-", 1)[0] == name:
            return q
    return None


def _normalised(text: str) -> str:
    """A query text as a browser's form or a client sends it back: line ends made `\n` (a
    textarea submits CRLF), spaces at the ends of lines and of the text dropped."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))


_by_text: dict[tuple[Path, tuple], dict[str, SavedQuery]] = {}


def match_saved_query(text: str, folder: Path = FOLDER) -> SavedQuery | None:
    """The saved query whose text `text` is, unchanged (line ends and trailing spaces aside), or
    None: an edited text, or one with a VALUES block added, is free SPARQL. The folder is read
    again only when one of its files changes."""
    paths = sorted(folder.glob("*.rq"))
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in paths)
    key = (folder, stamp)
    if key not in _by_text:
        _by_text.clear()
        _by_text[key] = {_normalised(q.text): q for q in map(parse_query_file, paths)}
    return _by_text[key].get(_normalised(text))


def binding_value(value: str):
    """A parameter's value as given on a command line or in a URL: `<IRI>` an IRI, anything else a
    string literal (`contrats sparql --bind`, the endpoint's /queries/NAME)."""
    from rdflib import URIRef

    return URIRef(value[1:-1]) if value.startswith("<") and value.endswith(">") else value
