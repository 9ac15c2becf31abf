"""The direction of imports (pyproject.toml, [tool.importlinter]): ingest never imports kg, and the
app's pages never import ingest. A broken contract names the import chain that breaks it."""

from __future__ import annotations

import re
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



FRONT_ENDS = ("kg/cli.py", "kg/serve.py", "search_app.py", *sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "app_pages").glob("*.py")))


def test_front_ends_open_the_built_data_through_the_facade_only() -> None:
    """The import contract (pyproject.toml) forbids the store, index, search and query-worker
    modules to the front ends; two things it cannot see are checked here: search_app.py, a lone
    module outside the packages import-linter reads, and the openers kg.build.pipeline re-exports for
    its own callers (current_build), which a front end could reach through the builder."""
    import ast

    openers = re.compile(r"\b(current_build|open_store|SearchIndex|load_extractions|open_graph_store|QueryPool)\b")
    offenders = []
    for name in FRONT_ENDS:
        source = (ROOT / name).read_text(encoding="utf-8")
        offenders += [f"{name}:{n}: {line.strip()}" for n, line in enumerate(source.splitlines(), 1)
                      if openers.search(line) and not line.lstrip().startswith("#")]
    tree = ast.parse((ROOT / "search_app.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    offenders += [f"search_app.py imports {m}" for m in sorted(imported)
                  if m and m.startswith("kg") and m not in ("kg.facade", "kg.config", "kg.search.filters")]
    assert not offenders, "\n".join(offenders)
