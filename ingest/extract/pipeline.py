"""The extraction stage: one document's passages in, one `Extraction` out.

Each record type has its own module; this one only runs them in dependency order (territory ->
neighbourhoods -> structure -> partners/commitments -> indicators) and collects the partners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ingest.model import Document, Extraction, Organisation, Passage


def extract(document: Document, passages: Sequence[Passage],
            reference_csv: Path | None = None, model=None, use_model: bool = True,
            signatory_model=None) -> Extraction:
    """Extract every record type from one document.

    `reference_csv` (a QPV table in the format of reference/qpv_2024_communes.csv) links
    neighbourhoods to official codes and INSEE communes when given. Commitments and indicators
    are decided by the learned model (`model`, else the one shipped in ingest/data/); with
    `use_model=False`, or when no model is shipped, by the round-1 rules. Signatories likewise:
    the learned reader (`signatory_model`, else ingest/data/signatory_model.json) over the rules'
    candidates, or the rules alone.
    """
    from ingest.extract.linear_model import shipped_model

    if model is None and use_model:
        model = shipped_model()
    from ingest.extract.commitments import extract_commitments
    from ingest.extract.indicators import extract_indicators
    from ingest.extract.organisations import OrganisationResolver, departments_of
    from ingest.extract.signatories import extract_signatories
    from ingest.extract.strategy_index import StructureIndex, strategy_labels
    from ingest.extract.structure import extract_orientations
    from ingest.extract.territory import extract_territory

    warnings: list[str] = []
    territory = extract_territory(document, passages)
    neighbourhoods, unmatched = linked_neighbourhoods(document, passages, territory, reference_csv)
    warnings.extend(f"{document.id}: {line}" for line in unmatched)
    resolver = OrganisationResolver(departments=departments_of(territory, passages), epci=territory)
    orientations = extract_orientations(document, passages)
    structure = StructureIndex(orientations, passages)
    if use_model:
        from ingest.extract.signatory_reader import extract_signatories_learned

        signatories = extract_signatories_learned(document, passages, resolver, signatory_model)
    else:
        signatories = extract_signatories(document, passages, resolver)
    names = tuple(n for nb in neighbourhoods for n in (nb.name, *nb.aliases))
    uncertain: list = []
    if model is not None:
        from ingest.extract.learned import LearnedExtractor

        views = unit_views(document, passages, territory, neighbourhoods, model.sentence_weight)
        commitments, indicators, uncertain = LearnedExtractor(
            model, document, views, structure.locate, neighbourhood_names=names).run()
    else:
        commitments = extract_commitments(
            document, passages, resolver, locate=structure.locate, neighbourhood_names=names,
            commune_names=tuple(dict.fromkeys([*(c for nb in neighbourhoods for c in nb.communes),
                                               *(s.organisation.name for s in signatories
                                                 if s.organisation.type == "commune")])),
            strategy_labels=strategy_labels(orientations),
        )
        indicators = extract_indicators(document, passages, commitments, locate=structure.locate)
    # The extractors say where a record sits by label; the ids say it without the ambiguity of a
    # label repeated under several orientations (StructureIndex.with_ids).
    commitments, indicators = structure.with_ids(commitments), structure.with_ids(indicators)
    uncertain = structure.with_ids(uncertain)
    if not commitments:
        # Said, not left to be guessed from an empty list: a contract without any commitment is
        # rare enough that a researcher should check the document (a scan, an annex, a diagnosis).
        warnings.append(f"{document.id}: no commitment found"
                        + (f" ({len(uncertain)} uncertain ones kept for review)" if uncertain else ""))
    return Extraction(
        document=document,
        territory=territory,
        neighbourhoods=tuple(neighbourhoods),
        signatories=tuple(signatories),
        partners=tuple(_partners(c.partner for c in commitments)),
        orientations=tuple(orientations),
        commitments=tuple(commitments),
        indicators=tuple(indicators),
        warnings=tuple(warnings),
        uncertain_commitments=tuple(uncertain),
    )


def linked_neighbourhoods(document: Document, passages: Sequence[Passage], territory,
                          reference_csv: Path | None) -> tuple[list, list[str]]:
    """The document's neighbourhoods, linked to the QPV table when there is one, and the mentions
    left unlinked. Training featurises its documents through this too (ingest/training/extraction.py):
    the communes of the places feed the actor candidates, and a model that learnt them without the
    table would read them differently in a build."""
    from ingest.extract.neighbourhoods.find import extract_neighbourhoods

    neighbourhoods = extract_neighbourhoods(document, passages, territory, reference_csv)
    if reference_csv is None or not reference_csv.exists():
        return neighbourhoods, []
    from ingest.extract.neighbourhoods.reference_link import generation_of, link_neighbourhoods

    linked, unmatched = link_neighbourhoods(neighbourhoods, territory, reference_csv, generation=generation_of(document))
    return linked, list(unmatched)


def units_resolver(document: Document, passages: Sequence[Passage], territory):
    """The organisation resolver the learned extractor reads units with, built as training builds
    it (ingest/training/extraction.py): every short form learnt from the whole text, in reading
    order, before the walk, and nothing learnt after (answers do not depend on the order of calls).
    Not the signatories' resolver, which has read the signature block first."""
    from ingest.extract.organisations import OrganisationResolver, departments_of

    resolver = OrganisationResolver(departments=departments_of(territory, passages), epci=territory)
    resolver.learn(passages)
    return resolver


def unit_views(document: Document, passages: Sequence[Passage], territory, neighbourhoods,
               sentence_weight: float = 0.0) -> list:
    """Every unit of the document with its features and actor candidates: what the learned model
    reads in a build, and what it learns from in training (ingest/training/extraction.py's
    `prepare` calls this with the same inputs, so that a feature means the same in both)."""
    from ingest.extract.unit_features import UnitFeaturizer
    from ingest.units import units_of

    return UnitFeaturizer(units_resolver(document, passages, territory), place_communes=place_communes(neighbourhoods),
                          sentence_weight=sentence_weight).views(units_of(passages))


def place_communes(neighbourhoods) -> dict[str, str]:
    """Folded neighbourhood name -> its commune, for neighbourhoods in a single commune."""
    from ingest.normalise import fold

    out = {}
    for nb in neighbourhoods:
        if len(nb.communes) == 1:
            for name in (nb.name, *nb.aliases):
                out[fold(name)] = nb.communes[0]
    return out


def _partners(organisations) -> list[Organisation]:
    """One Organisation per id, with every alias seen for it."""
    merged: dict[str, Organisation] = {}
    for org in organisations:
        if org.id in merged:
            seen = merged[org.id]
            aliases = tuple(dict.fromkeys((*seen.aliases, *org.aliases)))
            merged[org.id] = replace(seen, aliases=aliases)
        else:
            merged[org.id] = org
    return sorted(merged.values(), key=lambda o: (o.type, o.name))
