"""Partners resolved to canonical organisations: one real-world body = one id across contracts.

`OrganisationResolver` knows the contract's department(s) and intercommunality, so that "la Caf"
in a Nord contract is `caf-nord` and "l'Agglomération" is the contract's EPCI. The vocabulary
(bodies, aliases, acronyms, departments, regions, social landlords) is in
ingest/data/organisations.yaml, compiled once by `ingest.extract.gazetteer`.

Ids: "<kind>-<department|region|place>" for bodies that exist once per area ("caf-nord",
"ars-hauts-de-france", "cci-grand-hainaut"), the bare key for national bodies ("france-travail"),
"commune-<name>", "epci-<siren>", "bailleur-<name>". "etat-<department>" is the Préfecture and
the State acting locally; its services (DDETS, DSDEN, ARS...) keep their own ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ingest.extract.gazetteer import (
    BodyKind,
    Department,
    bounded,
    gazetteer,
    phrase_pattern,
    proper_case,
    slug,
)
from ingest.extract.territory import departments_of
from ingest.model import Organisation, Passage, Territory
from ingest.normalise import fold
from ingest.reference import EPCI_KIND

__all__ = ["OrganisationResolver", "departments_of"]  # departments_of: the pipeline imports it from here

# Words that, right before a mention, say the phrase is a title and not the body
# ("contrat de ville de X", "politique de la ville de X").
_NOT_A_COMMUNE_BEFORE = re.compile(
    r"(?i:(?:contrats?\s+de|politiques?\s+de\s+la|renouvellement|quartiers?|projets?\s+de)\s*)$")
# Before a subject: numbering, a framing clause ("En tant que signataire,"), a label ("Fiche
# partenaire :", "Bailleur social –"), "Pour", "Les engagements (spécifiques) de", an article.
_LEAD = re.compile(
    r"\s*[«\"“]?\s*(?:(?:[IVX]+|\d+(?:\.\d+)*|[A-Za-z])\s*[•.)\-–:]\s*|\d+(?:\.\d+)+\s+|[•\-–>*]+\s*)?"
    r"(?:[^,.;:!?]{0,60},\s*)?"
    r"(?i:(?:fiche(?:\s+partenaire)?|partenaire|signataire|bailleur\s+social|op[ée]rateur|acteur)\s*[:\-–]?\s*)?"
    r"(?i:pour\s+)?"
    r"(?i:(?:les\s+|l['’]\s*|la\s+|le\s+)?(?:engagements?|contributions?|priorit[ée]s?|interventions?|actions?|"
    r"apports?|r[ôo]le|mobilisation|cadre\s+d['’]\s*intervention|fiche|pr[ée]sentation|services?(?:\s+\w+)?|"
    # a body's own department speaks for it: "La Direction Prévention - Tranquillité Publique de la CU"
    r"(?:direction|p[ôo]le|mission|[ée]quipe)s?(?:\s+[^,.;:!?]{1,60}?)?)"
    r"(?:\s+(?:sp[ée]cifiques?|et\s+cadre\s+d['’]\s*intervention|et\s+modalit[ée]s\s+d['’]\s*intervention|"
    r"partenariaux|de\s+droit\s+commun))*\s*(?:de\s+la|de\s+l['’]|du|des|de|d['’])\s*)?"
    r"(?i:(?:la|le|les|l['’]|une|un)\s*)?(?:[«\"“]\s*)?")


_UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_DEFINED_ACRONYM = re.compile(r"\s*\(\s*([A-Z][A-Z0-9&]{1,7})\s*\)")
_ACRONYM_TOKEN = re.compile(r"(?<![\w])[A-Z][A-Z0-9&]{1,7}(?![\w])")


def _trim_run_on(name: str, after: str) -> str:
    """A name that ran on into the next line's words: "Toulouse Jean-Marc" before "VIGNAUX" (a
    person), "Mulhouse Partenaires" before ":" (a label). Only names of words joined by spaces."""
    words = name.split(" ")
    if len(words) > 1 and (re.match(r"\s*:", after) or re.match(rf"\s+[{_UPPER}]{{2,}}\b", after)):
        return " ".join(words[:-1])
    return name


def _common_words(name: str) -> bool:
    """True for 'Autres', 'Etude': a capitalised French word, not a place or a proper name."""
    from ingest.normalise import _accent_lexicon  # the French word forms the OCR repair uses

    forms = _accent_lexicon()[0]
    words = [w.lower() for w in re.split(r"[\s\-–'’]+", name) if len(w) > 2]
    return bool(words) and all(w in forms for w in words)


def _article(text: str) -> str:
    """The article before a qualifier, as it will be written in a name: 'du ', "d'", ''."""
    text = re.sub(r"\s+", " ", text.strip(" -–")).lower()
    if not text:
        return ""
    return text if text.endswith("'") else text + " "


def _epci_short_name(territory: Territory) -> str:
    """'Communauté d'Agglomération Maubeuge-Val de Sambre' -> 'Maubeuge-Val de Sambre'."""
    return EPCI_KIND.sub("", territory.name).strip() or territory.name


class OrganisationResolver:
    """Names of bodies in one contract's text -> canonical `Organisation`s."""

    def __init__(self, departments: tuple[str, ...], epci: Territory) -> None:
        self._g = gazetteer()
        depts = [self._g.departments[fold(d)] for d in departments if fold(d) in self._g.departments]
        self._department: Department | None = depts[0] if depts else None
        self._epci = epci
        self._place = _epci_short_name(epci)
        self._epci_org = Organisation(
            id=f"epci-{epci.siren}" if epci.siren else f"epci-{slug(self._place)}",
            name=epci.name, type="epci", siren=epci.siren)
        self._kinds = {k.key: k for k in self._g.kinds}
        # Qualified forms seen so far ("CPAM du Hainaut"): a later bare "la CPAM" is that body.
        self._learned: dict[str, dict[str, Organisation]] = {}
        # Acronyms the contract defines: "Centre hospitalier de Maubeuge (CHM)" -> later "CHM".
        self._acronyms: dict[str, str] = {}  # acronym -> the phrase it abbreviates
        self._communes: dict[str, Organisation] = {}  # slug -> commune named so far
        self._frozen = False  # set by learn(): nothing is learnt after the whole text was read
        own = [epci.name, *([epci.short_name] if epci.short_name else [])]
        if epci.short_name and epci.short_name.isupper():
            own.append(".".join(epci.short_name))  # "C.A.V.M"
        if self._place != epci.name and re.search(r"[\s\-]", self._place):
            own.append(self._place)  # "Valenciennes Métropole"; never a one-word place (a commune)
        # "CA Territoire de la Côte Ouest (TCO)": the name without its acronym, and the acronym.
        if (bracket := re.search(r"\s*\(\s*([A-Z][A-Z0-9]{1,7})\s*\)\s*$", self._place)) is not None:
            bare = self._place[:bracket.start()].strip()
            own.extend([bare, bracket.group(1)] if re.search(r"[\s\-]", bare) else [bracket.group(1)])
        self._own = re.compile("|".join(
            bounded(phrase_pattern(n, exact=n.isupper())) for n in sorted(set(own), key=len, reverse=True)))

    # --- public interface -------------------------------------------------------------------

    def resolve(self, name: str) -> Organisation | None:
        """The body a phrase names ("la Caf", "Monsieur le Maire de FEIGNIES"), or None."""
        found = self.find(name)
        if not found:
            # A commune of the contract named alone ("CRESPIN" heading a commune's section).
            known = self._communes.get(slug(re.sub(r"^(?i:la|le|les|l['’])\s*", "", name.strip())))
            return self._with_alias(known, name.strip()) if known else None
        # A phrase naming a body starts with it ("DDETS et Pôle emploi", "Maire de X").
        return found[0][2]

    def find(self, text: str) -> list[tuple[int, int, Organisation]]:
        """Every mention of a body in `text`, as (start, end, organisation), in text order."""
        if "\t" in text:
            # Table cells: no name runs over a tab ("Le Maire de X<tab>Le Maire de Y").
            out: list[tuple[int, int, Organisation]] = []
            offset = 0
            for cell in text.split("\t"):
                out.extend((s + offset, e + offset, o) for s, e, o in self._find(cell))
                offset += len(cell) + 1
            return out
        return self._find(text)

    def _find(self, text: str) -> list[tuple[int, int, Organisation]]:
        candidates: list[tuple[int, int, int, Organisation]] = []  # (start, end, priority, org)
        for m in self._own.finditer(text):
            candidates.append((m.start(), m.end(), 3, self._with_alias(self._epci_org, m.group(0))))
        for m in self._g.main.finditer(text):
            org, end = self._from_main(m, text)
            if org is not None:
                candidates.append((m.start(), end, 2, org))
        for m in self._g.epci_generic.finditer(text):
            org, end = self._from_epci_generic(m, text)
            candidates.append((m.start(), end, 1, org))
        for m in self._g.commune_cue.finditer(text):
            org = self._commune(m, text)
            if org is not None:
                candidates.append((m.start(), m.end(), 1, org))
        for pattern, type_, prefix in self._g.named:
            for m in pattern.finditer(text):
                org = self._named(m, type_, prefix)
                if org is not None:
                    candidates.append((m.start(), m.end(), 0, org))
        # A landlord named after the EPCI ("<EPCI> Habitat") is the landlord, not the EPCI.
        landlords = [(s, e) for s, e, _, o in candidates if o.type == "social_landlord"]
        candidates = [c for c in candidates if c[2] != 3 or not any(
            s <= c[0] and c[1] <= e and (e - s) > (c[1] - c[0]) for s, e in landlords)]
        # The contract's own EPCI first, then longest, then priority; keep what does not overlap.
        candidates.sort(key=lambda c: (c[2] != 3, -(c[1] - c[0]), -c[2], c[0]))
        taken: list[tuple[int, int, Organisation]] = []
        for start, end, _, org in candidates:
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, org))
        # Landlords named only by a cue word ("X Habitat") come last: a known name wins.
        for pattern in (self._g.landlord_before, self._g.landlord_after):
            for m in pattern.finditer(text):
                org = self._landlord(m.group("name"), m.group(0))
                if org is not None and all(m.end() <= s or m.start() >= e for s, e, _ in taken):
                    taken.append((m.start(), m.end(), org))
        self._learn_acronyms(text, taken)
        if self._acronyms:
            for m in _ACRONYM_TOKEN.finditer(text):
                phrase = self._acronyms.get(m.group(0))
                # Resolved again each time: what the defining phrase names may have been learnt since.
                org = self.resolve(phrase) if phrase is not None else None
                if org is not None and all(m.end() <= s or m.start() >= e for s, e, _ in taken):
                    taken.append((m.start(), m.end(), self._with_alias(org, m.group(0))))
        return sorted(taken, key=lambda t: t[0])

    def learn(self, passages: Sequence[Passage]) -> None:
        """Read a whole contract once so that early short forms resolve like later full ones
        ("la CPAM" before "CPAM du Hainaut" in the signature block, "CHM" defined in an annex).

        After it the resolver is frozen: `find` and `resolve` learn nothing more, so the same call
        gives the same answer whatever was asked before (learning again reopens it)."""
        self._frozen = False
        for p in passages:
            self.find(p.text)
        self._frozen = True

    def named_bodies(self, passages: Sequence[Passage], type_: str) -> list[Organisation]:
        """The single bodies of one type the contract names (for "les communes" in a list of signatories)."""
        seen: dict[str, Organisation] = {}
        for p in passages:
            for _, _, org in self.find(p.text):
                if org.type == type_ and self.collective_type(org) is None:
                    seen.setdefault(org.id, org)
        # A short form ("commune-conde") is not another body when the full name is there too.
        return [o for o in seen.values() if not any(i.startswith(o.id + "-") for i in seen)]

    def collective_type(self, org: Organisation) -> str | None:
        """For a group phrase ("les communes", "les chambres consulaires"), the type of its members."""
        if org.id.startswith("communes-"):
            return "commune"
        kind = self._kinds.get(org.id.rsplit("-" + slug(self._place), 1)[0])
        return kind.collective if kind else None

    def _learn_acronyms(self, text: str, taken: list[tuple[int, int, Organisation]]) -> None:
        if self._frozen:
            return
        for start, end, _ in taken:
            m = _DEFINED_ACRONYM.match(text, end)
            if m and m.group(1) not in self._acronyms and not self._g.main.fullmatch(m.group(1)):
                self._acronyms[m.group(1)] = text[start:end]

    def subject(self, text: str) -> Organisation | None:
        """The body a sentence or heading starts with ("La CAF du Nord s'engage à",
        "Engagements de la Région", "I • Priorités et cadre d'intervention de l'État")."""
        head = text[:300]
        for start, _, org in self.find(head):
            if _LEAD.fullmatch(head[:start]):
                return org
        return None

    @property
    def epci(self) -> Organisation:
        return self._epci_org

    # --- building organisations -------------------------------------------------------------

    @staticmethod
    def _with_alias(org: Organisation, alias: str) -> Organisation:
        alias = re.sub(r"\s+", " ", alias).strip()
        return Organisation(id=org.id, name=org.name, type=org.type, aliases=(alias,), siren=org.siren)

    def _from_main(self, m: re.Match[str], text: str) -> tuple[Organisation | None, int]:
        what, value = self._g.group_target[m.lastgroup or ""]
        if what == "landlord":
            return self._with_alias(self._landlord_org(value), m.group(0)), m.end()
        if what == "epci":
            siren, name = value.split("|", 1)
            if siren == self._epci.siren:
                return self._with_alias(self._epci_org, m.group(0)), m.end()
            org = Organisation(id=f"epci-{siren}", name=name, type="epci", siren=siren)
            return self._with_alias(org, m.group(0)), m.end()
        if what == "communes":
            org = Organisation(id=f"communes-{slug(self._place)}", name="Communes", type="commune")
            return self._with_alias(org, m.group(0)), m.end()
        return self._body(self._kinds[value], m, text)

    def _body(self, kind: BodyKind, m: re.Match[str], text: str) -> tuple[Organisation | None, int]:
        end = m.end()
        if kind.not_followed_by is not None and kind.not_followed_by.match(text, end):
            return None, end
        dept = self._department
        region = dept.region if dept else None
        qualifier: str | None = None
        display: str | None = None
        after = text[end:end + 120]
        if kind.qualifier == "department" and (q := self._g.department_after.match(after)):
            d = self._department_in(q)
            if d is not None:
                dept, region, end = d, d.region, end + q.end()
        elif kind.qualifier == "region" and (q := self._g.region_after.match(after)):
            name = fold(q.group("q"))
            if name in self._g.regions:
                region, end = self._g.regions[name], end + q.end()
            elif name in self._g.departments:
                region, end = self._g.departments[name].region, end + q.end()
                if kind.by_department:
                    dept = self._g.departments[name]
                    qualifier, display = dept.name, f"{dept.de_name}"
        elif kind.qualifier == "free" and (q := self._free_qualifier(after)):
            name = q.group("q")
            folded = fold(name)
            if folded in self._g.departments:
                dept, end = self._g.departments[folded], end + q.end()
                region = dept.region
                if kind.scope == "territory":
                    # "CCI de la Moselle": a local body named by its department, not the contract's area.
                    qualifier, display = dept.name, dept.de_name
            elif folded in self._g.regions and kind.scope == "region":
                region, end = self._g.regions[folded], end + q.end()
            elif not self._g.main.match(name) and not self._own.match(name) and not _common_words(name):
                qualifier, end = proper_case(name), end + q.end()
                article = _article(q.group(0)[:q.start("q") - q.start()])
                display = f"{article}{proper_case(name)}"
        org = self._organisation(kind, dept, region, qualifier, display if qualifier else None)
        if org is None:
            return None, end
        return self._with_alias(org, text[m.start():end]), end

    def _organisation(self, kind: BodyKind, dept: Department | None, region: str | None,
                      qualifier: str | None, display: str | None = None) -> Organisation | None:
        # Frozen (after learn): read what was learnt, never add to it.
        learned = self._learned.get(kind.key, {}) if self._frozen else self._learned.setdefault(kind.key, {})
        if qualifier is not None:
            # (Not for a department: "Corse-du-Sud" is not a longer form of "Corse".)
            by_dept = dept is not None and qualifier == dept.name
            if kind.by_department and by_dept:  # "CMA de la Loire": the departmental level's name
                kind = replace(kind, name=kind.name.replace("{region}", "{de_dept}"))
            org = Organisation(id=f"{kind.key}-{slug(qualifier)}",
                               name=self._name(kind, dept, region, display or qualifier), type=kind.type)
            # "CPAM du Hainaut-Cambrésis" and "CPAM du Hainaut" in one contract: one body, the short name.
            shorter = [] if by_dept else [o for i, o in learned.items() if org.id.startswith(i + "-")]
            if shorter:
                return shorter[0]
            if not self._frozen:
                for i in [i for i in learned if i.startswith(org.id + "-") and not by_dept]:
                    learned[i] = org
                learned.setdefault(org.id, org)
            return org
        roots = {o.id: o for o in learned.values()}
        if kind.scope in ("territory", "department") and kind.qualifier == "free" and len(roots) == 1:
            return next(iter(roots.values()))
        if kind.scope == "national":
            return Organisation(id=kind.key, name=kind.name, type=kind.type)
        if kind.scope == "region":
            if region is None:
                return Organisation(id=kind.key, name=self._name(kind, dept, "", None).strip(), type=kind.type)
            return Organisation(id=f"{kind.key}-{slug(region)}", name=self._name(kind, dept, region, region),
                                type=kind.type)
        if kind.scope == "department":
            if dept is None:
                return Organisation(id=kind.key, name=self._name(kind, None, region, None), type=kind.type)
            return Organisation(id=f"{kind.key}-{slug(dept.name)}",
                                name=self._name(kind, dept, region, dept.de_name), type=kind.type)
        return Organisation(id=f"{kind.key}-{slug(self._place)}",
                            name=self._name(kind, dept, region, self._place), type=kind.type)

    @staticmethod
    def _name(kind: BodyKind, dept: Department | None, region: str | None, qualifier: str | None) -> str:
        name = kind.name.format(de_dept=dept.de_name if dept else "", dept=dept.name if dept else "",
                                region=region or "", q=qualifier or "")
        return re.sub(r"\s+", " ", name.replace("()", "")).replace("( ", "(").replace(" )", ")").strip()

    def _free_qualifier(self, after: str) -> re.Match[str] | None:
        """The proper name after a mention, cut where it runs on into the next words: a label before
        a colon ("de la Loire Contenu :", the next line's label), a person's first name before a
        surname in capitals ("… de Blagnac Henri BASCOU")."""
        q = self._g.free_after.match(after)
        if q is None:
            return None
        name = q.group("q")
        tokens = list(re.finditer(r"\S+", name))
        cut = None
        if len(tokens) > 1 and (re.match(r"\s*:", after[q.end():])
                                                or re.match(rf"\s+[{_UPPER}]{{2,}}\b", after[q.end():])):
            cut = tokens[-2].end()
        if cut is None:
            return q
        return self._g.free_after.match(after[:q.start("q") + cut])

    def _department_in(self, q: re.Match[str]) -> Department | None:
        if q.group("code"):
            return self._g.departments_by_code.get(q.group("code"))
        return self._g.departments.get(fold(q.group("q")))

    def _from_epci_generic(self, m: re.Match[str], text: str) -> tuple[Organisation, int]:
        """'la Communauté d'Agglomération' is the contract's EPCI; followed by another name, another EPCI."""
        q = self._g.free_after.match(text[m.end():m.end() + 120])
        # "Métropole", "Agglomération", "EPCI" alone name another EPCI only with "de": "Métropole de Lyon".
        if q is not None and not m.group(0).lower().startswith("communaut") and q.start("q") - q.start() < 3:
            q = None
        if q is not None:
            name = q.group("q")
            if not self._same_place(name) and not self._g.main.match(name):
                full = f"{m.group(0)} {proper_case(name)}"
                org = Organisation(id=f"epci-{slug(proper_case(name))}", name=full, type="epci")
                return self._with_alias(org, text[m.start():m.end() + q.end()]), m.end() + q.end()
            return self._with_alias(self._epci_org, text[m.start():m.end() + q.end()]), m.end() + q.end()
        return self._with_alias(self._epci_org, m.group(0)), m.end()

    def _same_place(self, name: str) -> bool:
        a, b = slug(name), slug(self._place)
        return bool(a) and (a == b or a in b or b in a)

    def _commune(self, m: re.Match[str], text: str) -> Organisation | None:
        if _NOT_A_COMMUNE_BEFORE.search(text[max(0, m.start() - 40):m.start()]):
            return None
        name = proper_case(_trim_run_on(m.group("name").strip(), text[m.end():]))
        if m.group("contracted"):  # "Ville du Quesnoy" -> Le Quesnoy, "Mairie des Lilas" -> Les Lilas
            name = ("Le " if m.group("contracted").lower() == "du" else "Les ") + name
        # "Ville de Valenciennes Métropole" is the EPCI; "Ville d'Arras" is the commune, not the CU d'Arras.
        if slug(name) == slug(self._place) and re.search(r"[\s\-]", self._place):
            return self._with_alias(self._epci_org, m.group(0))
        if (self._g.main.fullmatch(m.group("name")) or fold(name) in self._g.regions
                or fold(name) in {"la", "le", "les", "l", "de", "du", "des"}):
            return None
        # "Condé" after "Condé-sur-l'Escaut": the short form of a commune already named in full.
        key = slug(name)
        longer = [c for c in self._communes if c.startswith(key + "-")]
        if len(longer) == 1:
            key = longer[0]
        org = self._communes.get(key) or Organisation(id=f"commune-{key}", name=name, type="commune")
        if not self._frozen:
            self._communes.setdefault(key, org)
        return self._with_alias(org, m.group(0))

    def _named(self, m: re.Match[str], type_: str, prefix: str) -> Organisation | None:
        """'l'association Bleu Blanc Zèbre' -> association-bleu-blanc-zebre (not 'l'association Les')."""
        name = proper_case(m.group("name").strip())
        # A proper name may be made of common words ("Les Restos du Cœur"), but not of one ("Les").
        if (len(name.split()) == 1 and _common_words(name)) or self._g.main.fullmatch(m.group("name")):
            return None
        cue = m.group("cue")
        cue = cue[0].upper() + cue[1:].rstrip("s") if cue[-1:] == "s" and cue[-2:] != "ss" else cue[0].upper() + cue[1:]
        between = m.group(0)[m.end("cue") - m.start():m.start("name") - m.start()]
        article = re.sub(r"[«\"“\s]+", " ", between).strip()
        full = f"{cue} {article + ' ' if article and not article.endswith(chr(39)) else article}{name}"
        org = Organisation(id=f"{prefix}-{slug(name)}", name=re.sub(r"\s+", " ", full), type=type_)
        return self._with_alias(org, m.group(0))

    _NOT_LANDLORD_START = frozenset(fold(w) for w in (
        "Programme", "Pour", "Par", "Avec", "Plan", "Opération", "Amélioration", "Direction", "Agence", "Observatoire", "Service",
        "Schéma", "Pôle", "Fonds", "Parc", "Qualité", "Politique", "Conférence", "Commission", "Convention",
        "Action", "Office", "Maison", "Aide", "Aides", "Accès", "Droit", "Comité", "Le", "La", "Les",
        "Du", "De", "Des", "Et", "Un", "Une", "Nouvel", "Nouveau", "Local", "Locale",
    ))

    def _landlord(self, name: str, mention: str) -> Organisation | None:
        # "Pour Limoges Habitat," (a signature line): the name starts after "Pour".
        lead = re.match(r"(?:Pour|POUR|Par|PAR)\s+", name)
        if lead is not None:
            name, mention = name[lead.end():], mention[mention.find(name[lead.end():]):]
        first = fold(re.split(r"[\s\-]+", name.strip())[0])
        if first in self._NOT_LANDLORD_START or len(name) < 3:
            return None
        known = self._g.landlords.get(fold(mention.strip()))
        # "SA du HAINAUT" -> "SA du Hainaut": words in capitals, not acronyms of up to 3 letters.
        written = re.sub(r"\b([A-ZÀ-Ý])([A-ZÀ-Ý'’]{3,})\b", lambda w: w.group(1) + w.group(2).lower(),
                         proper_case(mention.strip()))
        org = self._landlord_org(known or written)
        return self._with_alias(org, mention)

    @staticmethod
    def _landlord_org(name: str) -> Organisation:
        # The id leaves out a former name in brackets: "Maisons & Cités (Soginorpa)" -> bailleur-maisons-et-cites.
        return Organisation(id=f"bailleur-{slug(re.sub(r'[(].*?[)]', '', name))}", name=name, type="social_landlord")
