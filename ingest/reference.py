"""The official code tables of reference/: read once per file, as typed rows.

`qpv_2024_communes.csv` (one row per QPV and commune: QPV code and name, commune INSEE code,
department, intercommunality SIREN and name) and `contrats_de_ville_2024.csv` (one row per
contract: the signing body's SIREN or commune code, the contract code, its label and
department). Missing values are written "NA" there; they are "" here. Extraction stages ask this
module, never the CSV files, so the tables' format is known in one place.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

QPV_TABLE = "qpv_2024_communes.csv"
QPV_TABLE_FULL = "qpv_2024_communes_full.csv"  # every 2024 QPV and every one of its communes
QPV_TABLE_2015 = "qpv_2015_communes.csv"
CORRESPONDENCE_TABLE = "qpv_correspondance_2024_2015.csv"
CONTRACT_TABLE = "contrats_de_ville_2024.csv"


@dataclass(frozen=True)
class ReferenceQpv:
    code: str
    name: str
    insee: str  # commune
    commune: str
    siren_epci: str
    epci: str
    department: str = ""  # INSEE department code, "59", "2A", "971"
    variants: tuple[str, ...] = ()  # other spellings of the name (2015 table)
    successors: tuple[str, ...] = ()  # 2015 table: the 2024 QPV (QN…) that continue this one


@dataclass(frozen=True)
class ReferenceContract:
    key: str  # SIREN of the intercommunality, or INSEE code of a commune that signs alone
    code: str  # contract code, "CN05901M"
    name: str  # label without its department prefix ("CA Maubeuge Val de Sambre")
    department: str = ""


def _department(code: str) -> str:
    """'059' -> '59': the contracts table pads department codes to three characters."""
    return code[1:] if len(code) == 3 and code[0] == "0" else code


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v or "").strip() if v != "NA" else "" for k, v in row.items()} for row in csv.DictReader(f)]


@cache
def qpv_rows(path: Path) -> tuple[ReferenceQpv, ...]:
    """Rows of a QPV table (a file in the format of reference/qpv_2024_communes.csv)."""
    if not path.exists():
        return ()
    return tuple(ReferenceQpv(r["code_qp"], r["lib_qp"], r["insee_com"], r["lib_com"], r["siren_epci"],
                              r["lib_epci"].replace('"', "").strip(), _department(r.get("insee_dep", "")))
                 for r in _rows(path) if r.get("code_qp"))


@cache
def qpv_2015_rows(path: Path) -> tuple[ReferenceQpv, ...]:
    """Rows of the 2015 QPV table (reference/qpv_2015_communes.csv): one row per 2015 QPV (QP…)
    and commune, with the 2024 intercommunality it lies in and its 2024 successors."""
    if not path.exists():
        return ()
    return tuple(ReferenceQpv(r["code_qp2015"], r["lib_qp2015"], r["insee_com"], r["lib_com"],
                              r["siren_epci_2024"], r["lib_epci_2024"].replace('"', "").strip(),
                              _department(r.get("insee_dep", "")),
                              tuple(v.strip() for v in r.get("lib_qp2015_variants", "").split(";") if v.strip()),
                              tuple(c.strip() for c in r.get("qp2024_successors", "").split(";") if c.strip()))
                 for r in _rows(path) if r.get("code_qp2015"))


@cache
def correspondence_rows(path: Path) -> dict[str, tuple[str, ...]]:
    """2024 QPV code -> the 2015 QPV codes it continues (ANCT correspondence table
    reference/qpv_correspondance_2024_2015.csv; empty for a new QPV)."""
    if not path.exists():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for r in _rows(path):
        codes = tuple(r[k] for k in ("qp2015_1", "qp2015_2", "qp2015_3") if r.get(k))
        if r.get("qp2024"):
            out[r["qp2024"]] = codes
    return out


@cache
def contract_rows(path: Path) -> tuple[ReferenceContract, ...]:
    """Rows of a contracts table (a file in the format of reference/contrats_de_ville_2024.csv)."""
    if not path.exists():
        return ()
    return tuple(ReferenceContract(r["codgeo"], r["code_cv"], r["lib_cv"].split(" - ", 1)[-1],
                                   _department(r.get("insee_dep", "")))
                 for r in _rows(path) if r.get("codgeo"))


def qpv_table_path(folder: Path | str) -> Path:
    """The QPV-by-commune table neighbourhoods are linked with: the complete one (all 1,584 QPV of
    2024 and every commune of each) when the folder has it, else the older partial one."""
    full = Path(folder) / QPV_TABLE_FULL
    return full if full.exists() else Path(folder) / QPV_TABLE


def qpv_table(folder: Path | str) -> tuple[ReferenceQpv, ...]:
    return qpv_rows(Path(folder) / QPV_TABLE)


def qpv_table_full(folder: Path | str) -> tuple[ReferenceQpv, ...]:
    return qpv_rows(Path(folder) / QPV_TABLE_FULL) or qpv_table(folder)


def qpv_table_2015(folder: Path | str) -> tuple[ReferenceQpv, ...]:
    return qpv_2015_rows(Path(folder) / QPV_TABLE_2015)


def correspondence(folder: Path | str) -> dict[str, tuple[str, ...]]:
    return correspondence_rows(Path(folder) / CORRESPONDENCE_TABLE)


def contract_table(folder: Path | str) -> tuple[ReferenceContract, ...]:
    return contract_rows(Path(folder) / CONTRACT_TABLE)


# The legal kinds of an intercommunality as they open its name, with the article after them:
# "Communauté d'agglomération de la Porte du Hainaut", "Métropole européenne de Lille", "EPT Plaine
# Commune". Removed, they leave the body's own name: the short forms of the gazetteer and of the
# organisations (ingest.extract), the short names a question may give a territory
# (kg.search.understand). Here, beside the tables that write these names, because the search may
# read this module and not the extraction's. The abbreviations the tables also use ("CA du
# Douaisis", "CC Bugey Sud") only the search removes: in the gazetteer they would add phrases, and
# change what extraction finds.
_EPCI_KINDS = (r"communaut[ée]\s+(?:d['’]\s*agglom[ée]ration|urbaine|de\s+communes)|m[ée]tropole|ept|"
               r"[ée]tablissement\s+public\s+territorial")
_EPCI_ABBREVIATIONS = r"ca|cu|cc"
_EPCI_ARTICLE = r"(?:de\s+la\s+|de\s+l['’]\s*|du\s+|des\s+|de\s+|d['’]\s*)?"
# A kind is a word of its own, followed by a space: "Cambrai" is not "CA mbrai", "Métropolitain"
# not a métropole, nor "Métropole-Nice" one.
EPCI_KIND = re.compile(rf"^(?:{_EPCI_KINDS})(?:\s+|$){_EPCI_ARTICLE}", re.IGNORECASE)
EPCI_KIND_OR_ABBREVIATION = re.compile(rf"^(?:{_EPCI_KINDS}|{_EPCI_ABBREVIATIONS})(?:\s+|$){_EPCI_ARTICLE}",
                                       re.IGNORECASE)

# Words that say what kind of intercommunality a name is, not which one: "Communauté
# d'agglomération Maubeuge-Val de Sambre" and "CA Maubeuge Val de Sambre" are the same body.
_EPCI_FILLER = frozenset({
    "communaute", "agglomeration", "urbaine", "communes", "metropole", "eurometropole", "ept",
    "ca", "cu", "cc", "d", "de", "du", "des", "l", "la", "le", "et",
})


def epci_key(name: str) -> str:
    """The identifying words of an intercommunality's name, folded ("maubeuge val sambre")."""
    from ingest.normalise import fold

    return " ".join(w for w in re.split(r"[^a-z0-9]+", fold(name)) if w and w not in _EPCI_FILLER)


def epci_by_name(name: str, candidates: Iterable[tuple[str, str]], min_score: float) -> str | None:
    """The SIREN among `candidates` (SIREN, official name) whose name matches `name` best, when
    the match scores at least `min_score` (rapidfuzz token_sort_ratio on `epci_key`, 0-100)."""
    from rapidfuzz import fuzz

    wanted = epci_key(name)
    if not wanted:
        return None
    best, best_score = None, 0.0
    for siren, official in candidates:
        score = fuzz.token_sort_ratio(wanted, epci_key(official))
        if score > best_score:
            best, best_score = siren, score
    return best if best_score >= min_score else None
