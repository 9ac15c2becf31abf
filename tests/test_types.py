"""mypy on the public seams (issue 13, item 6): the typed records, the settings and the facade,
as [tool.mypy] in pyproject.toml lists them, are clean. Slow: a cold mypy run takes ~40 s here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_public_seams_type_check() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


@pytest.mark.slow
def test_mypy_sees_a_type_error_in_a_seam(tmp_path: Path) -> None:
    """The check can fail: a record built with a wrong type is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from kg.config import Settings\n\nSettings(store=3)\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports", "silent", "--ignore-missing-imports",
                             str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1 and "incompatible type" in result.stdout, result.stdout
