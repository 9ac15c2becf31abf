"""Priority neighbourhoods (QPV), quartiers de veille and territoires de vulnérabilité of a contract.

Contracts name their neighbourhoods in a few recurring shapes: a table "Commune | Quartier" whose
rows with an empty first cell continue the commune above; the same table flattened by the PDF
export into "Commune Quartier (code)" lines under a "COMMUNES QUARTIERS ..." header; captions
"Le quartier X à Y"; lists after "les quartiers suivants :"; "X (quartier en veille active)".
These strong shapes create neighbourhoods; weaker ones (running text, short headings) only add
spellings to a neighbourhood already found. Spellings of one neighbourhood are grouped by
accent-folded fuzzy matching (rapidfuzz) within compatible communes and status.

Communes are recognised with a lexicon built from the document itself (table commune columns,
"commune de X" headings, "à X" captions), so no commune name is written in code. Cue phrases
live in ingest/data/neighbourhood_cues.yaml.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ingest.extract.neighbourhoods.grouping import (
    FAINT,
    STRONG,
    WEAK,
    Mention,
    group_mentions,
    to_neighbourhood,
)
from ingest.extract.neighbourhoods.reference_link import generation_of, official_names_in_text, territory_rows
from ingest.extract.neighbourhoods.tables import from_figure_rows, from_pseudo_tables, from_tables
from ingest.extract.neighbourhoods.text import (
    QPV_CODE,
    CommuneLexicon,
    clean_name,
    code_in,
    cues,
    fold_cut,
    generic,
    is_lead_in,
    plausible,
    split_communes,
    status_in,
    strip_article,
    strip_prefix,
)
from ingest.model import BlockKind, Document, Neighbourhood, Passage, Status, Territory

_NAME_BEFORE_CODE = re.compile(
    r"(?P<name>[A-ZÀ-Ý][\w'’-]*(?:[\s,]+(?:[A-ZÀ-Ý0-9][\w'’-]*|de|du|des|la|le|les|l'|d'|sur|en|aux?"
    r"|et|[-–/])){0,8})\s*\(\s*(?P<code>Q[NP]\s?\d{5,6}\s?[A-Z]?)\s*\)")
_HEADING_QPV = re.compile(
    r"^(?:(?i:les?)\s+)?(?i:qpv|quartier\s+prioritaire)\s*[:\-–]?\s+(?P<name>(?:(?i:de la|de l'|du|des|de|d')\s*)?[A-ZÀ-Ý].{1,70})$")
_HEADING_QUARTIER = re.compile(
    r"(?:^|\b(?i:pour|sur)\s+)(?:(?i:le)\s+)?(?i:quartier)\s+(?P<name>(?:(?i:de la|de l'|du|des|de|d')\s*)?[A-ZÀ-Ý].{1,60})$")
_PROSE_QPV = re.compile(
    r"\b(?i:quartier\s+prioritaire|qpv)\s+(?P<article>(?:de la|de l'|du|des|de|d')\s*)?(?P<name>[A-ZÀ-Ý][\w'’-]*"
    r"(?:\s+(?:[A-ZÀ-Ý][\w'’-]*|de|du|des|la|le|l'|d'|[-–/])){0,6})")
_QUOTED_QUARTIER = re.compile(
    r"\b(?P<cue>(?i:quartiers?(?:\s+prioritaires?)?|qpv|cités?))\s+(?:(?i:de la|de l'|du|des|de|d')\s*)?«\s*(?P<name>[^»]{2,60}?)\s*»")
_NAME_COMMUNE = re.compile(  # "du Roy de Blicquy (Crespin)" in running text
    r"(?P<name>[A-ZÀ-Ý][\w'’-]*(?:\s+(?:[A-ZÀ-Ý][\w'’-]*|de|du|des|la|le|les|l'|d'|et|[-–/])){0,6})"
    r"\s*\((?P<commune>[A-ZÀ-Ý][^()]{1,40})\)")
_PAREN_END = re.compile(r"^(?P<name>.{2,90}?)\s*\((?P<paren>[^()]{1,60})\)\s*[;.:,]?\s*$")
_A_COMMUNE = re.compile(r"^(?P<name>.{2,90}),?\s+à\s+(?P<commune>[A-ZÀ-Ý][^;:()]{1,60}?)\s*[;.:,]?\s*$")
_QUARTIER_OF_COMMUNE = re.compile(
    r"\bquartiers?\s+(?:prioritaires?\s+)?(?P<name>(?:du |des |de la |de l'|d'|de )?[A-ZÀ-Ý][\w'’ -]{1,50}?)"
    r"\s+(?:de la (?:commune|ville) |à )(?:de |d')?(?P<commune>[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*)")


def extract_neighbourhoods(document: Document, passages: Sequence[Passage], territory: Territory | None = None,
                           reference_csv: Path | None = None) -> list[Neighbourhood]:
    """The neighbourhoods a contract names, each with its spellings, communes, code and status.

    With `reference_csv` (the QPV table also used for linking) and the extracted `territory`, the
    official names of that EPCI's QPV written in the text count as evidence too.
    """
    lexicon = CommuneLexicon.from_passages(passages)
    consumed: set[str] = set()
    mentions: list[Mention] = []
    mentions += from_tables(passages, lexicon, consumed)
    mentions += from_pseudo_tables(passages, lexicon, consumed)
    mentions += _from_codes(passages, lexicon, consumed)
    mentions += from_figure_rows(passages, lexicon, consumed)
    mentions += _from_lists(passages, lexicon, consumed)
    mentions += _from_inline_lists(passages, lexicon, consumed)
    mentions += _from_short_lines(passages, lexicon, consumed)
    mentions += _from_prose(passages, lexicon, consumed)
    if reference_csv is not None and territory is not None:
        mentions += _official_names(document, passages, territory, reference_csv)
    if not any(m.strength == STRONG for m in mentions):
        # no table, list or caption: the QPV named as such in running text are all there is
        for m in mentions:
            m.strength = STRONG if m.promotable else m.strength
    territory = {fold_cut(t) for t in (document.meta.territory, document.meta.territory_short) if t}
    mentions = [m for m in mentions if fold_cut(m.name) not in territory]
    for m in mentions:  # a figure glued to a name in a statistics list ("Chanteclair: 21 %")
        m.name = _FIGURE_TAIL.sub("", m.name) or m.name
    groups = group_mentions(mentions, lexicon)
    return tidy([to_neighbourhood(g, lexicon) for g in groups])


def tidy(neighbourhoods: Sequence[Neighbourhood]) -> list[Neighbourhood]:
    """Names without quotes, parentheses or a trailing commune; one commune per entry. Two
    neighbourhoods left with the same name in the same communes keep their parenthesis as a
    qualifier ("Bas-Vernet (ancienne ZUS)" -> "Bas-Vernet ancienne ZUS")."""
    cleaned = []
    for nb in neighbourhoods:
        communes = list(dict.fromkeys(c for raw in nb.communes for c in split_communes(raw)))
        cleaned.append((nb, communes, _clean_display(nb.name, communes, keep_parenthesis=False)))
    counts = Counter((fold_cut(name), tuple(sorted(fold_cut(c) for c in communes)))
                     for _, communes, name in cleaned)
    out = []
    for nb, communes, name in cleaned:
        if counts[(fold_cut(name), tuple(sorted(fold_cut(c) for c in communes)))] > 1:
            name = _clean_display(nb.name, communes, keep_parenthesis=True)
        aliases = tuple(dict.fromkeys(a for a in (_clean_display(a, communes, False) for a in nb.aliases)
                                      if a and a != name))
        out.append(replace(nb, name=name or nb.name, aliases=aliases, communes=tuple(communes)))
    return out


def _clean_display(name: str, communes: Sequence[str], keep_parenthesis: bool) -> str:
    text = re.sub(r"[«»“”\"]", " ", name)
    if keep_parenthesis:
        text = re.sub(r"[()]", " ", text)
    else:
        text = re.sub(r"\s*\([^()]*\)", " ", text)  # sub-sectors, communes, "(nouveau)"
        text = text.replace("(", " ").replace(")", " ")  # "Val de l'Aurence (Nord": a cut parenthesis
    text = re.sub(r"\s+", " ", text).strip(" ,;:.-–—")
    for commune in communes:  # "Borny, Metz", "Saint-Jean – Lens": the commune is not the name
        m = re.match(rf"^(.{{2,}}?)\s*(?:,|\s[–—-]|\sà)\s+{re.escape(commune)}$", text, flags=re.IGNORECASE)
        if m:
            text = m.group(1)
    text = text.strip(" ,;:.-–—")
    return text[:1].upper() + text[1:] if text else ""


_FIGURE_TAIL = re.compile(r"\s*:\s*[\d\s.,]+\s*%?\s*$")


def _official_names(document: Document, passages: Sequence[Passage], territory: Territory,
                    reference_csv: Path) -> list[Mention]:
    """The official names of the territory's QPV (reference list of the contract's generation:
    2024, or 2015 for the contracts of 2015 and the protocols of 2019) that the text writes, each
    with its reference code and commune."""
    if not reference_csv.exists():
        return []
    generation = generation_of(document)
    rows = territory_rows(reference_csv, territory, generation)
    hits = official_names_in_text(passages, territory.siren, territory.name, reference_csv, rows=rows)
    out = []
    for row, p, spelled in hits:
        name = re.sub(r"\s*\(\s*\d*\s*$", "", clean_name(spelled or row.name))  # "Épinette (7"
        name = strip_prefix(name) if spelled else _official_form(name)
        out.append(Mention(name or row.name, [row.commune], Status.PRIORITY, p, STRONG, row.code,
                           official=1 if spelled else 2))
    return out


def _official_form(name: str) -> str:
    """"Quartier Volga Plage" (2015 list) -> "Volga Plage"; "Nord rocade" -> "Nord Rocade"."""
    name = strip_prefix(re.sub(r"^(?i:quartiers?)\s+(?=\S+\s)", "", name))
    words = name.split(" ")
    return " ".join(w[:1].upper() + w[1:] if len(w) > 3 else w for w in words)


def _trim_connectors(name: str) -> str:
    """"Hauts de la" -> "Hauts": a name cut out of a sentence ends on a capitalised word."""
    return re.sub(r"(?:\s+(?:de|du|des|la|le|les|l'|d'|et|[-–/]))+\s*$", "", name)


def _from_codes(passages, lexicon, consumed) -> list[Mention]:
    """Lines carrying a QPV code: "Name (QN05901M)", "Commune QP059020 Name"; in running text,
    the capitalised name right before "(QN05901M)"."""
    out: list[Mention] = []
    for p in passages:
        if p.id in consumed:
            continue
        if len(p.text) > 200:
            for m in _NAME_BEFORE_CODE.finditer(p.text):
                name = strip_prefix(clean_name(m.group("name")))
                if plausible(name):
                    out.append(Mention(name, [], Status.PRIORITY, p, STRONG, code_in(m.group("code"))))
            continue
        m = QPV_CODE.search(p.text)
        if not m:
            continue
        before, after = p.text[:m.start()], clean_name(p.text[m.end():])
        bracketed = m.group(0).startswith("(") and re.search(r"[A-Za-zÀ-ÿ]{3}", before)
        # "La Gare – QN06297C – Lens": the name before, its commune after
        commune_after = lexicon.knows(after) or (
            re.search(r"[–—-]\s*$", before) and re.match(r"^\s*[–—-]", p.text[m.end():]))
        if commune_after and re.search(r"[A-Za-zÀ-ÿ]{3}", before) and len(after.split()) <= 4:
            name, communes = strip_prefix(clean_name(before)), [after]
        elif re.search(r"[A-Za-zÀ-ÿ]{3}", after) and not bracketed:
            name, communes = after, lexicon.trailing(before)
        else:
            communes, name = lexicon.split_prefix(clean_name(before))
            name = strip_prefix(clean_name(name))
        name = clean_name(name)
        if generic(name):
            continue
        # "Saint-Jean (Lens)", "Saint-Jean à Lens" after the code: the commune comes apart
        item = _parse_item(name, p, lexicon, Status.PRIORITY, STRONG)
        split = item is not None and item.communes and (
            _PAREN_END.match(name) or all(lexicon.knows(c) for c in item.communes))  # "Moulin à Eau"
        if split:
            name, communes = item.name, communes or item.communes
        consumed.add(p.id)
        out.append(Mention(name, communes, Status.PRIORITY, p, STRONG, code_in(m.group(1))))
    return out


def _from_lists(passages, lexicon, consumed) -> list[Mention]:
    """List items after a lead-in such as "Les quartiers prioritaires sont les suivants :"."""
    out: list[Mention] = []
    for i, p in enumerate(passages):
        # a title such as "Les territoires de vulnérabilité" right above a list is a lead-in too,
        # but then only items written like names ("Les Hauts", not "Des logements anciens") count
        titled = p.kind != BlockKind.LIST_ITEM and not p.text.endswith(".") and _status_title(p.text)
        if p.kind == BlockKind.TABLE_ROW or not (is_lead_in(p.text) or titled):
            continue
        stated = status_in(p.text[-300:])
        # A lead-in that opens with the word itself ("Quartiers dont le périmètre … :") lists them.
        opens = re.match(r"\W*(les\s+)?(quartiers|qpv)\b", fold_cut(p.text)) is not None
        strength = STRONG if stated is not None or opens else WEAK
        for q in passages[i + 1:i + 40]:
            if q.kind != BlockKind.LIST_ITEM:
                # Some layouts set each name as its own short paragraph, with a note after a
                # colon ("4 As : extension à la rue …"); a second lead-in continues the list.
                head = re.split(r"\s+:\s+|,\s+|\s+\(", q.text, maxsplit=1)[0]
                if not p.text.rstrip().endswith(":"):
                    break  # a title, not a lead-in: only list items follow it
                if is_lead_in(q.text):
                    break  # the next lead-in is read on its own, with its own status
                if not (q.kind == BlockKind.PARAGRAPH and len(q.text.split()) <= 40
                        and len(head.split()) <= 8 and _name_like(head) and not head.endswith(".")):
                    break
                if q.id in consumed:
                    continue
                for m in _parse_items(head, q, lexicon, stated or Status.PRIORITY, strength):
                    m.promotable = True
                    consumed.add(q.id)
                    out.append(m)
                continue
            if q.id in consumed or (titled and not is_lead_in(p.text) and not _name_like(q.text)):
                continue
            for m in _parse_items(q.text, q, lexicon, stated or Status.PRIORITY, strength):
                m.promotable = True
                consumed.add(q.id)
                out.append(m)
    return out


def _status_title(text: str) -> bool:
    """A short title naming a kind of neighbourhood: "Quartiers de veille active"."""
    return len(text) <= 80 and any(re.match(r, fold_cut(text) + " :") for r in cues()["list_lead_ins"])


def _name_like(text: str) -> bool:
    """Short, and capitalised past a leading article: "Les Hauts", "Cité Blanche (Anzin)"."""
    words = clean_name(text).split()
    if not words or len(words) > 8:
        return False
    if fold_cut(words[0]) in {"le", "la", "les", "l", "un", "une", "des", "du", "de"} and len(words) > 1:
        return words[1][:1].isupper() or words[1][:1].isdigit()
    return words[0][:1].isupper() or words[0][:1].isdigit()


def _from_inline_lists(passages, lexicon, consumed) -> list[Mention]:
    """"Le contrat compte 3 quartiers prioritaires : A (Commune), B et C." and "Les quartiers
    prioritaires sont A, B et C." in one paragraph."""
    out: list[Mention] = []
    for p in passages:
        if p.id in consumed or p.kind == BlockKind.TABLE_ROW or len(p.text) > 800:
            continue
        for cut in re.finditer(r":|\b(?:sont|est|seront|demeurent|restent)\b\s*:?", p.text):
            before, after = p.text[:cut.end()], p.text[cut.end():].strip()
            announced = is_lead_in(before) if cut.group(0) == ":" else any(
                re.search(r, fold_cut(before)[-300:]) for r in cues()["inline_lead_ins"])
            if not after or not announced:
                continue
            after = re.split(r"\.(?:\s|$)", after)[0]  # the enumeration ends with its sentence
            items = [i for i in re.split(r"\s*[;,]\s*|\s+et\s+", after) if i.strip()]
            stated = status_in(before[-300:])
            found = [_parse_item(i, p, lexicon, stated or Status.PRIORITY,
                                 STRONG if stated else WEAK) for i in items]
            if len(items) >= 2 and all(found) and all(len(i.split()) <= 8 for i in items):
                out += [m for m in found if m is not None]
                consumed.add(p.id)
                break
    return out


def _parse_items(text: str, p: Passage, lexicon, status: Status, strength: int) -> list[Mention]:
    """A list item naming one neighbourhood, or a commune and its neighbourhoods
    ("Beaurains : Les Hauts, Cité Blanche et Le Moulin")."""
    head, colon, tail = clean_name(text).partition(":")
    names = [n for n in re.split(r"\s*[;,]\s*|\s+et\s+", tail) if n.strip()]
    # an unknown head is taken for a commune only before several names ("Centre Ville : A - B")
    several = len(names) > 1 and _commune_like(head, lexicon) and len(head.split()) <= 3
    if colon and (lexicon.knows(head) or several):
        found = [_parse_item(n, p, lexicon, status, strength) for n in names]
        if found and all(found):
            for m in found:
                m.communes = m.communes or [head.strip()]
            lexicon.add(head)
            return [m for m in found if m is not None]
    one = _parse_item(text, p, lexicon, status, strength)
    return [one] if one is not None else []


def _parse_item(text: str, p: Passage, lexicon, status: Status, strength: int) -> Mention | None:
    """One neighbourhood written as "Name", "Name (Commune)", "Name à Commune", "Commune : Name"."""
    text = re.sub(r"^(?:la|le|les|l'|l’)\s*(?=[A-ZÀ-Ý0-9])", "", clean_name(text))  # "la Résidence X"
    text = re.sub(r"\s*\([^()]*\d[^()]*\)\s*$", "", text)  # "(1 500 habitants)", "(2014)"
    if len(text) > 100 or len(re.findall(r"\w+", text)) > 16 or not (text[:1].isupper() or text[:1].isdigit()):
        return None
    communes: list[str] = []
    if (m := _PAREN_END.match(text)) is not None:
        paren_status = status_in(m.group("paren"))
        if paren_status is not None:
            status, text = paren_status, m.group("name")
        elif _commune_like(m.group("paren"), lexicon):
            communes, text = lexicon.split_list(m.group("paren")), m.group("name")
    elif (m := _A_COMMUNE.match(text)) is not None and _commune_like(m.group("commune"), lexicon):
        communes, text = lexicon.split_list(m.group("commune")), m.group("name")
    elif ":" in text:
        head, _, tail = text.partition(":")
        if lexicon.knows(head):
            communes, text = [head.strip()], tail
    elif (m := re.match(r"^(?P<name>.{2,90}?)\s+[–—-]\s+(?P<commune>[^–—-]{2,40})$", text)) and lexicon.knows(
            m.group("commune")):  # "Saint-Jean – Lens" when Lens is a commune of the document
        communes, text = [m.group("commune").strip()], m.group("name")
    name = strip_prefix(clean_name(text))
    if not plausible(name) or not _capitalised(name):
        return None
    return Mention(name, communes, status, p, strength)


def _capitalised(name: str) -> bool:
    """Names start with a capital or a digit; "vécus" left of "Les quartiers vécus" does not."""
    return name[:1].isupper() or name[:1].isdigit()


def _commune_like(text: str, lexicon: CommuneLexicon) -> bool:
    """In a list of neighbourhoods, "(Villeneuve)" or "à Villeneuve" names a commune."""
    words = text.split()
    return lexicon.knows(text) or (0 < len(words) <= 4 and words[0][:1].isupper()
                                   and not re.search(r"\d", text))


def _from_short_lines(passages, lexicon, consumed) -> list[Mention]:
    """Captions "Le quartier X à Y", and "X (quartier en veille active)" lines."""
    out: list[Mention] = []
    for p in passages:
        if p.id in consumed or len(p.text) > 120 or p.kind == BlockKind.TABLE_ROW:
            continue
        text = clean_name(p.text)
        folded = fold_cut(text)
        m = _PAREN_END.match(text)
        if m and (status := status_in(m.group("paren"))) is not None:
            name = strip_prefix(clean_name(m.group("name")))
            if plausible(name) and _capitalised(name):
                out.append(Mention(name, lexicon.section_communes(p), status, p, STRONG))
                consumed.add(p.id)
            continue
        m = _HEADING_QPV.match(text) or _HEADING_QUARTIER.search(text)
        standalone = p.kind == BlockKind.HEADING or (len(text) <= 60 and not text.endswith("."))
        if m is not None and standalone and " à " not in text:
            name = strip_article(clean_name(m.group("name")))
            if plausible(name):
                strength = STRONG if m.re is _HEADING_QPV else WEAK
                out.append(Mention(name, lexicon.section_communes(p), Status.PRIORITY, p, strength))
                consumed.add(p.id)
            continue
        m = _A_COMMUNE.match(text)
        if m is None:
            continue
        starts_with_cue = re.match(cues()["name_prefixes"][0], folded) is not None
        if not starts_with_cue and not (p.kind == BlockKind.HEADING and lexicon.knows(m.group("commune"))):
            continue
        name = strip_prefix(clean_name(m.group("name")))
        if not plausible(name) or not _capitalised(name):
            continue
        lexicon.add(m.group("commune"))
        consumed.add(p.id)
        out.append(Mention(name, lexicon.split_list(m.group("commune")),
                            status_in(text) or Status.PRIORITY,
                            p, STRONG if p.kind == BlockKind.HEADING or starts_with_cue else WEAK))
    return out


def _from_prose(passages, lexicon, consumed) -> list[Mention]:
    """Running text ("le quartier du Bois du Quesnoy de la ville d'Hautmont"): spellings only."""
    out: list[Mention] = []
    for p in passages:
        if p.id in consumed or p.kind == BlockKind.TABLE_ROW:
            continue
        for m in _QUARTIER_OF_COMMUNE.finditer(p.text):
            if not lexicon.knows(m.group("commune")):
                continue
            name = strip_article(clean_name(m.group("name")))
            explicit = "prioritaire" in fold_cut(m.group(0))  # "le quartier prioritaire X à Y"
            if plausible(name) and not lexicon.knows(name):
                out.append(Mention(name, [m.group("commune")], Status.PRIORITY, p,
                                   STRONG if explicit else WEAK))
        for m in _QUOTED_QUARTIER.finditer(p.text):
            name = clean_name(m.group("name"))
            explicit = re.search(r"prioritaire|qpv", fold_cut(m.group("cue")))  # "le QPV « X »"
            if plausible(name) and not lexicon.knows(name):
                out.append(Mention(name, [], Status.PRIORITY, p, STRONG if explicit else WEAK))
        for m in _NAME_COMMUNE.finditer(p.text):
            if lexicon.knows(m.group("commune")):
                name = strip_article(clean_name(m.group("name")))
                if plausible(name):
                    out.append(Mention(name, [m.group("commune")], Status.PRIORITY, p, WEAK))
        for m in _PROSE_QPV.finditer(p.text):
            name = _trim_connectors(clean_name(m.group("name")))
            if plausible(name) and not lexicon.knows(name):
                # "le QPV Cité Blanche" may stand for a list; "les QPV du Nord" never does
                direct = m.group("article") is None
                out.append(Mention(name, [], Status.PRIORITY, p, WEAK, promotable=direct))
        if len(p.text) <= 60:  # a short heading or label naming a neighbourhood already found
            name = strip_prefix(clean_name(re.sub(r"\([^()]*\)\s*$", "", p.text).rstrip(" :")))
            if name and not generic(name):
                out.append(Mention(name, lexicon.section_communes(p), Status.PRIORITY, p, FAINT))
    return out
