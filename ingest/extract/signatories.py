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
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from ingest.extract.gazetteer import COMMUNE_NAME, PROPER_NAME, proper_case, slug
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
        # A signature block is the surest shape; with the signer's name written, surer still.
        confidence = 0.95 if self.person else 0.85
        return Signatory(organisation=self.organisation, person=self.person, role=self.role,
                         confidence=confidence,
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
    """The contract's signatories, one per organisation, in the order they sign.

    Three shapes, merged by organisation: signature blocks; preambles and lists of parties
    ("Entre X, représenté par Y … d'une part, Et …", "Les parties au présent contrat sont :",
    numbered or bulleted parties, tables of signatories, a sentence naming them); and, when
    neither is found, a sentence listing "les signataires suivants : …". Each keeps the
    confidence of the surest shape that found it.
    """
    resolver.learn(passages)
    blocks: dict[str, _Block] = {}
    for block in _signature_blocks(passages, resolver):
        seen = blocks.get(block.organisation.id)
        blocks[block.organisation.id] = block if seen is None else _better(seen, block)
    found: dict[str, Signatory] = {b.organisation.id: b.signatory() for b in blocks.values()}
    order: dict[str, int] = {b.organisation.id: b.passage.index * 10000 for b in blocks.values()}
    parties = _parties(passages, resolver)
    # A row of a table names one party: the signature-block reading of its role cell ("Le Recteur")
    # is that party, not another body.
    rows = {(f.passage.id, f.org.type) for f in parties if f.passage.kind == BlockKind.TABLE_ROW}
    for b in blocks.values():
        if (b.passage.id, b.organisation.type) in rows and not any(
                f.org.id == b.organisation.id for f in parties):
            del found[b.organisation.id]
    named = {f.org.id for f in parties}
    for f in parties:
        # A group ("les communes") is not a signatory beside its members named in the same text.
        if _collective(f.org, resolver) and any(
                o.type == f.org.type and not _collective(o, resolver) and i != f.org.id for i in named
                for o in [next(x.org for x in parties if x.org.id == i)]):
            continue
        sig = f.signatory()
        seen = found.get(f.org.id)
        if seen is None:
            found[f.org.id] = sig
            order[f.org.id] = f.passage.index * 10000 + f.pos
        elif (seen.confidence or 0) < (sig.confidence or 0) or (seen.person is None and sig.person):
            found[f.org.id] = replace(seen, person=seen.person or sig.person, role=seen.role or sig.role,
                                      confidence=max(seen.confidence or 0, sig.confidence or 0))
    # "L'ensemble des signataires suivants … : l'Etat, la Région…" (a sentence in the body of the text).
    for s in _listed(passages, resolver):
        if s.organisation.id not in found:
            found[s.organisation.id] = replace(s, confidence=0.6)
            order[s.organisation.id] = 10 ** 12 + len(order)
    signatories: list[Signatory] = []
    seen_ids: set[str] = set()
    for i in sorted(found, key=lambda i: order[i]):
        s = found[i]
        members = [s.organisation]
        if (collective := resolver.collective_type(s.organisation)) is not None:
            # "les communes concernées": the communes the contract names, when it names some.
            members = resolver.named_bodies(passages, collective) or members
        for org in members:
            if org.id not in seen_ids and (org is s.organisation or org.id not in found):
                seen_ids.add(org.id)
                signatories.append(s if org is s.organisation else replace(
                    s, organisation=org, person=None, role=None, confidence=min(s.confidence or 0.6, 0.6)))
    return signatories


# --- preambles and lists of parties ------------------------------------------------------------
# "Entre", "ENTRE LES SIGNATAIRES SUIVANTS :", "PARTIES SIGNATAIRES", "Les parties au présent contrat
# sont :", "Le présent contrat est conclu entre :", "TABLEAU DES SIGNATAIRES", "1 – Les parties".
_PARTIES_OPENER = re.compile(
    r"^\s*(?:[IVX\d]+\s*(?:er)?\s*[.)•\-–:]\s*)?(?:(?i:article)\s+\w+\s*[.)\-–:]\s*)?(?i:"
    r"entre\b.{0,60}$|(?:les\s+|liste\s+des\s+|tableau\s+des\s+|logos?\s+des\s+)?"
    r"(?:(?:partenaires|parties|institutions|organismes|membres|collectivit[ée]s)\s+)?(?:co)?signataires\b.{0,40}$|"
    r"les\s+parties\b.{0,60}$|.{0,80}\b(?:conclu|pass[ée]|sign[ée])e?s?\s+(?:entre|par)\s*:\s*$|"
    r".{0,80}\bparties\s+(?:suivantes|au\s+pr[ée]sent|du\s+pr[ée]sent)\b.{0,40}:\s*$|"
    r".{0,160}\b(?:sign[ée]e?s?|conclue?s?)\b.{0,100}\b(?:partenaires|parties|signataires|institutions|organismes)"
    r"\s+suivant(?:e)?s\s*:\s*$)")
_SEPARATOR = re.compile(r"^\s*(?i:et\s*[,:]?|d['’]\s*une\s+part\s*[,;.]?|d['’]\s*autre\s+part\s*[,;.]?|"
                        r"ci[\s\-]apr[èe]s\b.{0,120}|ensemble\s+d[ée]nomm[ée]s\b.{0,120})\s*$")
_PARTIES_END = re.compile(r"(?i:il\s+est\s+(?:convenu|arr[êe]t[ée])|ont\s+convenu|conviennent)")
# A sentence naming the parties: after "conclu entre", "signé par", "à savoir"; before "ont signé".
_CUE_AFTER = re.compile(r"(?i:\b(?:conclue?s?|pass[ée]e?s?)\s+entre\b\s*:?|\bsign[ée]e?s?\b[^.:;]{0,60}?\bpar\b\s*:?|"
                        r"\bà\s+savoir\b\s*:?|\bentre\s+les\s+parties\s+suivantes\s*:?|\bentre\s*:|"
                        r"\bparties\s+(?:au|du)\s+pr[ée]sent\s+\w+\s+sont\s*:?|\bsignataires\s+suivants\s*:?)")
_CUE_BEFORE = re.compile(r"(?i:\b(?:ont|a)\s+sign[ée]\b|\bsignent\b|\bse\s+sont\s+associ[ée]s\b|"
                         r"\bsont\s+signataires\b|\bont\s+paraph[ée]\b)")
_THIS_ACT = re.compile(r"(?i:\bcontrat|\bprotocole|\bconvention[\s\-]cadre|\bavenant|\bpr[ée]sent\s+(?:document|acte)|"
                       r"\bengagements\s+quartiers)")
_BULLET = re.compile(r"^\s*(?:\(?\d{1,2}(?:er)?\s*[.)°\-–]\s*|[a-z]\)\s*|[•●▪■◦○\-–—*>➢→]+\s*)")
_ROLE_OF = re.compile(
    rf"(?i:\b(?:{_ROLES})(?:\s+[\w\-]+){{0,3}}?\s*(?:de\s+la|de\s+l['’]|du|des|de|d['’]|près\s+(?:le|la|l['’]))\s*)$")
_PERSON_NAME = re.compile(
    rf"(?:(?:Monsieur|Madame|M\.|Mme)\s+)?(?P<person>[{_UPPER}][a-zà-öø-ÿ]+(?:-[{_UPPER}][a-zà-öø-ÿ]+)?"
    rf"(?:\s+[{_UPPER}][a-zà-öø-ÿ]+)?\s+[{_UPPER}][{_UPPER}'’\-]+(?:\s+[{_UPPER}][{_UPPER}'’\-]+)*)(?![\w])")
_REPRESENTED_ROLE = re.compile(
    rf"(?i:repr[ée]sent[ée]e?s?\s+par\s+(?:(?:monsieur|madame|m\.|mme)\s+)?(?:son|sa|leurs?|le|la|l['’])?\s*)"
    rf"(?P<role>(?i:{_ROLES}))")
_ARTICLE_LEAD = r"(?i:(?:la|le|les|l['’]|de|d['’]|du|des)\s*)?"
_COMMUNE_LIST = re.compile(
    rf"(?i:\b(?:les\s+(?:communes|villes|municipalit[ée]s)|(?<![\w’'])communes))\s+(?P<list>(?:(?:de|d['’]|du|des)\s*)?{COMMUNE_NAME}"
    rf"(?:\s*,\s*(?:(?i:de|d['’]|du|des)\s*)?{COMMUNE_NAME})*(?:\s+(?i:et)\s+(?:(?i:de|d['’]|du|des)\s*)?{COMMUNE_NAME})?)")
_COMMUNE_ITEM = re.compile(rf"(?:(?P<art>(?i:de|d['’]|du|des))\s*)?(?P<name>{COMMUNE_NAME})")
_LANDLORD_LIST = re.compile(
    r"(?i:\b(?:les\s+)?(?:bailleurs(?:\s+sociaux)?|organismes\s+(?:hlm|d['’]\s*hlm|de\s+logement\s+social)|"
    r"offices\s+publics\s+de\s+l['’]habitat|soci[ée]t[ée]s\s+d['’]\s*hlm))\s*:?\s+"
    rf"(?P<list>[{_UPPER}][^.;:()]{{2,300}})")
_HEADER_CELL = re.compile(r"(?i:(?:partenaires?\s+)?signataires?|partenaires?|institutions?|organismes?|parties)\s*:?")
_OTHER_TABLE = re.compile(r"(?i:action|indicateur|engagement|objectif|calendrier|[ée]ch[ée]ance|pilote|mesure|quartier)")
_FOR_NAMED = re.compile(
    rf"^\s*(?i:pour)\s+(?:l['’]\s*|la\s+|le\s+|les\s+)?(?P<name>[{_UPPER}\d][\w'’&.\- ]{{1,60}}?)\s*:\s*"
    rf"(?=(?:M\.|Mme|Monsieur|Madame)\s|[{_UPPER}][a-zà-ÿ]+\s+[{_UPPER}]{{2,}})")
_REPRESENTED_LINE = re.compile(r"^\s*(?i:repr[ée]sent[ée]e?s?\s+par|agissant\s+(?:en|par|au\s+nom))\b")
_GLUE = re.compile(r"(?i:\s|[,;.:()\-–•]|\bet\b|\bainsi\s+que\b|\bla\b|\ble\b|\bles\b|\bl['’]|\bpar\b)+")


def _strip_bullet(text: str) -> str:
    return _BULLET.sub("", text, count=1)


def _line_of(p: Passage, pos: int) -> int:
    """The line where a position of a passage's text falls (lines of a paragraph were joined)."""
    if p.line_end <= p.line_start or not p.text:
        return p.line_start
    return p.line_start + min(p.line_end - p.line_start, int(pos / len(p.text) * (p.line_end - p.line_start + 1)))


class _Found:
    """One signatory candidate, with how sure its shape makes us."""

    def __init__(self, org: Organisation, p: Passage, pos: int, confidence: float,
                 person: str | None = None, role: str | None = None) -> None:
        self.org, self.passage, self.pos, self.confidence = org, p, pos, confidence
        self.person, self.role = person, role

    def signatory(self) -> Signatory:
        return Signatory(organisation=self.org, person=self.person, role=self.role, confidence=self.confidence,
                         provenance=(Provenance(self.passage.id, self.passage.page, _line_of(self.passage, self.pos)),))


def _members(text: str, resolver: OrganisationResolver) -> list[tuple[int, Organisation]]:
    """Collective lines: "les communes de A, B et C", "les bailleurs X, Y et Z" -> one body each."""
    out: list[tuple[int, Organisation]] = []
    for m in _COMMUNE_LIST.finditer(text):
        for item in _COMMUNE_ITEM.finditer(m.group("list")):
            name = item.group("name")
            if name.lower() in ("et", "de", "du", "des"):
                continue
            art = (item.group("art") or "de").lower()
            phrase = f"commune {'du' if art == 'du' else 'des' if art == 'des' else 'de'} {name}"
            org = resolver.resolve(phrase)
            if org is not None and org.type == "commune" and resolver.collective_type(org) is None:
                out.append((m.start("list") + item.start("name"), org))
    for m in _LANDLORD_LIST.finditer(text):
        lst = re.split(r"(?i:,?\s+ainsi\s+que\b|\s+qui\b|\s+repr[ée]sent)", m.group("list"))[0]
        offset = m.start("list")
        cursor = 0
        for raw in re.split(r"\s*,\s*|\s+et\s+", lst):
            name = raw.strip()
            if not name:
                continue
            start = lst.find(name, cursor)
            cursor = start + len(name)
            found = resolver.find(name)
            # A lower-case article opens another kind of body ("…, la Caisse des Dépôts"); a capital
            # one belongs to a landlord's name ("Les Résidences de l'Orléanais").
            if (found and found[0][2].type != "social_landlord") or re.match(r"(?:la|le|les|l['’])\s", name):
                break  # the list of landlords has ended: "…, la Caisse des Dépôts"
            found = [f for f in found if resolver.collective_type(f[2]) is None
                     and not f[2].id.startswith("bailleurs-")]
            if found:
                out.append((offset + start, found[0][2]))
            elif re.fullmatch(rf"[{_UPPER}][\w'’.\-]*(?:\s+[\w'’.\-]+){{0,3}}", name):
                out.append((offset + start, Organisation(
                    id=f"bailleur-{slug(name)}", name=name, type="social_landlord")))
    return out


def _collective(org: Organisation, resolver: OrganisationResolver) -> bool:
    return resolver.collective_type(org) is not None or org.id.startswith(("communes-", "bailleurs-sociaux-"))


def _mentions(text: str, resolver: OrganisationResolver) -> list[tuple[int, int, Organisation]]:
    """The bodies an item names as parties: not the body in a signer's title ("représenté par le
    Président du Conseil départemental") unless the item names nothing else."""
    found = resolver.find(text)
    if not _REPRESENTED.search(text):
        return found  # parties named by their signers' titles: "Monsieur le Maire de X, Madame la Présidente de Y"
    kept = [f for f in found if not _ROLE_OF.search(text[max(0, f[0] - 80):f[0]])]
    return kept or found[:1]


def _person_role(text: str, start: int, end: int) -> tuple[str | None, str | None]:
    """The person and role written after a party's name, up to the next ";" ("représenté par M. X, Préfet")."""
    clause = re.split(r"[;]", text[start:end])[0]
    person = _PERSON_NAME.search(clause)
    role = _REPRESENTED_ROLE.search(clause)
    role_text = role.group("role") if role else None
    if role_text is None and person is not None:
        after = _ROLE_WORD.search(clause[person.end():person.end() + 60])
        role_text = after.group("role") if after else None
    return (person.group("person") if person else None,
            role_text[:1].upper() + role_text[1:] if role_text else None)


def _item(p: Passage, text: str, offset: int, resolver: OrganisationResolver, base: float) -> list[_Found]:
    """The parties of one list item, table row or sentence."""
    out: list[_Found] = []
    members = _members(text, resolver)
    mentions = _mentions(text, resolver)
    if members:
        mentions = [f for f in mentions if not _collective(f[2], resolver)]
    spans: list[tuple[int, int, Organisation, float]] = []
    for span in sorted([(s, e, o, base) for s, e, o in mentions] + [(s, s, o, min(base, 0.7)) for s, o in members],
                       key=lambda t: t[0]):
        if not any(o.id == span[2].id for _, _, o, _ in spans):  # "la CTC (Collectivité …)": one body
            spans.append(span)
    represented = _REPRESENTED.search(text) is not None
    for i, (s, e, org, conf) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        person, role = _person_role(text, e, nxt) if e > s else (None, None)
        c = conf + (0.05 if represented else 0.0) + (0.05 if person else 0.0)
        out.append(_Found(org, p, offset + s, round(min(c, 0.95), 2), person, role))
    return out


def _table_row(p: Passage, resolver: OrganisationResolver) -> list[_Found] | None:
    """A row of a table of signatories ("N° | Signataire | Représentant", "ÉTAT | Le Préfet"). None: a header."""
    cells = [c for c in _cells(p) if not re.fullmatch(r"\d{1,2}\s*[.)°]?", c)]
    if not cells:
        return None
    first = cells[0]
    found = _mentions(first, resolver)
    offset = p.text.find(first)
    if not found and (members := _members(first, resolver)):  # "Communes de A, B et C | leurs maires"
        return [_Found(org, p, offset + pos, 0.8) for pos, org in members]
    if found:
        s, _, org = found[0]
        person = next((m.group("person") for c in cells[1:] if (m := _PERSON_NAME.search(c))), None)
        role = next((r.group("role") for c in cells[1:] if (r := _ROLE_WORD.search(c))), None)
        return [_Found(org, p, offset + s, 0.9 if person else 0.85, person, role[:1].upper() + role[1:] if role else None)]
    for cell in cells[1:]:  # "TCO | Le Président du Territoire de la Côte Ouest"
        if (found := resolver.find(cell)):
            return [_Found(found[0][2], p, p.text.find(cell) + found[0][0], 0.8)]
    if re.search(r"(?i:signataire|institution|organisme|partenaire|repr[ée]sent|collectivit[ée]|structure)", p.text):
        return None  # the header row
    if len(cells) > 1 and re.fullmatch(rf"[{_UPPER}][\w'’.&\- ]{{1,40}}", first) and len(first.split()) <= 5:
        kind = "social_landlord" if re.search(r"(?i)habitat|hlm|logement", first) else "other"
        return [_Found(Organisation(id=f"{kind}-{slug(first)}".replace("social_landlord", "bailleur"),
                                    name=first, type=kind), p, offset, 0.5)]
    return []


def _list_like(text: str, mentions: list[tuple[int, int, Organisation]]) -> bool:
    """A paragraph that is mostly names: the bodies, separated by commas, semicolons and "et"."""
    if not mentions:
        return False
    rest, last = [], 0
    for s, e, _ in mentions:
        rest.append(text[last:s])
        last = e
    rest.append(text[last:])
    leftover = _GLUE.sub(" ", "".join(re.sub(r"\([^)]*\)", " ", r) for r in rest)).split()
    return len(leftover) <= max(3, len(mentions))


_SENTENCE_END = re.compile(r"(?<![\s(]M)(?<!^M)(?<!Mme)(?<!MM)(?<!Dr)(?<!St)(?<!n°)[.!?](?=\s+[A-ZÀ-Ý«])")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; "M. Louis X" and "Mme Y" do not end a sentence."""
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    out.append((start, len(text)))
    return out


def _cued_sentences(p: Passage, resolver: OrganisationResolver) -> list[_Found]:
    """Parties named in a sentence: "Le présent contrat est conclu entre X, Y et Z", "Il est également
    signé par …", "… à savoir X, Y", "X, préfet …, et Y, président …, ont signé le contrat"."""
    out: list[_Found] = []
    text = p.text
    previous_ok = False
    for s_start, s_end in _sentences(text):
        s_text = text[s_start:s_end]
        after = _CUE_AFTER.search(s_text)
        before = _CUE_BEFORE.search(s_text)
        if after is None and before is None:
            previous_ok = False
            continue
        if not (_THIS_ACT.search(s_text) or previous_ok):
            continue
        if after is not None:
            part, offset = s_text[after.end():], s_start + after.end()
        else:
            part, offset = s_text[:before.start()], s_start
        found = _item(p, part, offset, resolver, 0.7)
        if len(found) >= 2 or (found and after is not None and re.search(r"(?i)entre", after.group(0))):
            out.extend(found)
            previous_ok = True
    return out


def _joined(passages: Sequence[Passage]) -> list[Passage]:
    """Paragraphs the reader split inside a sentence (a line starting with a capital), joined again:
    "… les bailleurs" + "Domofrance, Gironde Habitat et …". Provenance stays the first passage's."""
    out: list[Passage] = []
    for p in passages:
        prev = out[-1] if out else None
        if (prev is not None and prev.kind == BlockKind.PARAGRAPH and p.kind == BlockKind.PARAGRAPH
                and p.line_start == prev.line_end + 1 and not re.search(r"[.:;!?»]\s*$", prev.text)
                and len(prev.text) + len(p.text) < 3000 and not _BULLET.match(p.text)):
            out[-1] = replace(prev, text=f"{prev.text} {p.text}", line_end=p.line_end, char_end=p.char_end)
            continue
        out.append(p)
    return out


def _parties(passages: Sequence[Passage], resolver: OrganisationResolver) -> list[_Found]:
    """Parties named in a preamble ("Entre … d'une part, Et … d'autre part"), in a list or table
    under "Les signataires", "Les parties au présent contrat sont :", or in a sentence."""
    out: list[_Found] = []
    zone = False
    misses = 0
    joined = _joined(passages)
    # A running header or a page number between two items of a list does not end it.
    repeated = Counter(p.text.strip() for p in joined if len(p.text.strip()) < 120)
    previous_kind = None
    for p in joined:
        text = p.text.strip()
        if not text:
            continue
        if zone and (text.isdigit() or repeated[text] >= 2) and not _PARTIES_OPENER.match(text):
            continue
        # A cell's last words pushed onto a line of their own under a table row ("Dordogne").
        after_row, previous_kind = previous_kind == BlockKind.TABLE_ROW, p.kind
        if zone and after_row and p.kind != BlockKind.TABLE_ROW and len(text.split()) <= 4:
            previous_kind = BlockKind.TABLE_ROW
            continue
        if _PARTIES_END.search(text) and len(text) < 200:
            zone = False
            continue
        if _CIRCULAR.search(text):
            zone = False
            continue
        cued = _cued_sentences(p, resolver) if len(text) >= 40 else []
        if cued:
            out.extend(cued)
            zone, misses = text.rstrip().endswith(":"), 0
            continue
        if len(text) < 160 and _PARTIES_OPENER.match(text):
            zone, misses = True, 0
            continue
        if p.kind == BlockKind.TABLE_ROW and (cells := _cells(p)) and _HEADER_CELL.fullmatch(cells[0]) \
                and not any(_OTHER_TABLE.search(c) for c in cells):
            zone, misses = True, 0  # "Signataire | Qualité | Nom | Signature": a table of the parties
            continue
        if not zone:
            continue
        if _SEPARATOR.match(text):
            continue
        if out and _REPRESENTED_LINE.match(text):
            # "L'ÉTAT" / "représenté par Monsieur X, Préfet de …": the party above, and who signs for it.
            if out[-1].person is None and (m := _PERSON_NAME.search(text)):
                out[-1].person = m.group("person")
            continue
        if p.kind == BlockKind.TABLE_ROW:
            if text.startswith("|"):
                continue  # the rest of the row above, wrapped in its second column
            row = _table_row(p, resolver)
            if row is None:
                continue
            if row:
                out.extend(row)
                misses = 0
                continue
        else:
            item = _strip_bullet(text)
            item = re.sub(r"^(?i:pour)\s+(?=\S)", "", item, count=1)  # "Pour la Caf d'Eure-et-Loir : Mme …"
            offset = len(text) - len(item)
            mentions = _mentions(item, resolver)
            if not mentions and (named := _FOR_NAMED.match(text)):
                # "Pour Habitat Drouais : M. Thierry MAUGER, Directeur général": a body the gazetteer
                # does not know, named by the shape of the line.
                name = named.group("name").strip()
                kind = "social_landlord" if re.search(r"(?i)habitat|hlm|logement|logis", name) else "other"
                org = Organisation(id=f"{'bailleur' if kind == 'social_landlord' else 'other'}-{slug(name)}",
                                   name=name, type=kind)
                person = _PERSON_NAME.search(text, named.end())
                out.append(_Found(org, p, named.start("name"), 0.6, person.group("person") if person else None))
                misses = 0
                continue
            starts_with = bool(mentions) and re.fullmatch(rf"\s*{_ARTICLE_LEAD}\s*", item[:mentions[0][0]]) is not None
            members = _members(item, resolver)
            if (starts_with and (len(item) < 250 or _REPRESENTED.search(item))) or _list_like(item, mentions) \
                    or (members and len(item) < 400):
                base = 0.8 if _REPRESENTED.search(item) else 0.75
                out.extend(_item(p, item, offset, resolver, base))
                misses = 0
                continue
        misses += 1
        # One row of a table the resolver cannot read (a name cut over two rows) does not end it.
        if misses >= (2 if p.kind == BlockKind.TABLE_ROW else 1):
            zone = False
    return out
