"""The facts read from one document, beside its source in the document view: each commitment,
indicator, signatory and neighbourhood with its confidence, its review status and the review
controls (app_pages/review.py), so that a researcher checks a fact against the page and fixes
it in the same place. The least sure come first: that is where review pays."""

from __future__ import annotations

import streamlit as st

from app_pages.common import confidence_text, escape_markdown
from app_pages.review import fact_controls, fact_status, fact_status_line, facts, min_confidence

RECORDS = {"commitment": "Engagements", "indicator": "Indicateurs", "signatory": "Signataires",
           "neighbourhood": "Quartiers"}
STATUS_COUNTS = {"unreviewed": "non relus", "confirmed": "confirmés", "corrected": "corrigés", "added": "ajoutés",
                 "rejected": "rejetés"}
PER_PAGE = 12


def _goto(page: int | None, line: int | None) -> None:
    # A callback runs before the page is drawn again: the only moment a widget's value may be set.
    if page:
        st.session_state["d_page"] = page
    if line:
        st.session_state["d_line"] = line


def _where(fact) -> str:
    return f"p. {fact.page}" if fact.page else (f"l. {fact.line}" if fact.line else "")


def _card(fact, key: str) -> None:
    with st.container(border=True):
        st.markdown(escape_markdown(fact.label))
        caption = [_where(fact)] if _where(fact) else []
        if fact.confidence is not None:
            caption.append(confidence_text(fact.confidence, fact.data.get("partner_confidence")))
        caption.append(fact_status_line(fact.id, fact.review_status, fact.reviewers))
        st.caption(" · ".join(caption))
        c1, c2 = st.columns([1, 1])
        if fact.page or fact.line:
            c1.button("Voir dans la source", key=f"goto-{key}", icon=":material/my_location:",
                      on_click=_goto, args=(fact.page, fact.line))
        with c2:
            fact_controls(fact, key)


def document_facts(document: str, key: str = "df") -> None:
    """The document's facts of one sort, filtered by review status and the sidebar's confidence floor."""
    everything = facts().of_document(document)
    st.subheader("Faits extraits")
    which = st.radio("Montrer", ["tous", "non relus", "relus"], horizontal=True, key=f"{key}-which")
    floor = min_confidence()
    # One sort at a time: every card carries a review popover, and a long contract has hundreds.
    record = st.radio("Faits", list(RECORDS), horizontal=True, key=f"{key}-record",
                      format_func=lambda r: f"{RECORDS[r]} ({sum(f.record == r for f in everything)})")
    items = [(f, fact_status(f.id)) for f in everything if f.record == record]
    counts = {s: sum(state == s for _, state in items) for s in STATUS_COUNTS}
    st.caption(" · ".join(f"{n} {STATUS_COUNTS[s]}" for s, n in counts.items() if n) or "aucun")
    shown = [(f, state) for f, state in items
             if (which == "tous" or (which == "non relus") == (state == "unreviewed"))
             and (state != "unreviewed" or f.confidence is None or f.confidence >= floor)]
    shown.sort(key=lambda fs: (fs[0].confidence if fs[0].confidence is not None else 2.0))
    if not shown:
        st.info("Rien à montrer avec ces filtres.")
        return
    pages = (len(shown) + PER_PAGE - 1) // PER_PAGE
    page = st.number_input("Page", 1, pages, key=f"{key}-{record}-page") if pages > 1 else 1
    for fact, _ in shown[(page - 1) * PER_PAGE:page * PER_PAGE]:
        _card(fact, f"{key}-{fact.id}")
    if pages > 1:
        st.caption(f"{len(shown)} faits, {PER_PAGE} par page, les moins sûrs d'abord.")
