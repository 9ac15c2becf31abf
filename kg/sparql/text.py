"""SPARQL query text: which form a query is, and bindings placed into it as values.

Bindings are values, never query text: they become one row of a `VALUES` block placed at the
start of the query's WHERE group (so FILTER and BIND in that group see them), and at the start of
the WHERE group of every subquery that reads one of them (SPARQL evaluates a subquery on its own:
a value joined outside it does not reach it, so a subquery that picks the few territories asked
for must be given the value itself), each value
serialised as an RDF term with its quotes and backslashes escaped and IRIs checked. A partner
name holding `"`, `}` or `#` is a string literal, it cannot end the query or comment it out.
The same text goes to every backend, so a saved query means the same on all three.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

Binding = str | int | float | Literal | URIRef

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
IRI = re.compile(r'^[^<>"{}|^`\\\x00-\x20]+$')
_LANG = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*$")


def as_term(value: Binding) -> Literal | URIRef:
    """A binding value as an RDF term: strings are literals, IRIs are passed as URIRef."""
    if isinstance(value, URIRef | Literal):
        return value
    if isinstance(value, bool | int | float):
        return Literal(value)
    if isinstance(value, str):
        return Literal(value)
    raise TypeError(f"cannot bind a {type(value).__name__}")


def term_sparql(term: Literal | URIRef) -> str:
    """An RDF term in SPARQL syntax, escaped; IRIs that could break out of <...> are refused."""
    if isinstance(term, URIRef):
        if not IRI.match(str(term)):
            raise ValueError(f"not a valid IRI: {str(term)!r}")
        return f"<{term}>"
    if not isinstance(term, Literal):
        raise TypeError(f"cannot bind {term!r}")
    text = (str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("\r", "\\r").replace("\t", "\\t"))
    if term.language:
        if not _LANG.match(term.language):
            raise ValueError(f"not a language tag: {term.language!r}")
        return f'"{text}"@{term.language}'
    if term.datatype and term.datatype != XSD.string:
        return f'"{text}"^^{term_sparql(URIRef(term.datatype))}'
    return f'"{text}"'


def skip_token(query: str, i: int) -> int:
    """Index after the comment, string or IRI starting at i (or i itself when none starts there)."""
    c = query[i]
    if c == "#":
        end = query.find("\n", i)
        return len(query) if end < 0 else end
    if c in "'\"":
        quote = query[i:i + 3] if query[i:i + 3] in ("'''", '"""') else c
        j = i + len(quote)
        while j < len(query):
            if query[j] == "\\":
                j += 2
            elif query.startswith(quote, j):
                return j + len(quote)
            else:
                j += 1
        return len(query)
    if c == "<":
        m = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>').match(query, i)
        if m:
            return m.end()
    return i


_TOKEN_WORD = re.compile(r"[A-Za-z0-9_]+")


def code_tokens(query: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, str]]:
    """(index, token) of query[start:end] outside comments, strings and IRIs: a run of letters,
    digits and underscores as one token, any other character alone (spaces left out)."""
    stop = len(query) if end is None else end
    i = start
    while i < stop:
        j = skip_token(query, i)
        if j != i:
            i = j
            continue
        m = _TOKEN_WORD.match(query, i)
        if m:
            yield i, m.group(0)
            i = m.end()
            continue
        if not query[i].isspace():
            yield i, query[i]
        i += 1


QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_OPERATIONS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "WITH", "COPY", "MOVE", "ADD")


def _operation(query: str) -> str | None:
    """The first query form or update operation keyword, outside comments, strings and IRIs."""
    for _, token in code_tokens(query):
        keyword = token.upper()
        if keyword in QUERY_FORMS or keyword in UPDATE_OPERATIONS:
            return keyword
    return None


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (None for an update or nonsense)."""
    operation = _operation(query)
    return operation if operation in QUERY_FORMS else None


def is_update(query: str) -> bool:
    """Whether the request is SPARQL Update (INSERT DATA, DELETE WHERE, LOAD, CLEAR...)."""
    return _operation(query) in UPDATE_OPERATIONS


def _where_start(query: str) -> int | None:
    """Index just after the `{` that opens the WHERE group of the outermost query."""
    i, depth, skip_template = 0, 0, None
    while i < len(query):
        j = skip_token(query, i)
        if j != i:
            i = j
            continue
        c = query[i]
        if skip_template is None and c.isalpha():
            word = re.match(r"[A-Za-z]+", query[i:]).group(0).upper()
            if word in ("SELECT", "ASK", "DESCRIBE"):
                skip_template = False
            elif word == "CONSTRUCT":
                rest = query[i + len(word):].lstrip()
                if rest[:1] != "{":
                    raise ValueError("bindings are not supported in the short CONSTRUCT WHERE form")
                skip_template = True
            i += len(word)
            continue
        if c == "{":
            if not skip_template:
                return i + 1
            depth += 1
        elif c == "}" and skip_template:
            depth -= 1
            if depth == 0:
                skip_template = False
        i += 1
    return None


def _group_end(query: str, start: int) -> int:
    """Index of the `}` that closes the group whose `{` is at start - 1."""
    depth = 1
    for i, token in code_tokens(query, start):
        depth += (token == "{") - (token == "}")
        if depth == 0:
            return i
    return len(query)


def _subquery_groups(query: str, after: int) -> list[tuple[int, int]]:
    """(start, end) of the WHERE group of every subquery (a SELECT after index `after`)."""
    groups = []
    for i, token in code_tokens(query, after):
        if token.upper() == "SELECT" and query[i - 1] not in "?$_:":
            brace = next((j for j, t in code_tokens(query, i + len(token)) if t == "{"), None)
            if brace is not None:
                groups.append((brace + 1, _group_end(query, brace + 1)))
    return groups


def _reads(query: str, start: int, end: int, name: str) -> bool:
    """Whether ?name (or $name) occurs in query[start:end], outside comments, strings and IRIs."""
    tokens = list(code_tokens(query, start, end))
    return any(t in "?$" and k + 1 < len(tokens) and tokens[k + 1] == (i + 1, name)
               for k, (i, t) in enumerate(tokens))


def _values_block(names: list[str], bindings: Mapping[str, Binding]) -> str:
    return (" VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
            + " ".join(term_sparql(as_term(bindings[n])) for n in names) + ") } ")


def bind_values(query: str, bindings: Mapping[str, Binding] | None) -> str:
    """The query with a one-row VALUES block for `bindings` at the start of its WHERE group, and
    one for the bindings a subquery reads at the start of that subquery's WHERE group."""
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        if not _VARIABLE.match(name):
            raise ValueError(f"not a variable name: {name!r}")
    block = _values_block(names, bindings)
    at = _where_start(query)
    if at is None:
        return query + "\n" + block
    inserts = [(at, block)]
    for start, end in _subquery_groups(query, at):
        read = [n for n in names if _reads(query, start, end, n)]
        if read:
            inserts.append((start, _values_block(read, bindings)))
    for position, text in sorted(inserts, reverse=True):
        query = query[:position] + text + query[position:]
    return query
