"""The official code tables of reference/: read once per file, as typed rows.

`qpv_2024_communes.csv` (one row per QPV and commune: QPV code and name, commune INSEE code,
department, intercommunality SIREN and name) and `contrats_de_ville_2024.csv` (one row per
contract: the signing body's SIREN or commune code, the contract code, its label and
department). Missing values are written "NA" there; they are "" here. Extraction stages ask this
module, never the CSV files, so the tables' format is known in one place.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

QPV_TABLE = "qpv_2024_communes.csv"
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
def contract_rows(path: Path) -> tuple[ReferenceContract, ...]:
    """Rows of a contracts table (a file in the format of reference/contrats_de_ville_2024.csv)."""
    if not path.exists():
        return ()
    return tuple(ReferenceContract(r["codgeo"], r["code_cv"], r["lib_cv"].split(" - ", 1)[-1],
                                   _department(r.get("insee_dep", "")))
                 for r in _rows(path) if r.get("codgeo"))


def qpv_table(folder: Path | str) -> tuple[ReferenceQpv, ...]:
    return qpv_rows(Path(folder) / QPV_TABLE)


def contract_table(folder: Path | str) -> tuple[ReferenceContract, ...]:
    return contract_rows(Path(folder) / CONTRACT_TABLE)


# Words that say what kind of intercommunality a name is, not which one: "Communauté
# d'agglomération Maubeuge-Val de Sambre" and "CA Maubeuge Val de Sambre" are the same body.
_EPCI_FILLER = frozenset({
    "communaute", "agglomeration", "urbaine", "communes", "metropole", "eurometropole", "ept",
    "ca", "cu", "cc", "d", "de", "du", "des", "l", "la", "le", "et",
})


def epci_key(name: str) -> str:
    """The identifying words of an intercommunality's name, folded ("maubeuge val sambre")."""
    import re

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
