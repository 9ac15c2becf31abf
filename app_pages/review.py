"""Reviewing facts where they are read: the status line and the review controls of a fact (a
commitment on a result card; any commitment, indicator, signatory or neighbourhood of a document
in the document view, app_pages/document_facts.py).

A reviewer types their name once per session (sidebar). Each action is one line appended to
DATA/corrections/corrections.jsonl (kg.review.corrections: flock, append-only) and shows at once on
every page, overlaid on the current build (kg.review.reviewing.pending); the next build writes it into
the graph with its provenance (kg.review.reviewed_graph).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import escape_markdown, extractions, partner_type_label, require_build, settings
from kg.facade import Build
from kg.review.corrections import CorrectionError
from kg.review.reviewing import (
    BuildFacts,
    Fact,
    UnknownFact,
    pending,
    pending_review,
    record,
    record_added,
    status,
)

STATUS_FR = {"confirmed": "confirmé", "corrected": "corrigé", "added": "ajouté", "rejected": "rejeté"}
KINDS_FR = {"commitment": "engagement", "proposal": "proposition", "objective": "objectif (pas un engagement)"}


@st.cache_resource(show_spinner=False)
def _facts(build: str) -> BuildFacts:
    return Build(Path(build), settings()).facts()


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
def _organisations(build: str, _extractions) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for x in _extractions.values():
        organisations = [*x.partners, *(c.partner for c in x.commitments), *(s.organisation for s in x.signatories)]
        for o in organisations:
            out.setdefault(o.id, {"id": o.id, "name": o.name, "type": o.type})
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


def _pending_text(review) -> str:
    who = ", ".join(review.reviewers)
    text = f"Relecture : {STATUS_FR.get(review.status, review.status)} par {escape_markdown(who)}"
    if review.actor:
        text += f" · {'organisation' if review.key.record == 'signatory' else 'partenaire'} → " \
                f"{escape_markdown(review.actor['name'])}"
    if review.kind:
        text += f" · nature → {KINDS_FR.get(review.kind, review.kind)}"
    if review.neighbourhoods is not None:
        text += " · quartiers → " + (", ".join(escape_markdown(n) for n in review.neighbourhoods) or "tous")
    for field, label in (("person", "personne"), ("role", "qualité"), ("name", "nom"), ("code", "code")):
        value = getattr(review, field)
        if value is not None:
            text += f" · {label} → {escape_markdown(value) or 'aucun'}"
    if review.text:
        text += " · texte corrigé"
    return text + " (dans le graphe à la prochaine construction)"


def fact_status_line(fact_id: str, review_status: str | None, reviewers) -> str:
    """What review says of a fact: pending (since the build) or built in, or "Non relu"."""
    review = pending_review(facts(), waiting(), fact_id)
    if review is not None:
        return _pending_text(review)
    if review_status:
        return f"Relu : {STATUS_FR.get(review_status, review_status)} par {escape_markdown(', '.join(reviewers or []))}"
    return "Non relu"


def status_line(r) -> str:
    """The status line of a commitment's result card."""
    return fact_status_line(r.id, r.review_status, r.reviewers)


def _save(fact_id: str, action: str, value: dict | None, why: str) -> None:
    try:
        record(settings().data_dir, facts(), fact_id, action, reviewer(), value, why)
    except (UnknownFact, CorrectionError) as e:
        st.error(str(e))
        return
    st.toast(f"Relecture enregistrée : {action}")
    st.rerun()


def _organisation_picker(label: str, current: str | None, key: str) -> str | None:
    orgs = organisations()
    ids = list(orgs)
    return st.selectbox(label, ids, index=ids.index(current) if current in ids else None,
                        format_func=lambda i: f"{orgs[i]['name']} ({partner_type_label(orgs[i]['type'])})",
                        key=key, placeholder="Choisir…")


def _verdicts(fact_id: str, key: str) -> str | None:
    """The reason box and the confirm / reject buttons; the reason, or None without a reviewer."""
    if not reviewer():
        st.warning("Indiquez votre nom dans la barre latérale pour relire.")
        return None
    why = st.text_input("Motif (facultatif)", key=f"why-{key}")
    c1, c2 = st.columns(2)
    if c1.button("Confirmer", key=f"ok-{key}", icon=":material/check:"):
        _save(fact_id, "confirm", None, why)
    if c2.button("Rejeter", key=f"no-{key}", icon=":material/close:"):
        _save(fact_id, "reject", None, why)
    return why


def _field(fact_id: str, action: str, label: str, current: str | None, key: str, why: str) -> None:
    """A text field of a fact and the button that corrects it ("" clears an optional one)."""
    value = st.text_input(label, current or "", key=f"{action}-{key}")
    if value.strip() != (current or "").strip() and st.button(f"Corriger : {label.lower()}", key=f"{action}-save-{key}"):
        _save(fact_id, action, {action: value.strip()}, why)


def review_controls(r, key: str) -> None:
    """Confirm, reject, or correct the partner, kind, neighbourhoods or text of a commitment."""
    commitment_controls(r.id, r.partner_id, r.kind, r.text, list(r.neighbourhoods), key)


def commitment_controls(fact_id: str, partner_id: str | None, kind: str | None, text: str,
                        neighbourhoods: list[str], key: str) -> None:
    with st.popover("Relire", icon=":material/rate_review:"):
        why = _verdicts(fact_id, key)
        if why is None:
            return
        choice = _organisation_picker("Partenaire", partner_id, f"actor-{key}")
        if choice and choice != partner_id and st.button("Corriger le partenaire", key=f"actor-save-{key}"):
            _save(fact_id, "actor", organisations()[choice], why)
        with st.expander("Autre correction"):
            chosen = st.radio("Nature", list(KINDS_FR), format_func=KINDS_FR.get, key=f"kind-{key}",
                              index=list(KINDS_FR).index(kind or "commitment"))
            if chosen != (kind or "commitment") and st.button("Corriger la nature", key=f"kind-save-{key}"):
                _save(fact_id, "kind", {"kind": chosen}, why)
            new_text = st.text_area("Texte de l'engagement", text, key=f"span-{key}")
            if new_text.strip() and new_text.strip() != text.strip() and st.button("Corriger le texte",
                                                                                  key=f"span-save-{key}"):
                _save(fact_id, "span", {"text": new_text.strip()}, why)
            scope = st.text_input("Quartiers (séparés par « ; », vide : tous)", "; ".join(neighbourhoods),
                                  key=f"scope-{key}")
            names = [n.strip() for n in scope.split(";") if n.strip()]
            if names != neighbourhoods and st.button("Corriger les quartiers", key=f"scope-save-{key}"):
                _save(fact_id, "scope", {"neighbourhoods": names}, why)


def fact_controls(fact: Fact, key: str) -> None:
    """The review controls of any fact of the build: a commitment's as on its card; an
    indicator's text; a signatory's organisation, person and role; a neighbourhood's name and code."""
    d = fact.data
    if fact.record == "commitment":
        commitment_controls(fact.id, d.get("partner_id"), d.get("kind"), d.get("text") or "",
                            list(d.get("neighbourhoods") or []), key)
        return
    with st.popover("Relire", icon=":material/rate_review:"):
        why = _verdicts(fact.id, key)
        if why is None:
            return
        if fact.record == "indicator":
            text = st.text_area("Texte de l'indicateur", d.get("text") or "", key=f"span-{key}")
            if text.strip() and text.strip() != (d.get("text") or "").strip() and st.button(
                    "Corriger le texte", key=f"span-save-{key}"):
                _save(fact.id, "span", {"text": text.strip()}, why)
        elif fact.record == "signatory":
            choice = _organisation_picker("Organisation signataire", d.get("organisation"), f"actor-{key}")
            if choice and choice != d.get("organisation") and st.button("Corriger l'organisation",
                                                                         key=f"actor-save-{key}"):
                _save(fact.id, "actor", organisations()[choice], why)
            _field(fact.id, "person", "Personne", d.get("person"), key, why)
            _field(fact.id, "role", "Qualité", d.get("role"), key, why)
        elif fact.record == "neighbourhood":
            _field(fact.id, "name", "Nom", d.get("name"), key, why)
            _field(fact.id, "code", "Code QPV", d.get("code"), key, why)


def fact_status(fact_id: str) -> str:
    """unreviewed | confirmed | corrected | added | rejected, pending reviews included."""
    return status(facts(), waiting(), fact_id)


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
    return [x for x in results if x.record.record_type != "commitment" or x.record.review_status
            or x.record.confidence is None or x.record.confidence >= floor]


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
