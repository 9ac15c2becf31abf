"""Showing document text safely: Markdown escaping, highlighting, source context.

Document text is never rendered as HTML; in Markdown every special character is escaped, and
matched terms are marked with Streamlit's highlight directive only after escaping.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ingest.normalise import fold

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")
# English grammar words (French ones come from the BM25 stop list, kg.search.lexical).
_EN_STOPWORDS = frozenset(["the", "and", "for", "with", "from", "into", "how", "what", "which", "who", "where",
                           "that", "this", "their", "are", "does", "about"])


@cache
def _stop_words() -> frozenset[str]:
    """Grammar words are not what a reader looks for, so they are never highlighted: the same
    French stop words the index leaves out, plus a few English ones."""
    from kg.search.lexical import _folded_stop_words

    return _folded_stop_words() | _EN_STOPWORDS


def escape_markdown(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def highlight(text: str, query: str, max_chars: int = 700) -> str:
    """Escaped Markdown of `text` with the query's words (accent-insensitive, by prefix) highlighted."""
    text = text if len(text) <= max_chars else text[:max_chars].rsplit(" ", 1)[0] + " …"
    stems = {fold(w)[:6] for w in re.findall(r"\w{3,}", query) if fold(w) not in _stop_words()}
    out = []
    for token in re.split(r"(\w+)", text):
        if token and re.fullmatch(r"\w+", token) and len(token) >= 3 and fold(token)[:6] in stems:
            out.append(f":orange-background[{escape_markdown(token)}]")
        else:
            out.append(escape_markdown(token))
    return "".join(out)


def source_context(path: Path, line: int | None, before: int = 8, after: int = 25) -> str:
    """The lines of a text source around `line` (1-based), for showing a passage in place."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if line is None:
        return "\n".join(lines[: before + after])
    start = max(0, line - 1 - before)
    # The line asked for is marked, so the eye finds it in the surrounding context.
    return "\n".join(
        f"{'►' if n + 1 == line else ' '}{n + 1:6} │ {lines[n]}"
        for n in range(start, min(len(lines), line - 1 + after))
    )


def render_pdf_page(path: Path, page: int, zoom: float = 1.6) -> bytes:
    """One page of a PDF as PNG bytes."""
    import pymupdf

    with pymupdf.open(path) as doc:
        if not 1 <= page <= doc.page_count:
            raise ValueError(f"page {page} out of range 1..{doc.page_count}")
        return doc[page - 1].get_pixmap(matrix=pymupdf.Matrix(zoom, zoom)).tobytes("png")
