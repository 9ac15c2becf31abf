"""The SKOS theme scheme (ontology/themes.ttl), generated from ingest/data/themes.yaml.

The YAML file is the one place where themes are defined (the extractor reads its cues); the
Turtle file publishes the same ids and labels for the graph. Regenerate after editing the YAML:

    python -m kg.graph.themes_scheme            # rewrites ontology/themes.ttl
    python -m kg.graph.themes_scheme --check    # exit 1 when the file is out of date (tests do this)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from ingest.resources import DATA_DIR
from kg.graph.uris import BASE, ONTOLOGY, THEME_SCHEME, theme_uri
from kg.shipped import ONTOLOGY_DIR

THEMES_YAML = DATA_DIR / "themes.yaml"
THEMES_TTL = ONTOLOGY_DIR / "themes.ttl"


def load_themes(path: Path = THEMES_YAML) -> list[dict]:
    """The themes of the YAML file, in file order: each with id, fr and en labels."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{"id": t["id"], "fr": t["fr"], "en": t["en"]} for t in data["themes"]]


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def themes_turtle(themes: list[dict]) -> str:
    """Turtle for the scheme, written by hand (not by rdflib) so the file is stable and readable."""
    lines = [
        "# The shared theme scheme of contrats-kg. GENERATED from ingest/data/themes.yaml by",
        "# `python -m kg.graph.themes_scheme`: edit the YAML, not this file.",
        "",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        f"@prefix ckg: <{ONTOLOGY}> .",
        "",
        f"<{THEME_SCHEME}> a skos:ConceptScheme ;",
        '    rdfs:label "Thèmes des contrats de ville"@fr , "Urban-policy contract themes"@en ;',
        '    skos:definition "Thèmes de politique publique communs à tous les contrats, attribués aux '
        'engagements et objectifs par dcterms:subject."@fr ,',
        '        "Public-policy themes shared by all contracts, given to commitments and objectives '
        'with dcterms:subject."@en ;',
        "    skos:hasTopConcept " + " ,\n        ".join(f"<{theme_uri(t['id'])}>" for t in themes) + " .",
    ]
    for t in themes:
        lines += [
            "",
            f"<{theme_uri(t['id'])}> a skos:Concept , ckg:Theme ;",
            f"    skos:inScheme <{THEME_SCHEME}> ; skos:topConceptOf <{THEME_SCHEME}> ;",
            f"    skos:notation {_literal(t['id'])} ;",
            f"    skos:prefLabel {_literal(t['fr'])}@fr , {_literal(t['en'])}@en .",
        ]
    return "\n".join(lines) + "\n"


def write_themes_scheme(yaml_path: Path = THEMES_YAML, ttl_path: Path = THEMES_TTL) -> bool:
    """Rewrite the Turtle file; True when it changed."""
    text = themes_turtle(load_themes(yaml_path))
    if ttl_path.exists() and ttl_path.read_text(encoding="utf-8") == text:
        return False
    ttl_path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        current = THEMES_TTL.read_text(encoding="utf-8") if THEMES_TTL.exists() else ""
        if current != themes_turtle(load_themes()):
            print(f"{THEMES_TTL} is out of date: run python -m kg.graph.themes_scheme", file=sys.stderr)
            return 1
        return 0
    changed = write_themes_scheme()
    print(f"{THEMES_TTL} {'written' if changed else 'unchanged'} (base {BASE})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
