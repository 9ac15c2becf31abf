"""Contrats: each contract's outline, neighbourhoods, signatories, and the build summary."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import build_summary, escape_markdown, extractions, partner_type_label, theme_label

STATUS = {"priority": "prioritaire (QPV)", "veille": "veille active", "vulnerabilite": "vulnérabilité"}
LEVEL = {"strategic": "stratégique", "operational": "opérationnel"}
RECORD_FIELDS = {"commitment": "commitments", "indicator": "indicators", "signatory": "signatories",
                 "neighbourhood": "neighbourhoods"}
REVIEW_COUNTS = {"confirmed": "confirmés", "corrected": "corrigés", "added": "ajoutés", "rejected": "rejetés",
                 "orphans": "orphelines (passage disparu)"}
RECORD_LABELS = {"neighbourhoods": "quartiers", "signatories": "signataires", "partners": "partenaires",
                 "orientations": "orientations", "commitments": "engagements", "indicators": "indicateurs"}

st.title("Contrats")
extracted = extractions()
summary = build_summary()

with st.expander("Construction des données", expanded=True):
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Documents", len(summary["documents"]))
    c2.metric("Triplets", f"{summary['triples']:,}".replace(",", " "))
    conforms = summary.get("shacl_conforms")
    c3.metric("SHACL", "conforme" if conforms else ("non vérifié" if conforms is None else "non conforme"))
    c4.metric("Construit le", summary["started"][:10], help="date UTC ; l'heure est sous le tableau")
    st.dataframe(pd.DataFrame([{RECORD_LABELS.get(k, k): v for k, v in summary["records"].items()}]),
                 hide_index=True)
    index = summary.get("index") or {}
    st.caption(escape_markdown(f"Construction {summary['build_id']}, commencée le {summary['started'][:10]} à "
                               f"{summary['started'][11:16]} UTC, en {summary.get('seconds', 0):.0f} s · index : "
                               f"{index.get('count', '?')} éléments, modèle {index.get('model', '?')}"))
    review = summary.get("review") or {}
    if review.get("corrections"):
        st.caption(f"{review['corrections']} relecture(s) de chercheurs appliquées par cette construction :")
        per_record = review.get("records") or {}
        st.dataframe(pd.DataFrame(
            [{"fait": RECORD_LABELS.get(RECORD_FIELDS.get(r, r), r), **{REVIEW_COUNTS[k]: n for k, n in counts.items()
                                                                      if k in REVIEW_COUNTS}}
             for r, counts in per_record.items() if any(counts.values())]), hide_index=True)
    if conforms is False:
        st.text(summary.get("shacl_report", "")[:3000])
    if summary.get("failures"):
        st.warning("Fichiers non lus : " + "; ".join(escape_markdown(f) for f in summary["failures"]))
    if summary.get("warnings"):
        st.caption(f"{len(summary['warnings'])} avertissement(s) de la construction :")
        st.text("\n".join(summary["warnings"])[:5000])

if not extracted:
    st.info("Aucun contrat dans cette construction.")
    st.stop()
doc_id = st.selectbox("Contrat", sorted(extracted), key="k_doc",
                      format_func=lambda d: f"{extracted[d]['territory']['name']} — {extracted[d]['document']['title']}")
x = extracted[doc_id]
meta = x["document"]
territory = x["territory"]
st.subheader(escape_markdown(meta["title"] or doc_id))
period = meta.get("period") or {}
st.caption(escape_markdown(
    f"{territory['name']} ({territory.get('short_name') or '—'}) · SIREN {territory.get('siren') or '—'} · "
    f"{period.get('start') or '?'}–{period.get('end') or '?'} · génération {meta['generation']}"
    + (f" · modifie {meta['amends']}" if meta.get("amends") else "")))
st.page_link("app_pages/document.py", label="Ouvrir le document (et relire ses faits)",
             icon=":material/menu_book:", query_params={"doc": doc_id})
own_warnings = meta.get("warnings") or []  # reading and extraction warnings, kept with the document
if own_warnings:
    st.warning("Avertissements pour ce document : " + "; ".join(escape_markdown(w) for w in own_warnings))

REVIEW_FR = {"confirmed": "confirmé", "corrected": "corrigé", "added": "ajouté"}


def _review(r: dict) -> str:
    """A record's review as the build has it (the document view shows the reviews since, and relit)."""
    return REVIEW_FR.get(r.get("review_status") or "", "non relu") + (
        f" ({', '.join(r.get('reviewers') or [])})" if r.get("reviewers") else "")


floor = st.slider("Confiance minimale des engagements", 0.0, 1.0, 0.0, 0.05, key="k_min_confidence",
                  help="Masque les engagements extraits avec une confiance plus basse (les relus restent).")
tabs = st.tabs([f"Orientations et objectifs ({len(x['orientations'])})", f"Quartiers ({len(x['neighbourhoods'])})",
                f"Signataires ({len(x['signatories'])})", f"Engagements ({len(x['commitments'])})",
                f"Indicateurs ({len(x.get('indicators') or [])})"])


def _outline(objectives: list[dict], depth: int = 0) -> list[str]:
    lines = []
    for ob in objectives:
        code = f"{ob['code']} " if ob.get("code") else ""
        level = LEVEL.get(ob.get("level"), ob.get("level") or "")
        lines.append("    " * depth + f"- {escape_markdown(code + ob['label'])} *({escape_markdown(level)})*")
        lines.extend(_outline(ob.get("children") or [], depth + 1))
    return lines


with tabs[0]:
    if not x["orientations"]:
        st.info("Aucune orientation extraite.")
    for o in x["orientations"]:
        title = f"{o.get('number') or ''} {o['label']}".strip()
        with st.expander(escape_markdown(title)):
            if o.get("themes"):
                st.caption("Thèmes : " + ", ".join(escape_markdown(theme_label(t)) for t in o["themes"]))
            if o["objectives"]:
                st.markdown("\n".join(_outline(o["objectives"])))
            else:
                st.caption("Aucun objectif extrait.")
with tabs[1]:
    rows = [{"quartier": n["name"], "statut": STATUS.get(n["status"], n["status"]),
             "communes": ", ".join(n["communes"]), "code QPV": n.get("code") or "",
             "codes INSEE": ", ".join(n.get("insee_codes") or []), "nom officiel": n.get("official_name") or "",
             "autres graphies": ", ".join(n["aliases"]), "confiance": n.get("confidence"),
             "relecture": _review(n)}
            for n in x["neighbourhoods"]]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun quartier extrait.")
with tabs[2]:
    rows = [{"signataire": s["name"], "type": partner_type_label(s["type"]), "personne": s.get("person") or "",
             "qualité": s.get("role") or "", "confiance": s.get("confidence"), "relecture": _review(s),
             "ligne": (s.get("provenance") or [{}])[0].get("line")}
            for s in x["signatories"]]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun signataire extrait.")
with tabs[3]:
    rows = [{"partenaire": c["partner"], "type": partner_type_label(c["partner_type"]), "engagement": c["text"],
             "orientation": c.get("orientation") or "", "objectif": c.get("objective") or "",
             "thèmes": ", ".join(theme_label(t) for t in c["themes"]),
             "confiance": c.get("confidence"), "confiance partenaire": c.get("partner_confidence"),
             "relecture": _review(c),
             "page": c.get("page"), "ligne": c.get("line")} for c in x["commitments"]
            if c.get("review_status") or (c.get("confidence") or 1.0) >= floor]
    if rows:
        st.caption("Confiance : probabilité estimée par le modèle d'extraction (mesurée sur des contrats "
                   "qu'il n'a pas vus : voir le README). Triez la colonne pour relire d'abord les moins sûrs.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun engagement extrait.")
    uncertain = x.get("uncertain_commitments") or []
    if uncertain:
        with st.expander(f"À vérifier : {len(uncertain)} passages que le modèle hésite à lire comme des engagements"):
            st.dataframe(pd.DataFrame([{"partenaire probable": c["partner"], "texte": c["text"],
                                        "confiance": c.get("confidence"), "ligne": c.get("line"), "page": c.get("page")}
                                       for c in uncertain]), hide_index=True, width="stretch")
with tabs[4]:
    rows = [{"indicateur": i["text"], "engagement": i.get("commitment") or "", "orientation": i.get("orientation") or "",
             "confiance": i.get("confidence"), "relecture": _review(i), "page": i.get("page"),
             "ligne": i.get("line")}
            for i in x.get("indicators") or []]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun indicateur extrait.")
