"""The incremental build rebuilds exactly what changed (issue 13.4): the cache key covers the file,
its manifest row, the reference tables, the extraction model and the pipeline version."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from kg.build.pipeline import build, current_build, pipeline_inputs, pipeline_version
from kg.config import Settings
from tests.robustness.helpers import FAST_MODEL, ROOT, write_good_corpus

FIELDS = ["file", "document_id", "territory", "title", "generation"]


def _manifest(folder: Path, titles: dict[str, str]) -> None:
    with (folder / "manifest.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        for name, title in titles.items():
            w.writerow({"file": name, "document_id": Path(name).stem, "territory": "", "title": title,
                        "generation": "2024"})


def _titles(settings: Settings) -> dict[str, str]:
    rows = (json.loads(line) for line in (current_build(settings.data_dir) / "documents.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip())
    return {r["id"]: r["meta"]["title"] if "meta" in r else r.get("title") for r in rows}


@pytest.mark.slow
def test_each_change_rebuilds_what_it_must_and_nothing_else(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write_good_corpus(corpus)
    names = sorted(p.name for p in corpus.glob("*.txt"))
    _manifest(corpus, {n: f"Contrat {n}" for n in names})
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "reference", reference)
    settings = Settings(data_dir=tmp_path / "data", store="memory", model=FAST_MODEL, reference_dir=reference,
                        workers=1)
    quiet = {"log": lambda m: None}

    first = build([corpus], settings, **quiet)
    assert (len(first.documents), first.reused) == (2, 0)

    again = build([corpus], settings, **quiet)
    assert again.reused == 2, "an unchanged corpus rebuilds nothing"

    _manifest(corpus, {names[0]: "Un titre corrigé", names[1]: f"Contrat {names[1]}"})
    edited = build([corpus], settings, **quiet)
    assert edited.reused == 1, "a manifest edit rebuilds that document only"
    assert "Un titre corrigé" in json.dumps(_titles(settings), ensure_ascii=False)

    table = reference / "contrats_de_ville_2024.csv"
    table.chmod(0o644)
    table.write_text(table.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    referenced = build([corpus], settings, **quiet)
    assert referenced.reused == 0, "a changed reference table rebuilds every document"


def test_the_model_and_the_code_are_in_the_pipeline_version(tmp_path: Path) -> None:
    inputs = pipeline_inputs()
    names = {p.relative_to(ROOT).as_posix() for p in inputs}
    assert "ingest/data/extraction_model.json" in names
    assert "kg/graph/writer.py" in names and any(n.startswith("kg/ontology/") for n in names)
    # The reference tables have their own part of the key (reference_fingerprint), also when a
    # wheel holds them as a folder inside ingest/ (the checkout's link is not followed anyway).
    assert not any(n.startswith("ingest/data/reference/") for n in names)
    copies = []
    for p in inputs[:5]:
        copy = tmp_path / p.name
        copy.write_bytes(p.read_bytes())
        copies.append(copy)
    before = pipeline_version(copies)
    copies[-1].write_bytes(copies[-1].read_bytes() + b"\n# changed")
    assert pipeline_version(copies) != before


def test_a_missing_reference_table_is_said_not_silently_dropped(tmp_path: Path) -> None:
    from kg.build.pipeline import missing_reference

    empty = tmp_path / "empty"
    empty.mkdir()
    warnings = missing_reference(Settings(reference_dir=empty))
    assert len(warnings) == 4 and all("CONTRATS_REFERENCE" in w for w in warnings)
    assert any("SIREN" in w for w in warnings) and any("QN codes" in w for w in warnings)
    assert missing_reference(Settings(reference_dir=ROOT / "reference")) == []
