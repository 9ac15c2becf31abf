"""Neighbourhoods listed in tables: real tables ("Commune | Quartier", a row with an empty first
cell continuing the commune above), tables the text export flattened into "Commune Quartier
(code)" lines under a "COMMUNES QUARTIERS ..." header, and figures tables flattened by OCR into
"Name (Commune) 45,4%" lines. Called by ingest/extract/neighbourhoods/find.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ingest.extract.neighbourhoods.grouping import STRONG, WEAK, Mention
from ingest.extract.neighbourhoods.text import (
    QPV_CODE,
    CommuneLexicon,
    clean_name,
    code_in,
    cues,
    fold_cut,
    generic,
    is_lead_in,
    key_of,
    plausible,
    split_communes,
    status_in,
    whole_commune,
)
from ingest.model import BlockKind, Passage, Status

_SEVERAL_WORDS = re.compile(r"^([A-ZÀ-Ý][\w'’-]*(?:,\s*[A-ZÀ-Ý][\w'’-]*)+)\s+(.+)$")
_NUMBERING = re.compile(r"^\s*([IVX]+|\d+)\s*[•.)\-–]\s")
_FIGURE_ROW = re.compile(
    r"(?P<name>[A-ZÀ-Ý][^()%\d]{2,70}?)\s*\(\s*(?P<commune>[A-ZÀ-Ý][^()\d]{1,60}?)\s*\)\s*\d{1,3}(?:[,.]\d+)?\s*%")


def from_tables(passages, lexicon, consumed) -> list[Mention]:
    out: list[Mention] = []
    i = 0
    while i < len(passages):
        if passages[i].kind != BlockKind.TABLE_ROW:
            i += 1
            continue
        j = i + 1  # a table ends at the next non-row, or at the next header row
        while j < len(passages) and passages[j].kind == BlockKind.TABLE_ROW and not _is_header(passages[j]):
            j += 1
        out += _read_table(passages, i, j, lexicon, consumed)
        i = j
    return out


def _read_table(passages, start, end, lexicon, consumed) -> list[Mention]:
    header = _cells(passages[start].text)
    roles = [_header_role(c) for c in header]
    body = range(start + 1, end)
    if "neighbourhood" not in roles:  # no header: trusted only right after a lead-in
        if any(roles) or not (start > 0 and is_lead_in(passages[start - 1].text)):
            return []
        roles, header = _headerless_roles([_cells(passages[k].text) for k in range(start, end)], lexicon), []
        body = range(start, end)
    context = _context_status(passages, start)
    column = {role: roles.index(role) for role in ("commune", "code", "status") if role in roles}
    # a table of actions whose "QPV concernés" column refers to neighbourhoods named elsewhere:
    # its cells list several ("A, B") and only add spellings
    refers = bool(header) and roles.index("neighbourhood") > 0 and not (
        "code" in column or "commune" in column) and any(c and _header_role(c) is None for c in header)
    out: list[Mention] = []
    # "Quartiers prioritaires | Quartiers de veille": each column of names has its own status
    for n_col in (k for k, role in enumerate(roles) if role == "neighbourhood"):
        stated = status_in(header[n_col]) if header else None
        commune, rows = None, []
        for k in body:
            cells = _cells(passages[k].text)
            if commune_cell := _cell(cells, column, "commune"):
                commune = commune_cell
                lexicon.add(commune)
            if n_col >= len(cells) or not cells[n_col]:
                continue
            name = whole_commune(clean_name(QPV_CODE.sub("", cells[n_col])), commune)
            if generic(name) or _summary_row(name) or not re.search(r"[A-Za-zÀ-ÿ]{3}", name):
                continue
            if "commune" not in column and lexicon.knows(name):  # a row per commune: figures
                continue
            consumed.add(passages[k].id)
            status = status_in(_cell(cells, column, "status")) or stated or context
            communes = split_communes(commune) if commune else []
            if refers:
                rows += [Mention(part, communes, status, passages[k], WEAK)
                         for part in re.split(r"\s*[,;]\s*", name) if not generic(part) and not _summary_row(part)]
                continue
            rows.append(Mention(name, communes, status, passages[k], STRONG,
                                code_in(_cell(cells, column, "code")) or code_in(cells[n_col])))
        out += _merge_intercommunal(rows)
    return out


def _headerless_roles(rows: list[list[str]], lexicon: CommuneLexicon) -> list[str | None]:
    """The columns of a table without a header, read from what its cells hold: a column of QPV codes
    is the code ("QN07202I | Chaoué | Allonnes", a code-first listing), a column of names the
    lexicon knows as communes (one or several per cell) is the commune, and the first other column
    with text is the neighbourhood. Two columns of neither kind read as the usual "Commune |
    Quartier" (the communes of a territory are not all in the lexicon)."""
    width = max(len(r) for r in rows)
    filled = [[r[k] for r in rows if k < len(r) and r[k]] for k in range(width)]
    roles: list[str | None] = [None] * width
    for k, cells in enumerate(filled):
        if cells and all(QPV_CODE.fullmatch(c.strip()) for c in cells):
            roles[k] = "code"
        elif cells and all(split_communes(c) and all(lexicon.knows(x) for x in split_communes(c)) for c in cells):
            roles[k] = "commune"
    rest = [k for k in range(width) if roles[k] is None and filled[k]]
    if not rest:
        return ["neighbourhood"] if width == 1 else ["commune", "neighbourhood"]
    if "code" not in roles and "commune" not in roles and len(rest) >= 2:
        roles[rest[0]], roles[rest[1]] = "commune", "neighbourhood"
        return roles
    roles[rest[0]] = "neighbourhood"
    # After a code and a name, a column written like communes is theirs, known to the lexicon or not.
    if "code" in roles and "commune" not in roles and len(rest) >= 2 and \
            all(split_communes(c) for c in filled[rest[1]]):
        roles[rest[1]] = "commune"
    return roles


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"\s*\|\s*", row)]


def _cell(cells: list[str], column: dict[str, int], role: str) -> str:
    return cells[column[role]] if role in column and column[role] < len(cells) else ""


def _is_header(row: Passage) -> bool:
    """A row of column titles only ("Quartier | Commune | Statut")."""
    cells = [c for c in _cells(row.text) if c]
    return len(cells) >= 2 and all(_header_role(c) for c in cells)


def _header_role(cell: str) -> str | None:
    folded = " ".join(re.findall(r"\w+", fold_cut(cell)))
    for role in ("code", "commune", "status", "neighbourhood"):
        if any(folded == h or folded.startswith(h + " ") for h in cues()["table_headers"][role]):
            return role
    return None


def _context_status(passages: Sequence[Passage], i: int, default: Status = Status.PRIORITY) -> Status:
    """Status announced by the lead-in just before position i, else by the section heading."""
    if i > 0 and is_lead_in(passages[i - 1].text):
        status = status_in(passages[i - 1].text[-300:])
        if status is not None:
            return status
    if passages[i].section_path:
        return status_in(passages[i].section_path[-1]) or default
    return default


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


def from_pseudo_tables(passages, lexicon, consumed) -> list[Mention]:
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


def from_figure_rows(passages, lexicon, consumed) -> list[Mention]:
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
