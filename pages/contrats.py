"""Contrats: each contract's outline, neighbourhoods, signatories, and the build summary."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.common import escape_markdown, extractions, settings, theme_label

st.title("Contrats")
from kg.session import build_summary  # noqa: E402

summary = build_summary(settings())
extracted = extractions()
with st.expander("Construction des données", expanded=False):
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Documents", len(summary["documents"]))
    c2.metric("Triplets", summary["triples"])
    c3.metric("SHACL", "conforme" if summary["shacl_conforms"] else "non conforme")
    c4.metric("Construit le", summary["started"][:16].replace("T", " "))
    st.dataframe(pd.DataFrame([summary["records"]]), hide_index=True)
    if summary.get("failures"):
        st.warning("Fichiers non lus : " + "; ".join(summary["failures"]))

doc_id = st.selectbox("Contrat", sorted(extracted), key="k_doc",
                      format_func=lambda d: f"{extracted[d]['territory']['name']} — {extracted[d]['document']['title']}")
x = extracted[doc_id]
meta = x["document"]
st.subheader(escape_markdown(meta["title"] or doc_id))
st.caption(f"{x['territory']['name']} ({x['territory'].get('short_name') or ''}) · SIREN "
           f"{x['territory'].get('siren') or '—'} · {meta['period']['start']}–{meta['period']['end']} · "
           f"génération {meta['generation']}" + (f" · modifie {meta['amends']}" if meta.get("amends") else ""))

tab_outline, tab_places, tab_sign, tab_commit = st.tabs(["Orientations et objectifs", "Quartiers", "Signataires",
                                                         "Engagements"])
with tab_outline:
    if not x["orientations"]:
        st.info("Aucune orientation extraite.")
    for o in x["orientations"]:
        title = f"{o.get('number') or ''} {o['label']}".strip()
        with st.expander(title):
            if o.get("themes"):
                st.caption("Thèmes : " + ", ".join(theme_label(t) for t in o["themes"]))

            def show(objectives, depth=0):
                for ob in objectives:
                    code = f"{ob['code']} " if ob.get("code") else ""
                    st.markdown("  " * depth + f"- {escape_markdown(code + ob['label'])} *({ob['level']})*")
                    show(ob.get("children") or [], depth + 1)

            show(o["objectives"])
with tab_places:
    rows = [{"quartier": n["name"], "statut": n["status"], "communes": ", ".join(n["communes"]),
             "code": n.get("code") or "", "INSEE": ", ".join(n.get("insee_codes") or []),
             "autres graphies": ", ".join(n["aliases"])} for n in x["neighbourhoods"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
with tab_sign:
    rows = [{"signataire": s["name"], "type": s["type"], "personne": s.get("person") or "",
             "qualité": s.get("role") or ""} for s in x["signatories"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
with tab_commit:
    rows = [{"partenaire": c["partner"], "type": c["partner_type"], "engagement": c["text"],
             "orientation": c.get("orientation") or "", "thèmes": ", ".join(theme_label(t) for t in c["themes"]),
             "ligne/page": c.get("page") or c.get("line")} for c in x["commitments"]]
    st.dataframe(pd.DataFrame(rows), hide_index=True, use_container_width=True)
