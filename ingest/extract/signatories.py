"""Signatories: the bodies that sign the contract, with the signing person and role when written.

Two sources, both recognised by the genre rather than by one contract's wording:
- signature blocks, after a "Signataires" / "Fait à … le …" marker: a role line ("Monsieur le
  Maire de / FEIGNIES", "Pour l'État, le Préfet du Nord", a table row of such cells) followed by
  the person's name ("Patrick LEDUC"); delegations ("Pour le Président et par délégation, …") do
  not replace the person who signs;
- a sentence listing the signatories ("L'ensemble des signataires suivants … : l'Etat, la Région…").
Never used: attendance lists and committee compositions (no signature marker), and generic lists
copied from a national circular (addressed to "vous", the prefects).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ingest.extract.gazetteer import PROPER_NAME, proper_case, slug
from ingest.extract.organisations import OrganisationResolver
from ingest.model import BlockKind, Document, Organisation, Passage, Provenance, Signatory

_MARKER = re.compile(
    r"^\s*(?:[IVX\d]+\s*[.)•\-–]\s*)?(?i:(?:les\s+|liste\s+des\s+)?signataires|signatures?\b|"
    r"fait\s+[àa]\s|sign[ée]\s+[àa]\s|entre\s+les\s+soussign[ée]s|entre\s*:)")
# "La Caf du Nord, représentée par sa directrice, Madame Audrey MARTIN" (a contract's preamble).
_REPRESENTED = re.compile(r"(?i:,?\s*repr[ée]sent[ée]e?s?\s+par\b)")
_PLACE_DATE = re.compile(r"^\s*(?:[AÀ]|Fait\s+[àa])\s+[A-Z][\w\-]+(?:\s*,)?\s+(?:le\b|l['’]|\d)")
_ROLES = (r"pr[ée]f[eè]te?s?(?:\s+d[ée]l[ée]gu[ée]e?)?|sous[\s\-]pr[ée]f[eè]te?|pr[ée]sidente?|vice[\s\-]pr[ée]sidente?|"
          r"maire|adjointe?\s+au\s+maire|directeur|directrice|procureure?|recteur|rectrice|"
          r"d[ée]l[ée]gu[ée]e?|secr[ée]taire\s+g[ée]n[ée]ral(?:e)?|g[ée]rante?|administrat(?:eur|rice)|"
          r"conseill(?:er|[eè]re)|repr[ée]sentante?|chef|commandant|colonel|g[ée]n[ée]ral")
_ROLE_LINE = re.compile(
    rf"^\s*[*•\-–]?\s*(?i:pour\s+)?(?i:(?:monsieur|madame|m\.|mme)\s+)?(?i:(?:le|la|l['’])\s*)?"
    rf"(?P<role>(?i:{_ROLES}))(?![\w])")
_FOR_BODY = re.compile(r"^\s*(?i:pour\s+)(?:l['’]\s*|la\s+|le\s+|les\s+)?(?=[A-ZÉÈ])")
_DELEGATION = re.compile(r"(?i:par\s+d[ée]l[ée]gation|par\s+int[ée]rim|pour\s+(?:le|la)\s+\w+\s+et\s+par)")
# "Virginie LASSERRE", "Monsieur Jean-René LECERF", "Audrey MATHON-DEBETENCOURT", "Yannick DA COSTA".
_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_PERSON = re.compile(
    rf"^\s*(?:(?:Monsieur|Madame|M\.|Mme)\s+)?(?P<person>[{_UPPER}][a-zà-öø-ÿ]+(?:-[{_UPPER}][a-zà-öø-ÿ]+)?"
    rf"(?:\s+[{_UPPER}][a-zà-öø-ÿ]+)?\s+(?:[{_UPPER}][{_UPPER}'’\-]+)(?:\s+[{_UPPER}][{_UPPER}'’\-]+)*)\s*$")
# The same name at the end of a role line: "Le Préfet du Nord, Georges DUPONT".
_PERSON_AT_END = re.compile(_PERSON.pattern.replace(r"^\s*", r"(?:,\s*|\s+[-–]\s*)", 1))
_PERSON_IN_TEXT = re.compile(_PERSON.pattern.replace(r"^\s*", r"(?<![\w])", 1).replace(r"\s*$", r"(?![\w])", 1))
_LIST_SENTENCE = re.compile(r"(?i:signataires?\b[^.:]{0,160}:)")
_THIS_CONTRACT = re.compile(r"(?i:contrat|protocole|pr[ée]sent\s+(?:document|avenant|acte))")
_CIRCULAR = re.compile(r"(?i:\bvous\b|\bvos\b|il\s+vous\s+appartient)")
_BODY_AFTER_ROLE = re.compile(
    rf"(?i:de\s+la\s+|de\s+l['’]\s*|du\s+|des\s+|de\s+|d['’]\s*)(?P<name>{PROPER_NAME})\s*$")

_ZONE_PASSAGES = 160  # a signature zone is a few pages at most
_LONG_PARAGRAPH = 300  # prose: the signature zone has ended


def _cells(p: Passage) -> list[str]:
    if p.kind == BlockKind.TABLE_ROW:
        return [c.strip() for c in p.text.split(" | ") if c.strip()]
    return [p.text.strip()]


def _fallback(role_text: str) -> Organisation | None:
    """A body the gazetteer does not know, named in capitals after its role ("Président de SAMBRE MOBILITÉS")."""
    m = _BODY_AFTER_ROLE.search(role_text)
    if m is None:
        return None
    name = proper_case(m.group("name").strip())
    kind = "association" if re.search(r"(?i)\bassociation\b", name) else "other_public"
    return Organisation(id=slug(name), name=name, type=kind, aliases=(m.group("name").strip(),))


_TRAILING_PLACE = re.compile(rf"\s+(?:de\s+la|de\s+l['’]|de|du|d['’])\s*[{_UPPER}][\w'’\- ]*$")
_ROLE_WORD = re.compile(rf"(?<![\w])(?P<role>(?i:{_ROLES}))(?![\w])")
_TRAILING_CAPS = re.compile(rf"(?:\s+[{_UPPER}][{_UPPER}'’\-]+)+$")
_TRAILING_ARTICLE = re.compile(r"\s*(?i:de\s+la|de\s+l['’]|du|des|de|d['’])\s*$")


def _role(text: str, mention_starts: list[int]) -> str | None:
    """'Monsieur le Maire de FEIGNIES' -> 'Maire'; the role is what comes before the body's name."""
    m = _ROLE_LINE.match(text) or _ROLE_WORD.search(text)
    if m is None:
        return None
    start = m.start("role")
    later = [s for s in mention_starts if s > start]
    role = text[start:later[-1]] if later else text[start:]
    role = _TRAILING_CAPS.sub("", role.strip(" ,*"))
    role = _TRAILING_PLACE.sub("", role.strip(" ,*"))
    role = _TRAILING_ARTICLE.sub("", role).strip(" ,*")
    return role[:1].upper() + role[1:] if role else None


class _Block:
    def __init__(self, organisation: Organisation, role: str | None, passage: Passage,
                 delegated: bool) -> None:
        self.organisation = organisation
        self.role = role
        self.person: str | None = None
        self.passage = passage
        self.delegated = delegated  # "Pour le Président …, le Vice-Président délégué"

    def signatory(self) -> Signatory:
        return Signatory(organisation=self.organisation, person=self.person, role=self.role,
                         provenance=(Provenance(self.passage.id, self.passage.page, self.passage.line_start),))


def _signature_blocks(passages: Sequence[Passage], resolver: OrganisationResolver) -> list[_Block]:
    blocks: list[_Block] = []
    zone_left = 0
    current: _Block | None = None
    pending: str | None = None  # a role line whose body is named on the next line
    row_blocks: list[_Block | None] = []  # the blocks of the last table row, by column
    for p in passages:
        text = p.text.strip()
        if (_MARKER.match(text) and len(text) < 120) or (_PLACE_DATE.match(text) and len(text) < 80):
            zone_left = _ZONE_PASSAGES
            continue
        if zone_left <= 0:
            continue
        zone_left -= 1
        if len(text) > _LONG_PARAGRAPH and p.kind != BlockKind.TABLE_ROW:
            zone_left, current = 0, None
            continue
        if _DELEGATION.search(text):
            continue  # "Pour le Président et par délégation, X": X does not replace the signatory
        cells = _cells(p)
        if len(cells) > 1 and len(row_blocks) == len(cells) and all(_PERSON.match(c) for c in cells):
            # A table of signatures: the row of names under the row of roles, column by column.
            for block, cell in zip(row_blocks, cells, strict=True):
                if block is not None and block.person is None:
                    block.person = _PERSON.match(cell).group("person")
            row_blocks = []
            continue
        row_blocks = []
        for cell in cells:
            block = None
            if pending is not None:
                block = _role_block(f"{pending} {cell}", p, resolver)
                pending = None
            block = block or _role_block(cell, p, resolver)
            row_blocks.append(block)
            if block is not None:
                zone_left = _ZONE_PASSAGES
                if current is not None and current.person is None and current.organisation.id == block.organisation.id:
                    current.role = current.role or block.role  # "Pour l'État," / "le Préfet du Nord"
                    continue
                blocks.append(block)
                current = block
                continue
            if _ROLE_LINE.match(cell) and len(cell) < 160:
                if current is not None and current.person is None and current.role is None:
                    current.role = _role(cell, [])  # "Pour la Ville de X" / "Le Maire"
                pending = cell  # or "Monsieur le Président de la" / next line: the body's name
                continue
            person = _PERSON.match(cell)
            if person and current is not None and current.person is None:
                current.person = person.group("person")
    return blocks


def _role_block(cell: str, p: Passage, resolver: OrganisationResolver) -> _Block | None:
    role_line = _ROLE_LINE.match(cell)
    for_body = _FOR_BODY.match(cell)
    represented = _REPRESENTED.search(cell)
    if represented is not None and role_line is None and for_body is None:
        found = resolver.find(cell[:represented.start()])
        if not found:
            return None
        _, _, org = max(found, key=lambda f: (f[1] - f[0], -f[0]))
        block = _Block(org, _role(cell[represented.end():], []), p, delegated=False)
        person = _PERSON_IN_TEXT.search(cell[represented.end():])
        block.person = person.group("person") if person else None
        return block
    if role_line is None and for_body is None:
        return None
    found = resolver.find(cell)
    org = None
    if found:
        # The body of the line: the longest mention ("Préfète … PREFECTURE DU NORD").
        _, _, org = max(found, key=lambda f: (f[1] - f[0], -f[0]))
    elif role_line is not None:
        org = _fallback(cell)
    if org is None:
        return None
    role = _role(cell, [f[0] for f in found])
    delegated = bool(re.match(r"(?i)\s*pour\s+(?:monsieur|madame)", cell))
    block = _Block(org, role, p, delegated)
    if (person := _PERSON_AT_END.search(cell)) is not None:
        block.person = person.group("person")
    return block


def _listed(passages: Sequence[Passage], resolver: OrganisationResolver) -> list[Signatory]:
    """Signatories named in a sentence: "L'ensemble des signataires suivants … : l'Etat, la Région, …"."""
    out: list[Signatory] = []
    for p in passages:
        m = _LIST_SENTENCE.search(p.text)
        if m is None or _CIRCULAR.search(p.text):
            continue
        # The signatories of this contract, not of another convention the text mentions.
        if not _THIS_CONTRACT.search(p.text[max(0, m.start() - 120):m.end()]):
            continue
        tail = p.text[m.end():]
        tail = tail.split(". ")[0]
        found = resolver.find(tail)
        if len(found) < 3:
            continue
        for _, _, org in found:
            out.append(Signatory(organisation=org, provenance=(Provenance(p.id, p.page, p.line_start),)))
    return out


def _better(a: _Block, b: _Block) -> _Block:
    """Of two blocks for one body, the head of the body signs (not a vice-president or a delegate)."""
    def weak(x: _Block) -> bool:
        return x.delegated or bool(x.role and re.search(r"(?i)vice|adjoint|d[ée]l[ée]gu", x.role))
    if weak(a) and not weak(b):
        return b
    return a


def extract_signatories(document: Document, passages: Sequence[Passage],
                        resolver: OrganisationResolver) -> list[Signatory]:
    """The contract's signatories, one per organisation, in the order they sign."""
    resolver.learn(passages)
    blocks: dict[str, _Block] = {}
    for block in _signature_blocks(passages, resolver):
        seen = blocks.get(block.organisation.id)
        blocks[block.organisation.id] = block if seen is None else _better(seen, block)
    signatories = [b.signatory() for b in blocks.values()]
    if not signatories:
        seen_ids: set[str] = set()
        for s in _listed(passages, resolver):
            members = [s.organisation]
            if (collective := resolver.collective_type(s.organisation)) is not None:
                # "les communes concernées": the communes the contract names, when it names some.
                members = resolver.named_bodies(passages, collective) or members
            for org in members:
                if org.id not in seen_ids:
                    seen_ids.add(org.id)
                    signatories.append(replace(s, organisation=org))
    return signatories
