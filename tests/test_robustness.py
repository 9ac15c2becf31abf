"""Hostile and broken inputs: one clear line each, the other documents still built, nothing
half-written, the previous build intact — including after a build killed with SIGKILL."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest

from ingest.corpus import Ingested, ingest_paths
from ingest.errors import IngestError

ROOT = Path(__file__).resolve().parent.parent
GOOD = ("Contrat de ville de la Communauté d'Agglomération du Test.\n\n"
        "La CAF du Nord s'engage à soutenir la parentalité dans les quartiers prioritaires.\n")


def _pdf(path: Path, pages: int = 1, text: str = "Contrat de ville. La Région s'engage à agir.") -> Path:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page().insert_text((72, 72), text)
    doc.save(path)
    doc.close()
    return path


def _image_only_pdf(path: Path) -> Path:
    src = pymupdf.open()
    src.new_page().insert_text((72, 100), "Contrat de ville scanné", fontsize=24)
    pix = src[0].get_pixmap(dpi=100)
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(page.rect, pixmap=pix)
    doc.save(path)
    return path


def _make_cases(folder: Path) -> dict[str, str]:
    """File name -> words the error line must contain."""
    good_pdf = _pdf(folder / "seed.pdf").read_bytes()
    cases: dict[str, str] = {}

    def add(name: str, content: bytes, expect: str) -> None:
        (folder / name).write_bytes(content)
        cases[name] = expect

    add("empty.pdf", b"", "empty")
    add("empty.txt", b"", "empty")
    add("spaces.txt", b" \n\t\n  \n", "empty")
    add("truncated.pdf", good_pdf[: len(good_pdf) // 3], "")
    add("random.pdf", os.urandom(4096), "")
    add("html-named.pdf", b"<html><body>not a pdf</body></html>", "")
    add("binary.txt", os.urandom(2048) + b"\x00" * 64, "binary")
    add("nul-bytes.txt", b"Contrat\x00de\x00ville" * 50, "binary")
    add("header-only.pdf", b"%PDF-1.7\n", "")
    add("garbage-after-header.pdf", b"%PDF-1.4\n" + os.urandom(3000), "")
    add("notes.docx", b"PK\x03\x04fake office file", "unsupported")
    add("table.xlsx", b"PK\x03\x04", "unsupported")
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    doc.save(folder / "encrypted.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    cases["encrypted.pdf"] = "encrypt"
    (folder / "seed.pdf").unlink()
    (folder / "dir.pdf").mkdir()
    (folder / "dead-link.txt").symlink_to(folder / "nowhere.txt")
    cases["dead-link.txt"] = "broken"
    (folder / "loop").symlink_to(folder)
    cases["loop"] = "loop"
    return cases


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "hostile"
    folder.mkdir()
    cases = _make_cases(folder)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "latin1.txt").write_bytes(GOOD.encode("cp1252"))
    _pdf(folder / "good.pdf")
    return folder, cases


def test_each_bad_file_gets_one_clear_line_and_good_ones_are_read(hostile) -> None:
    folder, cases = hostile
    results = list(ingest_paths([folder]))
    errors = [r for r in results if isinstance(r, IngestError)]
    good = sorted(Path(r.document.path).name for r in results if isinstance(r, Ingested))
    assert good == ["good.pdf", "good.txt", "latin1.txt"]
    assert len(errors) >= 15
    for name, expect in cases.items():
        line = next((str(e) for e in errors if Path(e.path).name == name or name in e.path), None)
        assert line is not None, f"no error reported for {name}"
        assert "\n" not in line and "Traceback" not in line
        assert expect.lower() in line.lower(), line


def test_zero_page_pdf(tmp_path: Path) -> None:
    path = tmp_path / "zero.pdf"
    # A syntactically valid PDF whose page tree is empty (PyMuPDF refuses to save one).
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                     b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    (result,) = list(ingest_paths([path]))
    assert isinstance(result, IngestError)
    assert "page" in str(result).lower()


def test_image_only_pdf_without_tesseract_warns_and_names_packages(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CONTRATS_TESSERACT", "0")
    (result,) = list(ingest_paths([_image_only_pdf(tmp_path / "scan.pdf")]))
    message = str(result) if isinstance(result, IngestError) else " ".join(result.document.warnings)
    assert "tesseract-ocr" in message and "1" in message


@pytest.mark.slow
def test_thousand_page_pdf(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "long.pdf", pages=1000,
                text="La Région s'engage à développer la mobilité des habitants.")
    (result,) = list(ingest_paths([path]))
    assert isinstance(result, Ingested)
    assert result.document.page_count == 1000
    assert {p.page for p in result.passages} >= {1, 500, 1000}


def _build(corpus: Path, data: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg.cli", "build", str(corpus), "--data", str(data), *extra],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)


@pytest.mark.slow
def test_build_survives_hostile_corpus_and_keeps_previous_build(hostile, tmp_path: Path) -> None:
    folder, _ = hostile
    data = tmp_path / "data"
    good_only = tmp_path / "good"
    good_only.mkdir()
    shutil.copy(folder / "good.txt", good_only / "good.txt")
    first = _build(good_only, data)
    assert first.returncode == 0, first.stderr
    before = (data / "current").resolve()

    result = _build(folder, data)
    assert result.returncode == 0, result.stderr
    assert sum(line.startswith("error:") for line in result.stderr.splitlines()) >= 15
    summary = json.loads(((data / "current").resolve() / "summary.json").read_text())
    # good.txt and good.pdf share the id "good": the second is reported and skipped, not fatal.
    assert {d["id"] for d in summary["documents"]} == {"good", "latin1"}
    assert any("same document id" in f for f in summary["failures"])

    nothing = tmp_path / "nothing"
    nothing.mkdir()
    (nothing / "empty.txt").write_bytes(b"")
    failed = _build(nothing, data)
    assert failed.returncode != 0
    assert "previous build" in failed.stderr
    assert (data / "current").resolve().exists()
    assert before.name != (data / "current").resolve().name


@pytest.mark.slow
def test_build_killed_with_sigkill_leaves_last_good_build(tmp_path: Path) -> None:
    data = tmp_path / "data"
    small = tmp_path / "small"
    small.mkdir()
    (small / "good.txt").write_text(GOOD, encoding="utf-8")
    assert _build(small, data).returncode == 0
    good = (data / "current").resolve()
    good_summary = (good / "summary.json").read_text()

    proc = subprocess.Popen([sys.executable, "-m", "kg.cli", "build", str(ROOT / "corpus"), "--data", str(data)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not list((data / "builds").glob(".tmp-*")):
        time.sleep(0.05)
    time.sleep(2.0)  # well inside the build: extraction or indexing
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (data / "current").resolve() == good
    assert (good / "summary.json").read_text() == good_summary
    from kg.search.index import SearchIndex

    SearchIndex.load(good / "index")  # still loads and is consistent
    again = _build(small, data)
    assert again.returncode == 0
    assert not list((data / "builds").glob(".tmp-*"))


def test_a_full_disk_is_recognised_whoever_raises_it() -> None:
    """Python's own writes raise OSError with errno ENOSPC; Oxigraph's RocksDB raises an OSError
    without errno whose message carries the system's words. Both end the build in one line, the
    previous build kept (tests/robustness: a real full tmpfs); any other OSError is not the disk."""
    import errno
    import os

    from ingest.errors import disk_error

    assert disk_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) == os.strerror(errno.ENOSPC)
    rocks = OSError("IO error: DB::Open() failed --- Unable to persist Options file: IO error: "
                    "No space left on device: While appending to file: /data/store/OPTIONS-000006.dbtmp")
    assert rocks.errno is None and disk_error(rocks) == os.strerror(errno.ENOSPC)
    assert disk_error(OSError(errno.EROFS, "Read-only file system")) == "Read-only file system"
    assert disk_error(OSError(errno.ENOENT, "No such file or directory")) is None
    assert disk_error(ValueError("No space left on device")) is None
