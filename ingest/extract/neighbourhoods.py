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
from collections.abc import Sequence

from ingest.extract.neighbourhood_grouping import (
    FAINT,
    STRONG,
    WEAK,
    Mention,
    group_mentions,
    to_neighbourhood,
)
from ingest.extract.neighbourhood_text import (
    QPV_CODE,
    CommuneLexicon,
    clean_name,
    code_in,
    cues,
    fold_cut,
    generic,
    key_of,
    plausible,
    status_in,
    strip_article,
    strip_prefix,
    whole_commune,
)
from ingest.model import (
    BlockKind,
    Document,
    Neighbourhood,
    Passage,
    Status,
)

_SEVERAL_WORDS = re.compile(r"^([A-ZÀ-Ý][\w'’-]*(?:,\s*[A-ZÀ-Ý][\w'’-]*)+)\s+(.+)$")
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
    r"\b(?i:quartiers?|qpv|cités?)\s+(?:(?i:de la|de l'|du|des|de|d')\s*)?«\s*(?P<name>[^»]{2,60}?)\s*»")
_NAME_COMMUNE = re.compile(  # "du Roy de Blicquy (Crespin)" in running text
    r"(?P<name>[A-ZÀ-Ý][\w'’-]*(?:\s+(?:[A-ZÀ-Ý][\w'’-]*|de|du|des|la|le|les|l'|d'|et|[-–/])){0,6})"
    r"\s*\((?P<commune>[A-ZÀ-Ý][^()]{1,40})\)")
_FIGURE_ROW = re.compile(
    r"(?P<name>[A-ZÀ-Ý][^()%\d]{2,70}?)\s*\(\s*(?P<commune>[A-ZÀ-Ý][^()\d]{1,60}?)\s*\)\s*\d{1,3}(?:[,.]\d+)?\s*%")
_NUMBERING = re.compile(r"^\s*([IVX]+|\d+)\s*[•.)\-–]\s")
_PAREN_END = re.compile(r"^(?P<name>.{2,90}?)\s*\((?P<paren>[^()]{1,60})\)\s*[;.:,]?\s*$")
_A_COMMUNE = re.compile(r"^(?P<name>.{2,90}),?\s+à\s+(?P<commune>[A-ZÀ-Ý][^;:()]{1,60}?)\s*[;.:,]?\s*$")
_QUARTIER_OF_COMMUNE = re.compile(
    r"\bquartiers?\s+(?:prioritaires?\s+)?(?P<name>(?:du |des |de la |de l'|d'|de )?[A-ZÀ-Ý][\w'’ -]{1,50}?)"
    r"\s+(?:de la (?:commune|ville) |à )(?:de |d')?(?P<commune>[A-ZÀ-Ý][\w'’]*(?:-[\w'’]+)*)")


def extract_neighbourhoods(document: Document, passages: Sequence[Passage]) -> list[Neighbourhood]:
    """The neighbourhoods a contract names, each with its spellings, communes, code and status."""
    lexicon = CommuneLexicon.from_passages(passages)
    consumed: set[str] = set()
    mentions: list[Mention] = []
    mentions += _from_tables(passages, lexicon, consumed)
    mentions += _from_pseudo_tables(passages, lexicon, consumed)
    mentions += _from_codes(passages, lexicon, consumed)
    mentions += _from_figure_rows(passages, lexicon, consumed)
    mentions += _from_lists(passages, lexicon, consumed)
    mentions += _from_inline_lists(passages, lexicon, consumed)
    mentions += _from_short_lines(passages, lexicon, consumed)
    mentions += _from_prose(passages, lexicon, consumed)
    if not any(m.strength == STRONG for m in mentions):
        # no table, list or caption: the QPV named as such in running text are all there is
        for m in mentions:
            m.strength = STRONG if m.promotable else m.strength
    territory = {fold_cut(t) for t in (document.meta.territory, document.meta.territory_short) if t}
    mentions = [m for m in mentions if fold_cut(m.name) not in territory]
    groups = group_mentions(mentions, lexicon)
    return [to_neighbourhood(g, lexicon) for g in groups]


# --- sources ---------------------------------------------------------------------------------


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"\s*\|\s*", row)]


def _header_role(cell: str) -> str | None:
    folded = " ".join(re.findall(r"\w+", fold_cut(cell)))
    for role in ("code", "commune", "neighbourhood"):
        if any(folded == h or folded.startswith(h + " ") for h in cues()["table_headers"][role]):
            return role
    return None


def _context_status(passages: Sequence[Passage], i: int, default: Status = Status.PRIORITY) -> Status:
    """Status announced by the lead-in just before position i, else by the section heading."""
    if i > 0 and _is_lead_in(passages[i - 1].text):
        status = status_in(passages[i - 1].text[-300:])
        if status is not None:
            return status
    if passages[i].section_path:
        return status_in(passages[i].section_path[-1]) or default
    return default


def _is_lead_in(text: str) -> bool:
    folded = fold_cut(text)[-300:]
    return any(re.search(p, folded) for p in cues()["list_lead_ins"])


def _from_tables(passages, lexicon, consumed) -> list[Mention]:
    out: list[Mention] = []
    i = 0
    while i < len(passages):
        if passages[i].kind != BlockKind.TABLE_ROW:
            i += 1
            continue
        j = i
        while j < len(passages) and passages[j].kind == BlockKind.TABLE_ROW:
            j += 1
        out += _read_table(passages, i, j, lexicon, consumed)
        i = j
    return out


def _read_table(passages, start, end, lexicon, consumed) -> list[Mention]:
    header = _cells(passages[start].text)
    roles = [_header_role(c) for c in header]
    body = range(start + 1, end)
    if "neighbourhood" not in roles:  # no header: trusted only right after a lead-in
        if any(roles) or not (start > 0 and _is_lead_in(passages[start - 1].text)):
            return []
        roles = ["commune", "neighbourhood"] if len(header) > 1 else ["neighbourhood"]
        body = range(start, end)
    status = status_in(passages[start].text) or _context_status(passages, start)
    n_col, c_col = roles.index("neighbourhood"), roles.index("commune") if "commune" in roles else None
    code_col = roles.index("code") if "code" in roles else None
    out, commune = [], None
    for k in body:
        cells = _cells(passages[k].text)
        if c_col is not None and c_col < len(cells) and cells[c_col]:
            commune = cells[c_col]
            lexicon.add(commune)
        if n_col >= len(cells) or not cells[n_col]:
            continue
        raw = cells[code_col] if code_col is not None and code_col < len(cells) else None
        name = whole_commune(clean_name(QPV_CODE.sub("", cells[n_col])), commune)
        if generic(name) or _summary_row(name) or not re.search(r"[A-Za-zÀ-ÿ]{3}", name):
            continue
        if c_col is None and lexicon.knows(name):  # a row per commune: figures, not QPV
            continue
        consumed.add(passages[k].id)
        out.append(Mention(name, [commune] if commune else [], status, passages[k], STRONG,
                            code_in(raw) if raw else code_in(cells[n_col])))
    return _merge_intercommunal(out)


def _trim_connectors(name: str) -> str:
    """"Hauts de la" -> "Hauts": a name cut out of a sentence ends on a capitalised word."""
    return re.sub(r"(?:\s+(?:de|du|des|la|le|les|l'|d'|et|[-–/]))+\s*$", "", name)


def _summary_row(name: str) -> bool:
    words = re.findall(r"\w+", fold_cut(name))
    return bool(words) and words[0] in cues()["summary_row_words"]


def _merge_intercommunal(rows: list[Mention]) -> list[Mention]:
    """One long name repeated under several communes of a table is one intercommunal QPV."""
    out: list[Mention] = []
    for m in rows:
        same = next((o for o in out if fold_cut(o.name) == fold_cut(m.name)), None)
        key = key_of(m.name, ())
        if same and (len(key.split()) >= 3 or "intercommunal" in fold_cut(m.name)):
            same.communes += [c for c in m.communes if c not in same.communes]
        else:
            out.append(m)
    return out


def _from_pseudo_tables(passages, lexicon, consumed) -> list[Mention]:
    """Rows of a "COMMUNES QUARTIERS ..." table flattened to lines: "Commune[, Commune] Name (code)"."""
    out: list[Mention] = []
    for i, p in enumerate(passages):
        folded = fold_cut(p.text)
        if len(p.text) > 100 or not any(re.match(r, folded) for r in cues()["pseudo_table_headers"]):
            continue
        status = status_in(p.text) or Status.PRIORITY
        pending: list[str] = []
        for q in passages[i + 1:i + 60]:
            if q.kind == BlockKind.LIST_ITEM or len(q.text) > 160 or _NUMBERING.match(q.text):
                break
            if q.id in consumed:
                continue
            text = clean_name(q.text)
            communes, rest = lexicon.split_prefix(text)
            if _commune_list(text):  # the commune cell wrapped onto its own line
                pending = [c.strip() for c in text.split(",")]
                for c in pending:
                    lexicon.add(c)
                continue
            for c in communes:
                lexicon.add(c)
            raw = code_in(rest)
            rest = clean_name(QPV_CODE.sub("", rest))
            if not communes and pending:
                communes, pending = pending, []
            elif not communes:  # unknown communes: the first word(s), unless they start a name
                several = _SEVERAL_WORDS.match(rest)
                first, _, tail = rest.partition(" ")
                if several:
                    communes, rest = [c.strip() for c in several.group(1).split(",")], several.group(2)
                elif fold_cut(first) in cues()["name_first_words"] or not first[:1].isupper() or not tail:
                    if raw is None:
                        continue
                else:
                    communes, rest = [first], tail
                for c in communes:
                    lexicon.add(c)
            name = whole_commune(rest, communes[0] if communes else None)
            if generic(name) or not re.search(r"[A-Za-zÀ-ÿ]{2}", name):
                continue
            consumed.add(q.id)
            out.append(Mention(name, communes, Status.PRIORITY if raw else status, q, STRONG, raw))
    return out


def _commune_list(text: str) -> bool:
    """"Anzin, Beuvrages, Valenciennes": a line made only of capitalised names and commas."""
    parts = [c.strip() for c in text.split(",")]
    return len(parts) > 1 and code_in(text) is None and all(
        c[:1].isupper() and len(c.split()) <= 4 and fold_cut(c.split()[0]) not in cues()["name_first_words"]
        for c in parts)


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
        if re.search(r"[A-Za-zÀ-ÿ]{3}", after) and not bracketed:
            name, communes = after, lexicon.trailing(before)
        else:
            communes, name = lexicon.split_prefix(clean_name(before))
            name = strip_prefix(clean_name(name))
        name = clean_name(name)
        if generic(name):
            continue
        consumed.add(p.id)
        out.append(Mention(name, communes, Status.PRIORITY, p, STRONG, code_in(m.group(1))))
    return out


def _from_figure_rows(passages, lexicon, consumed) -> list[Mention]:
    """A figures table flattened to lines, "La Pépinière (St-Saulve) 52,4%", right after text
    about priority neighbourhoods: three such rows at least. A name whose figures went to the
    next line (OCR) stands alone between two rows."""
    out: list[Mention] = []
    i = 0
    while i < len(passages):
        rows: list[tuple[Passage, str, str | None]] = []
        last, j = None, i
        while j < len(passages) and len(passages[j].text) <= 200 and passages[j].kind != BlockKind.HEADING:
            text = passages[j].text
            found = list(_FIGURE_ROW.finditer(text))
            if found:
                rows += [(passages[j], m.group("name"), m.group("commune")) for m in found]
                last = j
                if tail := text[found[-1].end():].strip():
                    rows.append((passages[j], tail, None))
            elif last is None or j - last > 1:
                break
            else:
                rows.append((passages[j], text, None))
            j += 1
        context = " ".join(p.text for p in passages[max(0, i - 3):i])
        if sum(1 for *_, c in rows if c) >= 3 and status_in(context) is not None:
            status = status_in(context[-400:]) or Status.PRIORITY
            end = max(k for k, (*_, c) in enumerate(rows) if c)
            for p, text, commune_text in rows[:end + 1]:
                name = clean_name(text)
                communes = _commune_names(commune_text, lexicon) if commune_text else []
                for c in communes:
                    lexicon.add(c)
                alone_ok = commune_text or (not re.search(r"\d", name) and name[:1].isupper())
                if alone_ok and plausible(name) and not lexicon.knows(name):
                    out.append(Mention(name, communes, status, p, STRONG))
                consumed.add(p.id)
        i = max(j, i + 1)
    return out


def _commune_names(text: str, lexicon: CommuneLexicon) -> list[str]:
    """"Onnaing, Vicq" -> two communes, known to the document or not."""
    known = lexicon.split_list(text)
    if len(known) > 1 or lexicon.knows(text):
        return known
    parts = [c.strip() for c in re.split(r",|/|\bet\b", text) if c.strip()]
    return parts if all(c[:1].isupper() for c in parts) else [text.strip()]


def _from_lists(passages, lexicon, consumed) -> list[Mention]:
    """List items after a lead-in such as "Les quartiers prioritaires sont les suivants :"."""
    out: list[Mention] = []
    for i, p in enumerate(passages):
        if p.kind == BlockKind.TABLE_ROW or not _is_lead_in(p.text):
            continue
        stated = status_in(p.text[-300:])
        strength = STRONG if stated is not None else WEAK
        for q in passages[i + 1:i + 40]:
            if q.kind != BlockKind.LIST_ITEM:
                break
            if q.id in consumed:
                continue
            m = _parse_item(q.text, q, lexicon, stated or Status.PRIORITY, strength)
            if m is not None:
                m.promotable = True
                consumed.add(q.id)
                out.append(m)
    return out


def _from_inline_lists(passages, lexicon, consumed) -> list[Mention]:
    """"Le contrat compte 3 quartiers prioritaires : A (Commune), B et C." in one paragraph."""
    out: list[Mention] = []
    for p in passages:
        if p.id in consumed or p.kind == BlockKind.TABLE_ROW or len(p.text) > 800:
            continue
        for colon in re.finditer(r":", p.text):
            before, after = p.text[:colon.end()], p.text[colon.end():].strip().rstrip(".")
            if not after or not _is_lead_in(before):
                continue
            after = re.split(r"\.\s", after)[0]  # the enumeration ends with its sentence
            items = [i for i in re.split(r"\s*[;,]\s*|\s+et\s+", after) if i.strip()]
            stated = status_in(before[-300:])
            found = [_parse_item(i, p, lexicon, stated or Status.PRIORITY,
                                 STRONG if stated else WEAK) for i in items]
            if len(items) >= 2 and all(found) and all(len(i.split()) <= 8 for i in items):
                out += [m for m in found if m is not None]
                consumed.add(p.id)
                break
    return out


def _parse_item(text: str, p: Passage, lexicon, status: Status, strength: int) -> Mention | None:
    """One neighbourhood written as "Name", "Name (Commune)", "Name à Commune", "Commune : Name"."""
    text = re.sub(r"^(?:la|le|les|l'|l’)\s*(?=[A-ZÀ-Ý0-9])", "", clean_name(text))  # "la Résidence X"
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
    name = strip_prefix(clean_name(text))
    if not plausible(name) or not (name[:1].isupper() or name[:1].isdigit()):
        return None
    return Mention(name, communes, status, p, strength)


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
            if plausible(name):
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
        if not plausible(name):
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
            if plausible(name):
                out.append(Mention(name, [m.group("commune")], Status.PRIORITY, p,
                                   STRONG if explicit else WEAK))
        for m in _QUOTED_QUARTIER.finditer(p.text):
            name = clean_name(m.group("name"))
            if plausible(name):
                out.append(Mention(name, [], Status.PRIORITY, p, WEAK))
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
