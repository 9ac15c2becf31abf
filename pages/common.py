"""What every page shares: the data, loaded once per process, and the result card."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.config import load_settings  # noqa: E402
from kg.textview import escape_markdown, highlight  # noqa: E402


def settings():
    return load_settings()


@st.cache_resource(show_spinner="Chargement de l'index…")
def _searcher(build_dir: str, model: str, data_dir: str):
    from kg.session import open_searcher

    return open_searcher(settings())


def build_dir() -> Path | None:
    from kg.build import NoBuild, current_build

    try:
        return current_build(settings().data_dir)
    except NoBuild:
        return None


def require_build() -> Path:
    """The current build folder; otherwise say which command builds one, and stop the page."""
    folder = build_dir()
    if folder is None:
        data = settings().data_dir
        st.warning(f"Aucune donnée construite dans `{data}`. Lancez : `contrats build corpus --data {data}`")
        st.stop()
    return folder


def searcher():
    folder = require_build()
    s = settings()
    return _searcher(str(folder), s.model, str(s.data_dir))


@st.cache_resource(show_spinner=False)
def _documents(build: str) -> dict[str, dict]:
    from kg.jsonl import read_jsonl

    return {d["id"]: d for d in read_jsonl(Path(build) / "documents.jsonl")}


def documents() -> dict[str, dict]:
    return _documents(str(require_build()))


@st.cache_resource(show_spinner=False)
def _extractions(build: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((Path(build) / "extractions").glob("*.json"))}


def extractions() -> dict[str, dict]:
    return _extractions(str(require_build()))


@st.cache_resource(show_spinner=False)
def _store(build: str):
    from kg.session import open_graph_store

    return open_graph_store(settings())


def store():
    return _store(str(require_build()))


def themes() -> list[dict]:
    from ingest.resources import load_yaml

    return load_yaml("themes.yaml")["themes"]


def theme_label(theme_id: str) -> str:
    return next((t["fr"] for t in themes() if t["id"] == theme_id), theme_id)


def result_card(result, query: str = "", key: str = "") -> None:
    """One search result: where it is, its text with the query highlighted, its graph facts."""
    r = result.record
    where = f"p. {r.page}" if r.page else f"l. {r.line}"
    kind = {"passage": "passage", "commitment": "engagement", "objective": "objectif"}[r.record_type]
    with st.container(border=True):
        head = f"**{escape_markdown(r.territory or '?')}** · {escape_markdown(r.document)} · {where} · {kind}"
        if result.score:
            head += f" · score {result.score:.2f}"
        st.markdown(head)
        if r.section_path:
            st.caption(" › ".join(r.section_path[-3:]))
        st.markdown(highlight(r.text, query) if query else escape_markdown(r.text))
        facts = []
        if r.partner:
            facts.append(f"Partenaire : {escape_markdown(r.partner)} ({escape_markdown(r.partner_type or '')})")
        if r.extra.get("orientation"):
            facts.append(f"Orientation : {escape_markdown(r.extra['orientation'])}")
        if r.extra.get("objective"):
            facts.append(f"Objectif : {escape_markdown(r.extra['objective'])}")
        if r.themes:
            facts.append("Thèmes : " + ", ".join(escape_markdown(theme_label(t)) for t in r.themes))
        if r.neighbourhoods:
            facts.append("Quartiers : " + ", ".join(escape_markdown(n) for n in r.neighbourhoods))
        if facts:
            st.caption(" · ".join(facts))
        params = {"doc": r.document, "line": str(r.line or ""), "page": str(r.page or "")}
        st.page_link("pages/document.py", label="Ouvrir le document à cet endroit", icon="📖",
                     query_params=params)
