"""SPARQL: an editor preloaded with the saved queries, results as a table, CSV and JSON downloads."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from pages.common import require_build, settings

st.title("Console SPARQL")
build = require_build()


@st.cache_resource(show_spinner=False)
def _pool(build_dir: str, store_kind: str):
    from pathlib import Path

    from kg.query_worker import QueryPool

    folder = Path(build_dir)
    store_path = folder / "store" if store_kind == "oxigraph" and (folder / "store").exists() else None
    return QueryPool(store_path, None if store_path else folder / "graph.nt", workers=1, timeout=20,
                     max_rows=20_000)


from kg.serve import _examples  # noqa: E402

examples = _examples()
titles = [t for t, _ in examples]
choice = st.selectbox("Requêtes enregistrées", titles, key="s_example") if titles else None
if choice is not None and st.session_state.get("s_loaded") != choice:
    st.session_state["s_query"] = dict(examples)[choice]
    st.session_state["s_loaded"] = choice
query = st.text_area("Requête", key="s_query", height=260)
if st.button("Exécuter", key="s_run", type="primary"):
    from kg.query_worker import QueryFailed, QueryTimeout

    try:
        answer = _pool(str(build), settings().store).run(query, "json")
        st.session_state["s_result"] = json.loads(answer.body)
        st.session_state.pop("s_error", None)
    except QueryTimeout as e:
        st.session_state["s_error"] = f"Délai dépassé : {e}"
    except QueryFailed as e:
        st.session_state["s_error"] = f"Erreur ({e.status}) : {e}"
if st.session_state.get("s_error"):
    st.error(st.session_state["s_error"])
elif result := st.session_state.get("s_result"):
    if "boolean" in result:
        st.success(f"Réponse : {result['boolean']}")
    else:
        variables = result["head"]["vars"]
        rows = [{v: b.get(v, {}).get("value") for v in variables} for b in result["results"]["bindings"]]
        frame = pd.DataFrame(rows, columns=variables)
        st.caption(f"{len(frame)} ligne(s)")
        st.dataframe(frame, hide_index=True, use_container_width=True)
        c1, c2 = st.columns(2)
        c1.download_button("CSV", frame.to_csv(index=False).encode(), "resultats.csv", "text/csv", key="s_csv")
        c2.download_button("JSON", json.dumps(result, ensure_ascii=False).encode(), "resultats.json",
                           "application/sparql-results+json", key="s_json")
