"""Document: a source opened at a page (PDF) or line (text export), to check a fact in place."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from pages.common import ROOT, documents, require_build

require_build()
docs = documents()
params = st.query_params
doc_id = st.selectbox("Document", sorted(docs), index=sorted(docs).index(params["doc"])
                      if params.get("doc") in docs else 0, key="d_doc")
doc = docs[doc_id]
path = Path(doc["path"])
if not path.is_absolute():
    path = ROOT / path
st.title(doc.get("title") or doc_id)
st.caption(f"{doc.get('territory')} · {doc.get('generation')} · {doc['source_format']} · {path.name}")
if not path.exists():
    st.error(f"Le fichier source n'est plus à {path}.")
    st.stop()

from kg.textview import render_pdf_page, source_context  # noqa: E402

if doc["source_format"] == "pdf":
    page = int(params.get("page") or 1)
    page = st.number_input("Page", 1, doc.get("page_count") or 1, page, key="d_page")
    st.image(render_pdf_page(path, int(page)), caption=f"page {page}")
else:
    line_param = params.get("line")
    line = st.number_input("Ligne", 1, None, int(line_param) if line_param else 1, key="d_line")
    st.code(source_context(path, int(line)), language=None)
st.download_button("Télécharger la source", path.read_bytes(), file_name=path.name, key="d_download")
