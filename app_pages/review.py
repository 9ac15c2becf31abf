"""Reviewing facts where they are read: the status line and the review controls of a commitment.

A reviewer types their name once per session (sidebar). Each action is one line appended to
DATA/corrections/corrections.jsonl (kg.corrections: flock, append-only) and shows at once on
every page, overlaid on the current build (kg.reviewing.pending); the next build writes it into
the graph with its provenance (kg.review_graph).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import escape_markdown, extractions, partner_type_label, require_build, settings
from kg.corrections import CorrectionError
from kg.reviewing import BuildFacts, UnknownFact, pending, pending_review, record, record_added

STATUS_FR = {"confirmed": "confirmé", "corrected": "corrigé", "added": "ajouté", "rejected": "rejeté"}
KINDS_FR = {"commitment": "engagement", "proposal": "proposition", "objective": "objectif (pas un engagement)"}


@st.cache_resource(show_spinner=False)
def _facts(build: str) -> BuildFacts:
    return BuildFacts.read(Path(build))


def facts() -> BuildFacts:
    return _facts(str(require_build()))


@st.cache_data(show_spinner=False)
def _pending(data_dir: str, build: str, log_state: tuple[int, int]):
    return pending(Path(data_dir), _facts(build))


def waiting():
    """Reviews made since the current build, read again whenever the log changes."""
    path = settings().data_dir / "corrections" / "corrections.jsonl"
    try:
        stat = path.stat()
        state = (stat.st_size, stat.st_mtime_ns)
    except FileNotFoundError:
        return {}
    return _pending(str(settings().data_dir), str(require_build()), state)


@st.cache_resource(show_spinner=False)
def _organisations(build: str, _extractions: dict[str, dict]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for x in _extractions.values():
        for o in x.get("partners") or ():
            out.setdefault(o["id"], {"id": o["id"], "name": o["name"], "type": o["type"]})
        for c in x.get("commitments") or ():
            out.setdefault(c["partner_id"], {"id": c["partner_id"], "name": c["partner"], "type": c["partner_type"]})
    return dict(sorted(out.items(), key=lambda kv: kv[1]["name"].casefold()))


def organisations() -> dict[str, dict[str, str]]:
    """Every organisation of the build's extractions, by id, sorted by name: the actor picker."""
    return _organisations(str(require_build()), extractions())


def reviewer() -> str:
    return (st.session_state.get("reviewer") or "").strip()


def reviewer_box() -> None:
    """The reviewer's name, typed once per session."""
    st.sidebar.text_input("Votre nom (pour relire)", key="reviewer",
                          help="Chaque relecture est enregistrée avec ce nom, la date et le motif.")


def status_line(r) -> str | None:
    """What review says of this commitment: pending (since the build) or built in."""
    review = pending_review(facts(), waiting(), r.id)
    if review is not None:
        who = ", ".join(review.reviewers)
        text = f"Relecture : {STATUS_FR.get(review.status, review.status)} par {escape_markdown(who)}"
        if review.actor:
            text += f" · partenaire → {escape_markdown(review.actor['name'])}"
        if review.kind:
            text += f" · nature → {KINDS_FR.get(review.kind, review.kind)}"
        if review.neighbourhoods is not None:
            text += " · quartiers → " + (", ".join(escape_markdown(n) for n in review.neighbourhoods) or "tous")
        if review.text:
            text += " · texte corrigé"
        return text + " (dans le graphe à la prochaine construction)"
    status = r.extra.get("review_status")
    if status:
        return f"Relu : {STATUS_FR.get(status, status)} par {escape_markdown(', '.join(r.extra.get('reviewers') or []))}"
    return "Non relu"


def is_rejected(r) -> bool:
    review = pending_review(facts(), waiting(), r.id)
    return review is not None and (review.status == "rejected" or review.kind == "objective")


def _save(r, action: str, value: dict | None, why: str) -> None:
    try:
        record(settings().data_dir, facts(), r.id, action, reviewer(), value, why)
    except (UnknownFact, CorrectionError) as e:
        st.error(str(e))
        return
    st.toast(f"Relecture enregistrée : {action}")
    st.rerun()


def review_controls(r, key: str) -> None:
    """Confirm, reject, or correct the partner, kind, neighbourhoods or text of a commitment."""
    with st.popover("Relire", icon=":material/rate_review:"):
        if not reviewer():
            st.warning("Indiquez votre nom dans la barre latérale pour relire.")
            return
        why = st.text_input("Motif (facultatif)", key=f"why-{key}")
        c1, c2 = st.columns(2)
        if c1.button("Confirmer", key=f"ok-{key}", icon=":material/check:"):
            _save(r, "confirm", None, why)
        if c2.button("Rejeter", key=f"no-{key}", icon=":material/close:"):
            _save(r, "reject", None, why)
        orgs = organisations()
        ids = list(orgs)
        current = r.extra.get("partner_id")
        choice = st.selectbox("Partenaire", ids, index=ids.index(current) if current in ids else None,
                              format_func=lambda i: f"{orgs[i]['name']} ({partner_type_label(orgs[i]['type'])})",
                              key=f"actor-{key}", placeholder="Choisir…")
        if choice and choice != current and st.button("Corriger le partenaire", key=f"actor-save-{key}"):
            _save(r, "actor", orgs[choice], why)
        with st.expander("Autre correction"):
            kind = st.radio("Nature", list(KINDS_FR), format_func=KINDS_FR.get, key=f"kind-{key}",
                            index=list(KINDS_FR).index(r.extra.get("kind") or "commitment"))
            if kind != (r.extra.get("kind") or "commitment") and st.button("Corriger la nature", key=f"kind-save-{key}"):
                _save(r, "kind", {"kind": kind}, why)
            text = st.text_area("Texte de l'engagement", r.text, key=f"span-{key}")
            if text.strip() and text.strip() != r.text.strip() and st.button("Corriger le texte", key=f"span-save-{key}"):
                _save(r, "span", {"text": text.strip()}, why)
            scope = st.text_input("Quartiers (séparés par « ; », vide : tous)", "; ".join(r.neighbourhoods),
                                  key=f"scope-{key}")
            names = [n.strip() for n in scope.split(";") if n.strip()]
            if names != list(r.neighbourhoods) and st.button("Corriger les quartiers", key=f"scope-save-{key}"):
                _save(r, "scope", {"neighbourhoods": names}, why)


def min_confidence() -> float:
    return float(st.session_state.get("min_confidence") or 0.0)


def confidence_box() -> None:
    st.sidebar.slider("Confiance minimale des engagements", 0.0, 1.0, 0.0, 0.05, key="min_confidence",
                      help="Masque les engagements extraits avec une confiance plus basse "
                           "(les engagements relus sont toujours montrés).")


def shown(results: list) -> list:
    """Results without the commitments below the chosen confidence (reviewed ones always stay)."""
    floor = min_confidence()
    if floor <= 0:
        return results
    return [x for x in results if x.record.record_type != "commitment" or x.record.extra.get("review_status")
            or (x.record.extra.get("confidence") is None) or x.record.extra["confidence"] >= floor]


def status_of(r) -> str:
    """unreviewed | confirmed | corrected | added | rejected, pending reviews included."""
    review = pending_review(facts(), waiting(), r.id)
    if review is not None:
        return "rejected" if review.kind == "objective" else review.status
    return r.extra.get("review_status") or "unreviewed"


def add_from_passage(r, key: str) -> None:
    """"Add a commitment from this passage": the extractor missed it."""
    with st.popover("Ajouter un engagement", icon=":material/add_task:"):
        if not reviewer():
            st.warning("Indiquez votre nom dans la barre latérale pour relire.")
            return
        orgs = organisations()
        choice = st.selectbox("Partenaire qui s'engage", list(orgs), index=None, key=f"add-actor-{key}",
                              format_func=lambda i: f"{orgs[i]['name']} ({partner_type_label(orgs[i]['type'])})",
                              placeholder="Choisir…")
        kind = st.radio("Nature", ["commitment", "proposal"], format_func=KINDS_FR.get, key=f"add-kind-{key}",
                        horizontal=True)
        text = st.text_area("Texte de l'engagement", r.text, key=f"add-text-{key}")
        why = st.text_input("Motif (facultatif)", key=f"add-why-{key}")
        if choice and text.strip() and st.button("Ajouter", key=f"add-save-{key}"):
            try:
                record_added(settings().data_dir, facts(), r.id, reviewer(), orgs[choice], kind, text.strip(), why)
            except (UnknownFact, CorrectionError) as e:
                st.error(str(e))
                return
            st.toast("Engagement ajouté : dans le graphe à la prochaine construction")
            st.rerun()
