"""Checks on a query before any engine sees it: no outbound requests, no deep nesting.

`SERVICE <http://…>` makes Oxigraph (and rdflib) send the query to that address: from a local
endpoint that any web page can reach, that is a request forgery, so SERVICE is refused unless
its endpoint is in an explicit allow-list (`--allow-service`, CONTRATS_SPARQL_ALLOW_SERVICE).
A query nested 10,000 groups deep crashed Oxigraph's parser (a segfault), so nesting is capped
too. Both checks read the text token by token (comments, strings and IRIs skipped, `\\u`
escapes decoded first as SPARQL 1.1 §19.2 requires of any parser), without parsing it: a parser
is exactly what a deep query breaks, and a depth of brackets bounds the depth of the algebra.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest import environment
from kg.sparql.text import skip_token

MAX_DEPTH = 64  # groups, parentheses and blank-node brackets; the saved queries use fewer than 10
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_NAME = re.compile(r"[^\s{}()\[\],;.<>\"'#?$]+")
_IRI = re.compile(r'<([^<>"{}|^`\\\x00-\x20]*)>')


class QueryRefused(ValueError):
    """A query refused before it runs (HTTP 400)."""

    status = 400


def allowed_services_from_env() -> tuple[str, ...]:
    return tuple(environment.items("CONTRATS_SPARQL_ALLOW_SERVICE"))


def unescape_codepoints(query: str) -> str:
    def one(m: re.Match) -> str:
        try:
            return chr(int(m.group(1) or m.group(2), 16))
        except ValueError:
            return m.group(0)

    return _CODEPOINT.sub(one, query)


def check_query(query: str, allowed_services: Iterable[str] | None = None, max_depth: int = MAX_DEPTH) -> None:
    """Raise QueryRefused for SERVICE to an endpoint not allowed, or nesting past `max_depth`.
    `allowed_services` None reads CONTRATS_SPARQL_ALLOW_SERVICE."""
    allowed = set(allowed_services_from_env() if allowed_services is None else allowed_services)
    text = unescape_codepoints(query)
    depth, i, n = 0, 0, len(text)
    while i < n:
        j = skip_token(text, i)
        if j != i:
            i = j
            continue
        c = text[i]
        if c in "{([":
            depth += 1
            if depth > max_depth:
                raise QueryRefused(f"query nested more than {max_depth} levels deep")
        elif c in "})]":
            depth = max(0, depth - 1)
        elif c in "?$":
            m = _NAME.match(text, i + 1)  # a variable, even one named ?service
            i = m.end() if m else i + 1
            continue
        else:
            m = _NAME.match(text, i)
            if m:
                if m.group(0).upper() == "SERVICE":
                    _check_service(text, m.end(), allowed)
                i = m.end()
                continue
        i += 1


def _check_service(text: str, at: int, allowed: set[str]) -> None:
    rest = text[at:].lstrip()
    if rest[:6].upper() == "SILENT":
        rest = rest[6:].lstrip()
    m = _IRI.match(rest)
    target = m.group(1) if m else None
    if target is not None and target in allowed:
        return
    shown = f"<{target}>" if target is not None else rest.split(None, 1)[0][:80] if rest else "?"
    hint = ("; allow an endpoint with --allow-service (CONTRATS_SPARQL_ALLOW_SERVICE), written as a full IRI"
            if target is None or not allowed else "; it is not in the allowed list")
    raise QueryRefused(f"SERVICE {shown} refused: queries here make no outbound requests{hint}")
