"""The direction of imports (pyproject.toml, [tool.importlinter]): ingest never imports kg, and the
app's pages never import ingest. A broken contract names the import chain that breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    command = [str(lint)] if lint.exists() else [shutil.which("lint-imports") or "lint-imports"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_only_the_environment_module_reads_the_environment() -> None:
    """Settings in one place (issue 13.3): every variable is read through ingest/environment.py,
    where it is listed with its meaning and checked."""
    import re

    reads = re.compile(r"os\.environ|os\.getenv|getenv\(")
    offenders = []
    for folder in ("ingest", "kg", "app_pages"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "ingest" / "environment.py":
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if reads.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    offenders += [f"search_app.py: {line}" for line in (ROOT / "search_app.py").read_text(encoding="utf-8").splitlines()
                  if reads.search(line)]
    assert not offenders, "\n".join(offenders)

