"""A synthetic national corpus: one contract per real contrat de ville of 2024 (about 385 EPCIs).

Each synthetic contract is a shipped contract (taken in turn) rewritten for another EPCI of the
ANCT list: its territory names replaced by the target EPCI's, its QPV names (from the QPV
reference table) replaced by the target's real QPV names, and its paragraphs lightly shuffled
within sections so that no two contracts are identical. The manifest gives the target's SIREN
and contract code, so the graph links to official identifiers as for real contracts.

    .venv/bin/python benchmarks/make_synthetic_corpus.py --out /tmp/national --count 385
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reference(path: Path) -> tuple[dict[str, list[str]], dict[str, str]]:
    qpv_by_epci: dict[str, list[str]] = defaultdict(list)
    name_by_epci: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["siren_epci"] != "NA":
                qpv_by_epci[row["siren_epci"]].append(row["lib_qp"])
                name_by_epci[row["siren_epci"]] = row["lib_epci"].replace('"', "")
            # Commune-level contracts are keyed by the INSEE code of the commune.
            qpv_by_epci[row["insee_com"]].append(row["lib_qp"])
            name_by_epci.setdefault(row["insee_com"], f"Ville de {row['lib_com']}")
    return qpv_by_epci, name_by_epci


def _shuffle_paragraphs(text: str, rng: random.Random) -> str:
    """Swap a few neighbouring paragraphs: same genre, different document."""
    paragraphs = text.split("\n\n")
    for _ in range(len(paragraphs) // 10):
        i = rng.randrange(1, max(2, len(paragraphs) - 1))
        paragraphs[i - 1], paragraphs[i] = paragraphs[i], paragraphs[i - 1]
    return "\n\n".join(paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=385)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    qpv_by_epci, name_by_epci = _reference(ROOT / "reference" / "qpv_2024_communes.csv")
    with (ROOT / "reference" / "contrats_de_ville_2024.csv").open(encoding="utf-8", newline="") as f:
        contracts = [r for r in csv.DictReader(f) if r["codgeo"] in qpv_by_epci]
    seen: set[str] = set()
    targets = [c for c in contracts if not (c["codgeo"] in seen or seen.add(c["codgeo"]))][: args.count]
    with (ROOT / "corpus" / "manifest.csv").open(encoding="utf-8", newline="") as f:
        bases = [r for r in csv.DictReader(f) if r["generation"] == "2024"]

    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for n, target in enumerate(targets):
        base = bases[n % len(bases)]
        text = (ROOT / "corpus" / base["file"]).read_text(encoding="utf-8")
        target_name = name_by_epci.get(target["codgeo"], target["lib_cv"].split(" - ", 1)[-1])
        short = re.sub(r"[^A-Z]", "", target_name)[:6] or f"T{n}"
        text = re.sub(re.escape(base["territory"]), target_name, text, flags=re.IGNORECASE)
        text = re.sub(rf"\b{re.escape(base['territory_short'])}\b", short, text)
        their_qpv = qpv_by_epci[target["codgeo"]]
        for i, qpv in enumerate(sorted(set(qpv_by_epci[base["siren"]]), key=len, reverse=True)):
            text = re.sub(re.escape(qpv), their_qpv[i % len(their_qpv)], text, flags=re.IGNORECASE)
        name = f"synthetic-{target['code_cv'].lower()}.txt"
        (args.out / name).write_text(_shuffle_paragraphs(text, rng), encoding="utf-8")
        rows.append({"file": name, "document_id": f"synthetic-{target['code_cv'].lower()}",
                     "territory": target_name, "territory_short": short, "siren": target["codgeo"] if len(target["codgeo"]) == 9 else "",
                     "contract_code": target["code_cv"], "title": f"Contrat de ville {target_name} (synthétique)",
                     "period_start": "2024", "period_end": "2030", "generation": "2024", "source_format": "text",
                     "amends": "", "notes": f"synthetic: rewritten from {base['document_id']}"})
    with (args.out / "manifest.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} synthetic contracts in {args.out}")


if __name__ == "__main__":
    main()
