"""The build's JSON-lines files: written whole or not at all."""

from __future__ import annotations

import pytest

from kg.jsonl import read_jsonl, write_jsonl


def test_an_interrupted_write_leaves_the_previous_file_and_no_temporary(tmp_path) -> None:
    path = tmp_path / "new-folder" / "rows.jsonl"
    assert write_jsonl(path, [{"a": 1}, {"b": "é"}]) == 2
    assert read_jsonl(path) == [{"a": 1}, {"b": "é"}]

    def rows():
        yield {"a": 2}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl(path, rows())
    assert read_jsonl(path) == [{"a": 1}, {"b": "é"}]
    assert [p.name for p in path.parent.iterdir()] == ["rows.jsonl"]
    assert write_jsonl(path, []) == 0 and path.read_text() == ""
