"""Records passed between the stages of contrats-kg.

Every stage hands the next one frozen dataclasses from this module, never loose dicts:
reading gives a `Document` made of `Block`s, segmentation gives `Passage`s, extraction gives
an `Extraction` holding one list per record type. Each record keeps its provenance (passage id,
page, source line) so that every fact in the graph leads back to the text it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

# --- typed identifiers -----------------------------------------------------------------------

_SIREN = re.compile(r"^\d{9}$")
_INSEE_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
# 2024 list: QN/QP + 5 digits + a letter; 2015 list: QP + 6 digits (department + rank).
_QPV = re.compile(r"^(Q[NP](?:\d{5}|02[AB]\d{2})[A-Z]|QP(?:\d{6}|02[AB]\d{3}))$")
_CONTRACT = re.compile(r"^(CN|CV)[0-9A-Z]+$")


class InvalidIdentifier(ValueError):
    """An official identifier (SIREN, INSEE, QPV or contract code) that does not have its shape."""


def _check(pattern: re.Pattern[str], value: str | None, what: str) -> str | None:
    if value is None or value == "":
        return None
    value = value.strip().upper() if what != "SIREN" else re.sub(r"\s", "", value)
    if not pattern.match(value):
        raise InvalidIdentifier(f"{what} {value!r} does not match {pattern.pattern}")
    return value


def siren(value: str | None) -> str | None:
    """A SIREN: 9 digits (spaces allowed in input, as printed in documents)."""
    return _check(_SIREN, value, "SIREN")


def insee_commune(value: str | None) -> str | None:
    """An INSEE commune code: 5 characters (Corsica: 2A/2B)."""
    return _check(_INSEE_COMMUNE, value, "INSEE commune code")


def qpv_code(value: str | None) -> str | None:
    """A QPV code: QN (metropolitan) or QP (overseas), 5 digits, a letter (2024 list), or the
    2015 list's QP + 6 digits."""
    return _check(_QPV, value, "QPV code")


def contract_code(value: str | None) -> str | None:
    """An ANCT contrat de ville code (CN… or CV…)."""
    return _check(_CONTRACT, value, "contract code")


# --- reading ---------------------------------------------------------------------------------


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    LIST_ITEM = "list_item"
    TABLE_ROW = "table_row"


@dataclass(frozen=True)
class Block:
    """A unit of text as laid out in the source, cleaned, before segmentation.

    `page` is the 1-based PDF page (None for text exports); `line_start`/`line_end` are 1-based
    lines of the source text file, or of the page for PDFs. `level` is the heading depth
    (1 = chapter) for headings, None otherwise. Table rows keep their cells separated by " | ".
    """

    text: str
    kind: BlockKind
    page: int | None
    line_start: int
    line_end: int
    level: int | None = None


@dataclass(frozen=True)
class DocumentMeta:
    """What the manifest (or, failing that, the text itself) says about a document."""

    territory: str | None = None
    territory_short: str | None = None
    siren: str | None = None
    contract_code: str | None = None
    title: str | None = None
    period_start: int | None = None
    period_end: int | None = None
    generation: str | None = None  # "2015" contract, "2019" protocol, "2024" Quartiers 2030
    source_format: str | None = None
    amends: str | None = None  # document id of the contract an annex/protocol amends
    notes: str | None = None
    from_manifest: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "siren", siren(self.siren))
        object.__setattr__(self, "contract_code", contract_code(self.contract_code))


@dataclass(frozen=True)
class Document:
    """A read document: its identity, metadata, and blocks in reading order."""

    id: str
    path: str
    sha256: str
    source_format: str  # "pdf" | "text"
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    page_count: int | None = None  # PDFs only
    ocr_pages: tuple[int, ...] = ()  # pages whose text came from OCR
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The document's record in documents.jsonl (blocks are in passages.jsonl)."""
        return {
            "id": self.id, "path": self.path, "sha256": self.sha256,
            "source_format": self.source_format, "page_count": self.page_count,
            "ocr_pages": list(self.ocr_pages), "blocks": len(self.blocks),
            "chars": len(self.text), "warnings": list(self.warnings), **asdict(self.meta),
        }

    @property
    def text(self) -> str:
        """The normalised text: blocks joined by blank lines. Passage offsets point into it."""
        return BLOCK_SEPARATOR.join(b.text for b in self.blocks)


BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Passage:
    """A citable unit of a document: one heading, paragraph, list item or table row."""

    id: str  # "<document id>#<8 hex of text hash>[-n]": stable while the passage text is
    document_id: str
    index: int  # position in the document's reading order
    text: str
    kind: BlockKind
    section_path: tuple[str, ...]  # headings above this passage, outermost first
    page: int | None
    line_start: int
    line_end: int
    char_start: int  # offsets into Document.text
    char_end: int
    heading_level: int | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = str(self.kind)
        d["section_path"] = list(self.section_path)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Passage:
        d = dict(d)
        d["kind"] = BlockKind(d["kind"])
        d["section_path"] = tuple(d["section_path"])
        return cls(**d)


# --- extracted records -----------------------------------------------------------------------


class Status(StrEnum):
    PRIORITY = "priority"  # quartier prioritaire de la politique de la ville (QPV)
    VEILLE = "veille"  # quartier de veille (active): left the priority list, still followed
    VULNERABILITE = "vulnerabilite"  # territoire de vulnérabilité / quartier vécu: not a QPV


class CommitmentKind(StrEnum):
    COMMITMENT = "commitment"  # binding: the partner will do it
    PROPOSAL = "proposal"  # non-binding proposal (workshops, citizens' ideas)


# Partner types. Kept as plain strings in records; the vocabulary lives in
# ingest/data/organisations.yaml and ontology/contrats.ttl.
PARTNER_TYPES = (
    "state", "epci", "commune", "department", "region", "caf", "cpam", "france_travail",
    "mission_locale", "social_landlord", "caisse_des_depots", "bpifrance", "chamber",
    "association", "other_public", "company", "other",
)


@dataclass(frozen=True)
class Provenance:
    passage_id: str
    page: int | None = None
    line: int | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> Provenance:
        d = d or {}
        return cls(d.get("passage_id") or "", d.get("page"), d.get("line"))


def _provenances(items: list[dict[str, Any]] | None) -> tuple[Provenance, ...]:
    return tuple(Provenance.from_json(p) for p in items or ())


@dataclass(frozen=True)
class Territory:
    name: str
    short_name: str | None = None
    siren: str | None = None
    contract_code: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "siren", siren(self.siren))
        object.__setattr__(self, "contract_code", contract_code(self.contract_code))


@dataclass(frozen=True)
class Neighbourhood:
    name: str
    aliases: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    code: str | None = None  # QN…/QP… when written in the text or linked from the reference
    status: Status = Status.PRIORITY
    insee_codes: tuple[str, ...] = ()  # from reference linking
    official_name: str | None = None  # from reference linking
    provenance: tuple[Provenance, ...] = ()
    confidence: float | None = None  # how sure extraction is that this is one of the contract's QPV
    code_2015: tuple[str, ...] = ()  # 2015 QPV (QP…) this 2024 QPV continues, from the ANCT correspondence
    # Set by researchers' review (kg.review.apply), never by extraction: confirmed | corrected, who
    # reviewed it, and the machine's name (the fact a corrected one revises).
    review_status: str | None = None
    reviewers: tuple[str, ...] = ()
    revises: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", qpv_code(self.code))
        object.__setattr__(self, "insee_codes", tuple(insee_commune(c) for c in self.insee_codes))


@dataclass(frozen=True)
class Organisation:
    """A real-world body, resolved through the gazetteer: one id across all contracts."""

    id: str  # deterministic slug, e.g. "caf-nord", "commune-maubeuge", "prefecture-nord"
    name: str  # canonical name
    type: str  # one of PARTNER_TYPES
    aliases: tuple[str, ...] = ()  # forms seen in the text
    siren: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "siren", siren(self.siren))


@dataclass(frozen=True)
class Signatory:
    organisation: Organisation
    person: str | None = None
    role: str | None = None  # "Le Maire", "Le Préfet", "Le Président"…
    provenance: tuple[Provenance, ...] = ()
    confidence: float | None = None
    # Set by researchers' review (kg.review.apply), never by extraction: confirmed | corrected, who
    # reviewed it, and the machine's organisation id (the fact a corrected one revises).
    review_status: str | None = None
    reviewers: tuple[str, ...] = ()
    revises: str | None = None


@dataclass(frozen=True)
class Objective:
    label: str
    code: str | None = None
    level: str = "strategic"  # strategic | operational | general | other
    children: tuple[Objective, ...] = ()
    themes: tuple[str, ...] = ()  # theme ids (ingest/data/themes.yaml)
    provenance: tuple[Provenance, ...] = ()
    # "o2.1.3": its place in the extraction's tree (orientation 2, its first objective, that one's
    # third), unique within a document, so that a record names it without its label, which a
    # contract repeats under several orientations. None in extractions made before ids existed.
    id: str | None = None

    @classmethod
    def from_json(cls, o: dict[str, Any]) -> Objective:
        """One objective with its children, from the JSON of `contrats extract`
        (ingest/extract/to_json.py) or a gold file's (whose objectives carry a `line` instead of a
        provenance)."""
        return cls(label=o["label"], code=o.get("code"), level=o.get("level") or "strategic",
                   children=tuple(cls.from_json(c) for c in o.get("children") or ()),
                   themes=tuple(o.get("themes") or ()), provenance=_provenances(o.get("provenance")),
                   id=o.get("id"))


@dataclass(frozen=True)
class Orientation:
    label: str
    number: str | None = None
    aliases: tuple[str, ...] = ()
    objectives: tuple[Objective, ...] = ()
    themes: tuple[str, ...] = ()
    provenance: tuple[Provenance, ...] = ()
    id: str | None = None  # "o2": the orientation's place in the extraction (see Objective.id)

    @classmethod
    def from_json(cls, o: dict[str, Any]) -> Orientation:
        """One orientation with its objective tree, from the JSON of `contrats extract` or a gold
        file's: here, with the records, so that the views walk the typed tree without importing
        the extraction stage."""
        return cls(label=o["label"], number=o.get("number"), aliases=tuple(o.get("aliases") or ()),
                   objectives=tuple(Objective.from_json(ob) for ob in o.get("objectives") or ()),
                   themes=tuple(o.get("themes") or ()), provenance=_provenances(o.get("provenance")),
                   id=o.get("id"))

    def walk(self) -> Iterator[StrategyStep]:
        """Every objective under this orientation, depth first, each before its children, with
        where it hangs: the one walk of the objective tree (`walk_strategy` walks several)."""
        stack: list[tuple[Objective, Objective | None, int]] = [(ob, None, 0) for ob in reversed(self.objectives)]
        while stack:
            objective, parent, depth = stack.pop()
            yield StrategyStep(objective, self, parent, depth)
            stack.extend((child, objective, depth + 1) for child in reversed(objective.children))


@dataclass(frozen=True)
class StrategyStep:
    """One objective met by `walk_strategy`, with where it hangs."""

    objective: Objective
    orientation: Orientation
    parent: Objective | None  # None: directly under the orientation
    depth: int  # 0 under the orientation


def walk_strategy(orientations: Iterable[Orientation]) -> Iterator[StrategyStep]:
    """Every objective of `orientations`, in their order, each orientation's walked by
    `Orientation.walk`: the extractor's index, the graph, the search records and the app all
    take it, so that they meet the objectives in the same order."""
    for orientation in orientations:
        yield from orientation.walk()


@dataclass(frozen=True)
class Commitment:
    id: str  # "<document id>/c<n>"
    partner: Organisation
    text: str
    kind: CommitmentKind = CommitmentKind.COMMITMENT
    orientation: str | None = None  # orientation label
    objective: str | None = None  # objective label
    neighbourhoods: tuple[str, ...] = ()  # neighbourhood names; empty = all
    themes: tuple[str, ...] = ()
    provenance: Provenance = field(default_factory=lambda: Provenance(""))
    confidence: float | None = None  # probability that the unit is a commitment (learned model)
    partner_confidence: float | None = None  # probability that the partner is the right one
    # Set by researchers' review (kg.review.apply), never by extraction: confirmed | corrected | added,
    # who reviewed it, and the machine commitment a corrected one revises.
    review_status: str | None = None
    reviewers: tuple[str, ...] = ()
    revises: str | None = None
    # The ids (Orientation.id, Objective.id) of the orientation and objective its labels name;
    # None when it names none, or when the record comes from before ids (or from a review that
    # restores it without its extraction's tree): the graph then joins by label.
    orientation_id: str | None = None
    objective_id: str | None = None


@dataclass(frozen=True)
class Indicator:
    text: str
    orientation: str | None = None
    commitment: str | None = None  # commitment id
    provenance: Provenance = field(default_factory=lambda: Provenance(""))
    confidence: float | None = None
    # Set by researchers' review (kg.review.apply), never by extraction: confirmed | corrected, who
    # reviewed it, and the machine's text (the fact a corrected one revises).
    review_status: str | None = None
    reviewers: tuple[str, ...] = ()
    revises: str | None = None
    # "<document id>/i<n>": given by the JSON writer (the indicator's position) and kept by
    # review, so that rejecting one indicator does not renumber the others' graph nodes.
    id: str | None = None
    # As Commitment's: the orientation its `orientation` label names, and the objective it sits under.
    orientation_id: str | None = None
    objective_id: str | None = None


@dataclass(frozen=True)
class Extraction:
    """Everything extracted from one document."""

    document: Document
    territory: Territory
    neighbourhoods: tuple[Neighbourhood, ...] = ()
    signatories: tuple[Signatory, ...] = ()
    partners: tuple[Organisation, ...] = ()
    orientations: tuple[Orientation, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    warnings: tuple[str, ...] = ()
    # Units the model leans towards calling commitments without reaching the threshold: kept for
    # review with their confidence, never silently dropped, and not counted as commitments.
    uncertain_commitments: tuple[Commitment, ...] = ()
