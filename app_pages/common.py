"""What every page shares: the data, loaded once per process, labels, and the result card.

Document text only ever reaches Streamlit escaped (kg.views.textview.escape_markdown / highlight) or
through elements that never interpret it (st.code, st.dataframe, st.text); no page uses
unsafe_allow_html.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.config import load_settings  # noqa: E402
from kg.facade import Build, Extraction, NoBuild  # noqa: E402
from kg.views.textview import escape_markdown, highlight  # noqa: E402

RECORD_TYPES = {"passage": "passage", "commitment": "engagement", "objective": "objectif"}


def settings():
    return load_settings()


@st.cache_resource(show_spinner="Chargement de l'index…")
def _searcher(build_dir: str, model: str, data_dir: str):
    from kg.threads import limit_query_threads

    limit_query_threads()

    return Build(Path(build_dir), settings()).searcher()


def current() -> Build | None:
    """The current build (kg.facade: every page opens the store, the index and the extractions
    through it), or None when nothing is built yet."""
    try:
        return Build.current(settings())
    except NoBuild:
        return None


def build_dir() -> Path | None:
    build = current()
    return build.folder if build is not None else None


def build() -> Build:
    """The current build; otherwise the page says which command makes one, and stops."""
    return Build(require_build(), settings())


def require_build() -> Path:
    """The current build folder; otherwise say which command builds one, and stop the page."""
    folder = build_dir()
    if folder is None:
        data = settings().data_dir
        st.warning(f"Aucune donnée construite dans `{data}`. Lancez : `contrats build corpus --data {data}`")
        st.stop()
    return folder


def searcher():
    from kg.facade import IndexMismatch

    folder = require_build()
    s = settings()
    try:
        return _searcher(str(folder), s.model, str(s.data_dir))
    except IndexMismatch as e:
        # Built with another encoder than CONTRATS_MODEL names (an older build, another setting).
        st.error(f"{e}\n\nLancez : `contrats build corpus --data {s.data_dir}`")
        st.stop()


@st.cache_resource(show_spinner=False)
def _facets(build: str, _records) -> dict[str, list[str]]:
    from kg.views.compare import territories

    return {"territory": territories(_records),
            "generation": sorted({r.generation for r in _records if r.generation}),
            "partner": sorted({r.partner for r in _records if r.partner}),
            "partner_type": sorted({r.partner_type for r in _records if r.partner_type}),
            "neighbourhood": sorted({n for r in _records for n in r.neighbourhoods})}


def facets() -> dict[str, list[str]]:
    """The values each filter offers (territories, generations, partners...), read once per build."""
    return _facets(str(require_build()), searcher().index.records)


@st.cache_resource(show_spinner=False)
def _documents(build: str) -> dict[str, dict]:
    return Build(Path(build), settings()).documents()


def documents() -> dict[str, dict]:
    return _documents(str(require_build()))


@st.cache_resource(show_spinner=False)
def _extractions(build: str) -> dict[str, Extraction]:
    return Build(Path(build), settings()).extractions()


def extractions() -> dict[str, Extraction]:
    """Document id -> its extraction, typed (ingest.model.Extraction through kg.facade)."""
    return _extractions(str(require_build()))


@st.cache_resource(show_spinner=False)
def _indicators_by_commitment(build: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for x in _extractions(build).values():
        for indicator in x.indicators:
            if indicator.commitment:
                out[indicator.commitment].append(indicator.text)
    return dict(out)


def indicators_of(commitment_id: str) -> list[str]:
    return _indicators_by_commitment(str(require_build())).get(commitment_id, [])


@st.cache_resource(show_spinner=False)
def _store(build: str, store_kind: str):
    return Build(Path(build), settings()).store()


def store():
    """The current build's graph store, as CONTRATS_STORE names it (kg.facade)."""
    return _store(str(require_build()), settings().store)


@st.cache_resource(show_spinner=False, max_entries=1)
def _query_pool(build: str, store_kind: str, timeout: float, max_rows: int):
    """One killable worker on the same store as `store()` (a new build replaces it: one entry
    kept), holding the build so that a rebuild does not delete it under a running query."""
    opened = Build(Path(build), settings())
    lease = opened.lease()
    pool = opened.query_pool(workers=1, timeout=timeout, max_rows=max_rows)  # a missing store is an error
    pool.lease = lease
    return pool


def query_pool(timeout: float, max_rows: int):
    """The SPARQL console's query worker (kg.sparql.query_worker through kg.facade): SERVICE is refused
    inside its `run` (kg.sparql.guard)."""
    return _query_pool(str(require_build()), settings().store, timeout, max_rows)


def build_summary() -> dict:
    """The current build's summary.json."""
    return build().summary


@st.cache_resource(show_spinner=False)
def themes() -> list[dict]:
    from kg.graph.themes_scheme import load_themes

    return load_themes()


def theme_label(theme_id: str) -> str:
    from kg.graph.vocabulary import theme_label as label

    return label(theme_id, "fr")


def confidence_text(confidence: float, partner_confidence: float | None = None) -> str:
    """How sure extraction is of a commitment, in words a researcher reads at a glance."""
    level = "élevée" if confidence >= 0.8 else "moyenne" if confidence >= 0.6 else "faible"
    text = f"Confiance : {level} ({confidence:.2f})"
    if partner_confidence is not None:
        text += f", partenaire {partner_confidence:.2f}"
    return text


def partner_type_label(type_id: str | None) -> str:
    from kg.graph.vocabulary import partner_type_label as label

    return label(type_id, "fr")


def without_repeats(results: list) -> list:
    """A commitment or objective and the passage it was read from often have the same text:
    the passage is dropped then, and the record carrying the graph facts is kept."""
    richer = {(r.record.passage_id, r.record.text) for r in results if r.record.record_type != "passage"}
    return [r for r in results
            if r.record.record_type != "passage" or (r.record.passage_id, r.record.text) not in richer]


def _location(r) -> str:
    return f"p. {r.page}" if r.page else (f"l. {r.line}" if r.line else "")


def result_card(result, query: str = "", key: str = "") -> None:
    """One search result: where it is, its text with the query highlighted, its graph facts, a link."""
    r = result.record
    with st.container(border=True):
        head = (f"**{escape_markdown(r.territory or '?')}** · {escape_markdown(r.document)} · {_location(r)}"
                f" · {RECORD_TYPES.get(r.record_type, r.record_type)}")
        if result.score:
            head += f" · score {result.score:.2f}"
        st.markdown(head)
        if r.section_path:
            st.caption(" › ".join(escape_markdown(s) for s in r.section_path[-3:]))
        st.markdown(highlight(r.text, query) if query else escape_markdown(r.text))
        facts = []
        if r.partner:
            facts.append(f"Partenaire : {escape_markdown(r.partner)} ({escape_markdown(partner_type_label(r.partner_type))})")
        if r.confidence is not None:
            facts.append(confidence_text(r.confidence, r.partner_confidence))
        if r.orientation:
            facts.append(f"Orientation : {escape_markdown(r.orientation)}")
        if r.objective:
            facts.append(f"Objectif : {escape_markdown(r.objective)}")
        if r.record_type == "objective" and r.code:
            facts.append(f"Code : {escape_markdown(r.code)}")
        if r.themes:
            facts.append("Thèmes : " + ", ".join(escape_markdown(theme_label(t)) for t in r.themes))
        if r.neighbourhoods:
            facts.append("Quartiers : " + ", ".join(escape_markdown(n) for n in r.neighbourhoods))
        if facts:
            st.caption(" · ".join(facts))
        if r.record_type == "commitment":
            from app_pages import review

            st.caption(review.status_line(r))
        if r.record_type == "commitment" and (indicators := indicators_of(r.id)):
            st.caption("Indicateurs : " + " ; ".join(escape_markdown(i[:160]) for i in indicators[:4]))
        params = {"doc": r.document}
        if r.page:
            params["page"] = str(r.page)
        if r.line:
            params["line"] = str(r.line)
        st.page_link("app_pages/document.py", label=f"Ouvrir le document à cet endroit ({_location(r)})",
                     icon=":material/menu_book:", query_params=params)
        if key and r.record_type in ("commitment", "passage"):
            from app_pages import review

            if r.record_type == "commitment":
                review.review_controls(r, key)
            else:
                review.add_from_passage(r, key)
