"""Cross-territory comparison: every territory gets its column, and an empty one says so.

A comparison that silently drops a territory with no answer misleads, so each function returns
one entry per territory asked for (all of them by default), with `found=False` when nothing
passes the relevance floor.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kg.search.index import IndexRecord
from kg.search.searcher import Filters, Searcher, SearchResult


@dataclass(frozen=True)
class Column:
    territory: str
    results: tuple[SearchResult, ...] = ()
    note: str = ""

    @property
    def found(self) -> bool:
        return bool(self.results)

    def to_json(self) -> dict:
        return {"territory": self.territory, "found": self.found, "note": self.note,
                "results": [r.to_json() for r in self.results]}


def territories(records: Sequence[IndexRecord]) -> list[str]:
    return sorted({r.territory for r in records if r.territory})


def _relevant(result: SearchResult, floor: float) -> bool:
    """A hit answers when it shares a term with the question or is close enough on the encoder's
    own cosine scale (kg.search.encoder.DENSE_FLOORS)."""
    return result.lexical > 0 or result.dense >= floor


def compare_query(searcher: Searcher, query: str, among: Sequence[str] = (), k: int = 3,
                  record_types: Sequence[str] = (), generations: Sequence[str] = ()) -> list[Column]:
    """The best `k` answers to `query` in each territory."""
    columns = []
    for territory in among or territories(searcher.index.records):
        filters = Filters(territories=(territory,), record_types=tuple(record_types),
                          generations=tuple(generations))
        hits = [h for h in searcher.search(query, k=k, filters=filters, understand=False) if _relevant(h, searcher.encoder.floor)]
        columns.append(Column(territory, tuple(hits), "" if hits else "rien trouvé / nothing found"))
    return columns


def similar_commitments(searcher: Searcher, commitment_id: str, k: int = 3,
                        among: Sequence[str] = ()) -> tuple[IndexRecord, list[Column]]:
    """For one commitment, the most similar commitments in every other territory."""
    source = next((r for r in searcher.index.records if r.id == commitment_id and r.record_type == "commitment"),
                  None)
    if source is None:
        raise KeyError(f"no commitment {commitment_id!r} in the index")
    others = [t for t in (among or territories(searcher.index.records)) if t != source.territory]
    columns = compare_query(searcher, source.text, others, k=k, record_types=("commitment",))
    return source, columns


def partner_commitments(records: Sequence[IndexRecord], partner: str, among: Sequence[str] = ()) -> list[Column]:
    """One partner's commitments in each territory (partner by name substring or organisation id)."""
    needle = partner.lower()
    by_territory: dict[str, list[SearchResult]] = defaultdict(list)
    for r in records:
        if r.record_type != "commitment":
            continue
        if needle in (r.partner or "").lower() or needle == (r.partner_id or "").lower():
            by_territory[r.territory or "?"].append(SearchResult(r, 1.0))
    return [Column(t, tuple(by_territory.get(t, ())), "" if by_territory.get(t) else "rien trouvé / nothing found")
            for t in (among or territories(records))]


@dataclass
class ThemeMatrix:
    territories: list[str]
    themes: list[str]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    top: dict[tuple[str, str], list[IndexRecord]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "territories": self.territories, "themes": self.themes,
            "counts": {t: {th: self.counts.get((t, th), 0) for th in self.themes} for t in self.territories},
            "top": {t: {th: [r.text for r in self.top.get((t, th), [])] for th in self.themes}
                    for t in self.territories},
        }


def theme_matrix(records: Sequence[IndexRecord], theme_ids: Sequence[str],
                 record_types: Sequence[str] = ("commitment",), top: int = 3,
                 among: Sequence[str] = ()) -> ThemeMatrix:
    """Territory x theme counts of commitments (or objectives), with a few examples per cell."""
    matrix = ThemeMatrix(list(among or territories(records)), list(theme_ids))
    counts: Counter[tuple[str, str]] = Counter()
    for r in records:
        if r.record_type not in record_types or r.territory not in matrix.territories:
            continue
        for theme in r.themes:
            counts[(r.territory, theme)] += 1
            matrix.top.setdefault((r.territory, theme), [])
            if len(matrix.top[(r.territory, theme)]) < top:
                matrix.top[(r.territory, theme)].append(r)
    matrix.counts = dict(counts)
    return matrix


# Commitments per (territory, theme) from the comparison cube the build made (kg.graph.cube): a few
# hundred observations, whatever the size of the graph.
THEME_COUNTS = """
PREFIX ckg: <https://w3id.org/contrats-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb: <http://purl.org/linked-data/cube#>
SELECT ?name ?theme (SUM(?n) AS ?count) WHERE {
  ?obs qb:measureType ckg:commitmentCount ; ckg:refPartnerType ckg:allPartnerTypes ; ckg:refTheme ?themeNode ;
       ckg:refTerritory ?t ; ckg:refGeneration ?g ; ckg:commitmentCount ?n .
  ?themeNode a ckg:Theme ; skos:notation ?theme .
  { SELECT ?t (MIN(STR(?label)) AS ?name) WHERE { ?t a ckg:Territory ; skos:prefLabel ?label } GROUP BY ?t }
  FILTER(!BOUND(?generation) || STR(?g) = STR(?generation))
}
GROUP BY ?name ?theme
"""


def theme_counts(store, names: Mapping[str, str] | None = None,
                 generation: str | None = None) -> dict[tuple[str, str], int]:
    """(territory, theme id) -> commitments, read from the build's comparison counts. Territories
    come by their name (skos:prefLabel); `names` renames them (to the index's short names: a
    territory's skos:altLabels also hold the aliases it has as an organisation)."""
    names = names or {}
    bindings = {"generation": generation} if generation else None
    counts: dict[tuple[str, str], int] = {}
    for name, theme, n in store.query(THEME_COUNTS, bindings).values():
        key = (names.get(name, name), theme)
        counts[key] = counts.get(key, 0) + int(n)
    return counts


def territory_documents(records: Sequence[IndexRecord], territory: str) -> list[dict]:
    """One territory's documents side by side (2015 contract, 2019 protocol, 2024 contract)."""
    docs: dict[str, dict] = {}
    for r in records:
        if territory.lower() not in {(r.territory or "").lower(), (r.territory_name or "").lower()}:
            continue
        d = docs.setdefault(r.document, {"document": r.document, "generation": r.generation,
                                         "passages": 0, "commitments": 0, "objectives": 0,
                                         "partners": Counter(), "themes": Counter()})
        if r.record_type == "passage":
            d["passages"] += 1
        elif r.record_type == "commitment":
            d["commitments"] += 1
            d["partners"][r.partner] += 1
            d["themes"].update(r.themes)
        else:
            d["objectives"] += 1
            d["themes"].update(r.themes)
    out = []
    for d in sorted(docs.values(), key=lambda d: (d["generation"] or "", d["document"])):
        out.append({**d, "partners": dict(d["partners"].most_common()), "themes": dict(d["themes"].most_common())})
    return out
