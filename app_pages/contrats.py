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
                      format_func=lambda d: f"{extracted[d].territory.name} — {extracted[d].document.meta.title}")
x = extracted[doc_id]
meta = x.document.meta
territory = x.territory
st.subheader(escape_markdown(meta.title or doc_id))
st.caption(escape_markdown(
    f"{territory.name} ({territory.short_name or '—'}) · SIREN {territory.siren or '—'} · "
    f"{meta.period_start or '?'}–{meta.period_end or '?'} · génération {meta.generation}"
    + (f" · modifie {meta.amends}" if meta.amends else "")))
st.page_link("app_pages/document.py", label="Ouvrir le document (et relire ses faits)",
             icon=":material/menu_book:", query_params={"doc": doc_id})
own_warnings = [*x.document.warnings, *x.warnings]  # reading and extraction warnings, kept with the document
if own_warnings:
    st.warning("Avertissements pour ce document : " + "; ".join(escape_markdown(w) for w in own_warnings))

REVIEW_FR = {"confirmed": "confirmé", "corrected": "corrigé", "added": "ajouté"}


def _review(r) -> str:
    """A record's review as the build has it (the document view shows the reviews since, and relit)."""
    return REVIEW_FR.get(r.review_status or "", "non relu") + (f" ({', '.join(r.reviewers)})" if r.reviewers else "")


floor = st.slider("Confiance minimale des engagements", 0.0, 1.0, 0.0, 0.05, key="k_min_confidence",
                  help="Masque les engagements extraits avec une confiance plus basse (les relus restent).")
tabs = st.tabs([f"Orientations et objectifs ({len(x.orientations)})", f"Quartiers ({len(x.neighbourhoods)})",
                f"Signataires ({len(x.signatories)})", f"Engagements ({len(x.commitments)})",
                f"Indicateurs ({len(x.indicators)})"])


def _outline(orientation) -> list[str]:
    lines = []
    for step in orientation.walk():
        ob = step.objective
        code = f"{ob.code} " if ob.code else ""
        level = LEVEL.get(ob.level, ob.level or "")
        lines.append("    " * step.depth + f"- {escape_markdown(code + ob.label)} *({escape_markdown(level)})*")
    return lines


with tabs[0]:
    if not x.orientations:
        st.info("Aucune orientation extraite.")
    for o in x.orientations:
        title = f"{o.number or ''} {o.label}".strip()
        with st.expander(escape_markdown(title)):
            if o.themes:
                st.caption("Thèmes : " + ", ".join(escape_markdown(theme_label(t)) for t in o.themes))
            if o.objectives:
                st.markdown("\n".join(_outline(o)))
            else:
                st.caption("Aucun objectif extrait.")
with tabs[1]:
    rows = [{"quartier": n.name, "statut": STATUS.get(n.status, str(n.status)),
             "communes": ", ".join(n.communes), "code QPV": n.code or "",
             "codes INSEE": ", ".join(n.insee_codes), "nom officiel": n.official_name or "",
             "autres graphies": ", ".join(n.aliases), "confiance": n.confidence,
             "relecture": _review(n)}
            for n in x.neighbourhoods]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun quartier extrait.")
with tabs[2]:
    rows = [{"signataire": s.organisation.name, "type": partner_type_label(s.organisation.type),
             "personne": s.person or "", "qualité": s.role or "", "confiance": s.confidence, "relecture": _review(s),
             "ligne": s.provenance[0].line if s.provenance else None}
            for s in x.signatories]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun signataire extrait.")
with tabs[3]:
    rows = [{"partenaire": c.partner.name, "type": partner_type_label(c.partner.type), "engagement": c.text,
             "orientation": c.orientation or "", "objectif": c.objective or "",
             "thèmes": ", ".join(theme_label(t) for t in c.themes),
             "confiance": c.confidence, "confiance partenaire": c.partner_confidence,
             "relecture": _review(c),
             "page": c.provenance.page, "ligne": c.provenance.line} for c in x.commitments
            if c.review_status or (c.confidence or 1.0) >= floor]
    if rows:
        st.caption("Confiance : probabilité estimée par le modèle d'extraction (mesurée sur des contrats "
                   "qu'il n'a pas vus : voir le README). Triez la colonne pour relire d'abord les moins sûrs.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun engagement extrait.")
    uncertain = x.uncertain_commitments
    if uncertain:
        with st.expander(f"À vérifier : {len(uncertain)} passages que le modèle hésite à lire comme des engagements"):
            st.dataframe(pd.DataFrame([{"partenaire probable": c.partner.name, "texte": c.text,
                                        "confiance": c.confidence, "ligne": c.provenance.line,
                                        "page": c.provenance.page}
                                       for c in uncertain]), hide_index=True, width="stretch")
with tabs[4]:
    rows = [{"indicateur": i.text, "engagement": i.commitment or "", "orientation": i.orientation or "",
             "confiance": i.confidence, "relecture": _review(i), "page": i.provenance.page,
             "ligne": i.provenance.line}
            for i in x.indicators]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.info("Aucun indicateur extrait.")
