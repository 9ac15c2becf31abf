"""Document: a source opened at a page (PDF) or line (text export), to check a fact in place,
beside the facts read from it, each with its confidence, review status and review controls
(app_pages/document_facts.py).

Result cards link here with ?doc=…&page=…&line=…; the link wins over what this session last
showed, so following a second link opens the second place.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import ROOT, documents, escape_markdown, require_build

require_build()
docs = documents()
ids = sorted(docs)
params = st.query_params
link = (params.get("doc"), params.get("page"), params.get("line"))
if link[0] in docs and st.session_state.get("d_link") != link:
    # A new link was followed: show its document and place.
    st.session_state["d_link"] = link
    st.session_state["d_doc"] = link[0]
    st.session_state["d_page"] = max(1, int(link[1])) if (link[1] or "").isdigit() else 1
    st.session_state["d_line"] = max(1, int(link[2])) if (link[2] or "").isdigit() else 1

doc_id = st.selectbox("Document", ids, key="d_doc",
                      format_func=lambda d: f"{docs[d].get('territory') or '?'} — {docs[d].get('title') or d}")
doc = docs[doc_id]
path = Path(doc["path"])
if not path.is_absolute():
    path = ROOT / path
st.title(escape_markdown(doc.get("title") or doc_id))
st.caption(escape_markdown(f"{doc.get('territory')} · génération {doc.get('generation')} · "
                           f"{doc['source_format']} · {path.name}"))
source, found = st.columns([1, 1])
with found:
    from app_pages.document_facts import document_facts

    document_facts(doc_id)

with source:
    if not path.exists():
        st.error(f"Le fichier source n'est plus à {escape_markdown(str(path))}.")
        st.stop()

    from kg.views.textview import render_pdf_page, source_context

    if doc["source_format"] == "pdf":
        pages = doc.get("page_count") or 1
        st.session_state["d_page"] = min(max(1, st.session_state.get("d_page", 1)), pages)
        page = st.number_input("Page", 1, pages, key="d_page")
        st.image(render_pdf_page(path, int(page)), caption=f"page {page} / {pages}")
    else:
        st.session_state.setdefault("d_line", 1)
        line = st.number_input("Ligne", 1, None, key="d_line")
        st.caption("La ligne demandée est marquée ►.")
        st.code(source_context(path, int(line)), language=None)
    st.download_button("Télécharger la source", path.read_bytes(), file_name=path.name, key="d_download")
