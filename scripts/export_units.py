"""Write the annotation sheets of the shipped documents: every unit, numbered, with its context.

    python scripts/export_units.py corpus/*.txt --out tests/gold/units

For each document, `<doc>.units.jsonl` (the unit table the labels refer to: short id, full unit
id, line, kind, text, section path) and `<doc>.sheet.txt` (the same, laid out for reading, with
each section heading printed where it changes). Annotators write `<doc>.labels.tsv` against the
short ids (tests/gold/GUIDE.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ingest.corpus import ingest_file
from ingest.units import units_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for f in args.files:
        ingested = ingest_file(f)
        doc = ingested.document.id
        units = units_of(ingested.passages)
        rows, sheet, last_path = [], [], None
        for n, u in enumerate(units, 1):
            short = f"u{n:05d}"
            path = list(u.passage.section_path)
            rows.append({"uid": short, "unit_id": u.id, "line": u.line, "page": u.passage.page,
                         "kind": str(u.kind), "text": u.text, "section_path": path})
            if path != last_path and u.kind != "heading":
                sheet.append(f"   [section: {' > '.join(path) or '-'}]")
                last_path = path
            tag = {"heading": "H", "paragraph": "P", "list_item": "LI", "table_row": "TR"}[str(u.kind)]
            sheet.append(f"{short} L{u.line} {tag} | {u.text}")
        (args.out / f"{doc}.units.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        (args.out / f"{doc}.sheet.txt").write_text("\n".join(sheet) + "\n", encoding="utf-8")
        print(doc, len(units))


if __name__ == "__main__":
    main()
