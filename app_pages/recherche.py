"""Recherche: one query box, filters, results with their provenance and graph facts."""

from __future__ import annotations

import streamlit as st

from app_pages.common import (
    RECORD_TYPES,
    documents,
    escape_markdown,
    facets,
    partner_type_label,
    result_card,
    searcher,
    theme_label,
    themes,
    without_repeats,
)
from app_pages.review import shown

METHODS = {"hybrid": "hybride (mots + sens)", "bm25": "mots (BM25)", "dense": "sens (vecteurs)"}

st.title("Recherche dans les contrats de ville")
s = searcher()
records = s.index.records
docs = documents()
options = facets()



query = st.text_input("Question ou mots-clés (français ou anglais)", key="query",
                      placeholder="ex. : comment attirer des médecins dans les quartiers ?")
with st.expander("Filtres", expanded=False):
    c1, c2, c3 = st.columns(3)
    territory = c1.multiselect("Territoire", options["territory"], key="f_territory", placeholder="Choisir…")
    generation = c2.multiselect("Génération", options["generation"],
                                key="f_generation", placeholder="Choisir…")
    record_type = c3.multiselect("Type d'élément", list(RECORD_TYPES), key="f_type", placeholder="Choisir…",
                                 format_func=lambda t: RECORD_TYPES[t] + "s")
    c4, c5, c6 = st.columns(3)
    partner = c4.multiselect("Partenaire", options["partner"], key="f_partner", placeholder="Choisir…")
    partner_type = c5.multiselect("Type de partenaire", options["partner_type"],
                                  format_func=partner_type_label, key="f_partner_type", placeholder="Choisir…")
    theme = c6.multiselect("Thème", [t["id"] for t in themes()], format_func=theme_label, key="f_theme", placeholder="Choisir…")
    neighbourhood = st.multiselect("Quartier", options["neighbourhood"],
                                   key="f_neighbourhood", placeholder="Choisir…")
    c7, c8 = st.columns(2)
    k = c7.slider("Nombre de résultats", 5, 50, 10, key="f_k")
    method = c8.radio("Méthode", list(METHODS), format_func=METHODS.get, horizontal=True, key="f_method")

if query.strip():
    from kg.facade import Filters

    filters = Filters(territories=tuple(territory), generations=tuple(generation), partners=tuple(partner),
                      partner_types=tuple(partner_type), themes=tuple(theme),
                      neighbourhoods=tuple(neighbourhood), record_types=tuple(record_type))
    understood = s.understood(query)
    ignore: tuple[str, ...] = ()
    if understood is not None and understood.mentions:
        KINDS = {"territory": "Territoire", "generation": "Génération", "neighbourhood": "Quartier",
                 "partner": "Partenaire"}
        labels = {f"{m.kind}:{m.value}": f"{KINDS.get(m.kind, m.kind)} : {m.label} (« {m.text} »)"
                  for m in understood.mentions}
        kept = st.multiselect("Compris dans la question (retirer pour ne pas en tenir compte)", list(labels),
                              default=list(labels), format_func=labels.get, key=f"understood::{query}")
        ignore = tuple(key for key in labels if key not in kept)
    response = s.run(query, k=2 * k, filters=filters, method=method, ignore=ignore)
    results = shown(without_repeats(response.results))[:k]
    if response.translated:
        st.caption(f"Question en anglais, cherchée comme : « {escape_markdown(response.translated)} »")
    st.subheader(f"{len(results)} résultat(s)")
    if not results:
        st.info("Rien trouvé. Élargissez les filtres ou reformulez la question.")
    for n, result in enumerate(results):
        result_card(result, query, key=f"r{n}")
else:
    st.caption(f"{len(docs)} documents, {len(records)} éléments indexés (passages, engagements, objectifs).")
