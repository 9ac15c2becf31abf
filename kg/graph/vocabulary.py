"""Labels of the controlled vocabularies, in French or English: partner types and themes.

Partner types are SKOS concepts of the ontology (ontology/contrats.ttl, `skos:notation` ->
`skos:prefLabel`); themes come from the scheme's source, ingest/data/themes.yaml. Read once per
process; an unknown id is shown as itself, readably.
"""

from __future__ import annotations

from functools import cache

from kg.shipped import ONTOLOGY_DIR

ONTOLOGY = ONTOLOGY_DIR / "contrats.ttl"


@cache
def partner_type_labels(lang: str = "fr") -> dict[str, str]:
    import rdflib
    from rdflib.namespace import SKOS

    g = rdflib.Graph().parse(ONTOLOGY, format="turtle")
    labels = {}
    for concept, notation in g.subject_objects(SKOS.notation):
        if "/partner-type/" in str(concept):
            names = [str(x) for x in g.objects(concept, SKOS.prefLabel) if getattr(x, "language", None) == lang]
            if names:
                labels[str(notation)] = names[0]
    return labels


@cache
def theme_labels(lang: str = "fr") -> dict[str, str]:
    from kg.graph.themes_scheme import load_themes

    return {t["id"]: t.get(lang) or t["id"] for t in load_themes()}


def partner_type_label(type_id: str | None, lang: str = "fr") -> str:
    if not type_id:
        return ""
    return partner_type_labels(lang).get(type_id, type_id.replace("_", " "))


def theme_label(theme_id: str, lang: str = "fr") -> str:
    return theme_labels(lang).get(theme_id, theme_id.replace("_", " "))
