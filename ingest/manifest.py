"""The corpus manifest, and metadata guessed from a document's text when it has no row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ingest.model import DocumentMeta

MANIFEST_NAMES = ("manifest.csv",)
# The name may wrap once after "Communauté d'Agglomération", but never runs on past its line: the
# next line is a heading ("Engagements des partenaires"), not more of the name.
_EPCI = re.compile(
    r"(Communaut[ée][ \t]+(?:d['’][ \t]*Agglom[ée]ration|Urbaine|de[ \t]+Communes)[ \t]*\n?[ \t]*"
    r"(?:de[ \t]+|du[ \t]+|d['’][ \t]*)?"
    r"[A-ZÉÈ][\w'’\-]+(?:[ \t\-]+(?:de[ \t]+|du[ \t]+|la[ \t]+|le[ \t]+|des[ \t]+|d['’])?[A-ZÉÈ][\w'’\-]+){0,4}"
    r"|[A-ZÉÈ][\w\-]+[ \t]+M[ée]tropole)"
)
_PERIOD = re.compile(r"\b(20[012]\d)\s*[-–/à]\s*(20[0-4]\d)\b")


def slugify(text: str) -> str:
    from ingest.normalise import fold

    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


def load_manifest(corpus_dir: Path) -> dict[str, tuple[str, DocumentMeta]]:
    """File name -> (document id, metadata), from `corpus_dir/manifest.csv` if present."""
    for name in MANIFEST_NAMES:
        path = corpus_dir / name
        if path.exists():
            break
    else:
        return {}
    rows: dict[str, tuple[str, DocumentMeta]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            meta = DocumentMeta(
                territory=row.get("territory") or None,
                territory_short=row.get("territory_short") or None,
                siren=row.get("siren") or None,
                contract_code=row.get("contract_code") or None,
                title=row.get("title") or None,
                period_start=int(row["period_start"]) if row.get("period_start") else None,
                period_end=int(row["period_end"]) if row.get("period_end") else None,
                generation=row.get("generation") or None,
                source_format=row.get("source_format") or None,
                amends=row.get("amends") or None,
                notes=row.get("notes") or None,
                from_manifest=True,
            )
            rows[row["file"]] = (row.get("document_id") or slugify(Path(row["file"]).stem), meta)
    return rows


def guess_meta(text: str, source_format: str) -> DocumentMeta:
    """Best-effort metadata from the first pages of a document that has no manifest row."""
    head = text[:20000]
    territory = None
    m = _EPCI.search(head)
    if m:
        territory = re.sub(r"\s+", " ", m.group(1)).strip()
    start = end = None
    periods = _PERIOD.findall(head)
    if periods:
        start, end = (int(x) for x in periods[0])
    lowered = head.lower()
    if "quartiers 2030" in lowered or (start and start >= 2023):
        generation = "2024"
    elif "engagements renforc" in lowered or (start and 2018 <= start <= 2020):
        generation = "2019"
    elif start and 2014 <= start <= 2016:
        generation = "2015"
    else:
        generation = None
    title = next((ln.strip() for ln in text.splitlines() if len(ln.strip()) > 8), None)
    return DocumentMeta(
        territory=territory, title=title[:200] if title else None, period_start=start,
        period_end=end, generation=generation, source_format=source_format,
    )
