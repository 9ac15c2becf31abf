"""Issue 12, item 7: the smaller items, each with its test (fast: no build)."""

from __future__ import annotations

import os
from pathlib import Path
from xml.dom import minidom

import pytest

from ingest.corpus import Ingested, discover, ingest_paths
from ingest.errors import IngestError
from tests.robustness.helpers import UTF16_TEXT, cli


def _one(paths) -> Ingested | IngestError:
    (result,) = list(ingest_paths(paths))
    return result


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read_not_refused_as_binary(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "lens.txt"
    path.write_bytes(UTF16_TEXT.encode(encoding))  # with a byte order mark, then without one
    result = _one([path])
    assert isinstance(result, Ingested), result
    assert "Liévin" in result.document.text and "s'engage" in result.document.text


def test_a_fifo_given_to_ingest_gets_an_error_line_and_never_blocks(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    result = _one([fifo])  # given by name (it used to yield nothing at all)
    assert isinstance(result, IngestError) and "FIFO" in str(result)
    result = _one([tmp_path])  # found in a folder
    assert isinstance(result, IngestError) and "FIFO" in str(result)
    out = tmp_path / "out"
    ingest = cli("ingest", str(fifo), "--out", str(out), timeout=120)
    assert ingest.returncode == 1
    assert next(line for line in ingest.stderr.splitlines() if line.startswith("error:")).endswith("skipped")


def test_a_symlink_loop_is_called_a_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop.name)
    for given in ([loop], [tmp_path]):
        files, errors = discover(given)
        assert not files and len(errors) == 1
        assert "loop" in str(errors[0]) and "no such file" not in str(errors[0])


def test_a_device_is_refused(tmp_path: Path) -> None:
    files, errors = discover([Path("/dev/null")])
    assert not files and "character device" in str(errors[0])


def test_file_size_and_page_caps_are_configurable(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Contrat de ville.\n\n" + "La CAF s'engage à aider les familles. " * 40_000, encoding="utf-8")
    monkeypatch.setenv("CONTRATS_MAX_TEXT_MB", "1")
    result = _one([path])
    assert isinstance(result, IngestError) and "file too large" in str(result) and "CONTRATS_MAX_TEXT_MB" in str(result)
    monkeypatch.setenv("CONTRATS_MAX_TEXT_MB", "20")
    monkeypatch.setenv("CONTRATS_MAX_PAGE_CHARS", "1000")
    result = _one([path])
    assert isinstance(result, IngestError) and "line 3" in str(result)


def test_document_time_budget(tmp_path: Path) -> None:
    from ingest.limits import DocumentTimeout, time_budget

    with pytest.raises(DocumentTimeout, match="CONTRATS_DOCUMENT_SECONDS"), time_budget("slow.pdf", 0.05):
        while True:  # a document that never ends
            pass


def test_negative_k_is_refused() -> None:
    for command in (["search", "emploi"], ["compare", "emploi"]):
        result = cli(*command, "--k", "-5", timeout=120)
        assert result.returncode == 2 and "-5" in result.stderr and "Traceback" not in result.stderr


def test_searcher_refuses_a_non_positive_k(small_build) -> None:
    from kg.facade import Build

    with pytest.raises(ValueError, match="positive"):
        Build.current(small_build).searcher().search("emploi", k=-5)


def test_xml_results_never_carry_raw_control_characters() -> None:
    import pyoxigraph as ox

    from kg.sparql.results import serialize_solutions

    body, _ = serialize_solutions(["x"], [[ox.Literal("bell\x07 form\x0c nul\x00 ok\t\n")]], "xml")
    text = minidom.parseString(body).getElementsByTagName("literal")[0].firstChild.data
    assert text == "bell\ufffd form\ufffd nul\ufffd ok\t\n"


def test_accept_q0_is_honoured() -> None:
    from kg.sparql.results import negotiate

    assert negotiate("application/sparql-results+xml;q=0, text/csv") == "csv"
    assert negotiate("text/csv;q=0.2, application/sparql-results+xml;q=0.9") == "xml"
    assert negotiate("text/csv;q=0") == "json"  # nothing acceptable that we have: the default
