"""SPARQL: an editor preloaded with the saved queries, their parameters, results as a table,
CSV and JSON downloads. Queries run in a killable worker (kg.facade.Build.query_pool, on the same
store as every other page), so a runaway query ends in a plain timeout message and the app stays up."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages.common import query_pool, require_build
from kg.queries import SAVED_MAX_ROWS, SAVED_TIMEOUT

TIMEOUT_SECONDS = 20
MAX_ROWS = 20_000

st.title("Console SPARQL")
build = require_build()


from kg.queries import saved_queries  # noqa: E402

saved = {q.title: q for q in saved_queries()}
choice = st.selectbox("Requêtes enregistrées (exemples)", list(saved), key="s_example") if saved else None
if choice is not None and st.session_state.get("s_loaded") != choice:
    st.session_state["s_query"] = saved[choice].text
    st.session_state["s_loaded"] = choice
    st.session_state.pop("s_result", None)
    st.session_state.pop("s_error", None)

values: dict[str, str] = {}
if choice is not None and saved[choice].params:
    st.caption("Paramètres de la requête enregistrée (vide : valeur par défaut ou pas de filtre).")
    params = saved[choice].params
    for col, p in zip(st.columns(len(params)), params, strict=True):
        values[p.name] = col.text_input(p.name, key=f"s_param_{choice}_{p.name}",
                                        placeholder=p.default or "(tous)", help=p.help or None).strip()
query = st.text_area("Requête", key="s_query", height=300)
st.caption(f"Lecture seule · délai maximal {TIMEOUT_SECONDS} s · {MAX_ROWS} lignes au plus "
           f"(requête enregistrée non modifiée : {SAVED_TIMEOUT} s, {SAVED_MAX_ROWS} lignes).")
if st.button("Exécuter", key="s_run", type="primary"):
    from kg.facade import QueryFailed, QueryTimeout
    from kg.queries import match_saved_query
    from kg.sparql.text import bind_values

    bindings = {name: value for name, value in values.items() if value}
    limits = ({"timeout": SAVED_TIMEOUT, "max_rows": SAVED_MAX_ROWS}
              if match_saved_query(query) is not None else {})
    try:
        text = bind_values(query, bindings) if bindings else query
        answer = query_pool(TIMEOUT_SECONDS, MAX_ROWS).run(text, "json", **limits)
        st.session_state["s_result"] = (json.loads(answer.body) if "json" in answer.media_type
                                        else {"graph": answer.body.decode("utf-8")})
        st.session_state.pop("s_error", None)
    except QueryTimeout as e:
        seconds = limits.get("timeout", TIMEOUT_SECONDS)
        st.session_state["s_error"] = f"Délai dépassé ({seconds} s) : la requête a été arrêtée. ({e})"
    except QueryFailed as e:
        kind = "Requête trop volumineuse" if e.status == 413 else "Erreur dans la requête"
        st.session_state["s_error"] = f"{kind} : {e}"
    except ValueError as e:  # a parameter that cannot be bound, or an answer that is not JSON
        st.session_state["s_error"] = f"Erreur : {e}"
    except RuntimeError as e:  # kg.facade.BuildUnavailable: an incomplete build
        st.session_state["s_error"] = f"Données indisponibles : {e}"
    if "s_error" in st.session_state:
        st.session_state.pop("s_result", None)

if st.session_state.get("s_error"):
    # Shown as plain text: an error message may quote the query.
    st.error("La requête n'a pas abouti.")
    st.code(st.session_state["s_error"], language=None, wrap_lines=True)
elif result := st.session_state.get("s_result"):
    if "boolean" in result:
        st.success(f"Réponse : {'vrai' if result['boolean'] else 'faux'}")
    elif "head" in result:
        variables = result["head"]["vars"]
        rows = [{v: b.get(v, {}).get("value") for v in variables} for b in result["results"]["bindings"]]
        frame = pd.DataFrame(rows, columns=variables)
        st.caption(f"{len(frame)} ligne(s)")
        st.dataframe(frame, hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        c1.download_button("Télécharger en CSV", frame.to_csv(index=False).encode(), "resultats.csv", "text/csv",
                           key="s_csv", icon=":material/download:")
        c2.download_button("Télécharger en JSON", json.dumps(result, ensure_ascii=False, indent=1).encode(),
                           "resultats.json", "application/sparql-results+json", key="s_json",
                           icon=":material/download:")
    else:  # CONSTRUCT / DESCRIBE: a graph, shown as Turtle text
        st.caption("Résultat : un graphe (CONSTRUCT/DESCRIBE), en Turtle.")
        st.code(result["graph"][:200_000], language=None)
        st.download_button("Télécharger en Turtle", result["graph"].encode(), "resultats.ttl", "text/turtle",
                           key="s_ttl", icon=":material/download:")
