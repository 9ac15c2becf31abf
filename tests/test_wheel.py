"""The wheel installs and runs outside the checkout (issue 13, item 7).

The wheel is built from the checkout, installed with the `[search]` extra only (no app, no
endpoint) into an empty virtualenv in a temporary folder, and its `contrats` builds two small
text contracts (tests/data/review_corpus, no manifest) and answers SPARQL on them from a folder
outside the checkout, with the default encoder: the ontology, the reference tables (the
territory's SIREN, the QPV codes and perimeters), the saved queries, the extraction model and the
encoders' data files all come from the installed package. (Two of the shipped contracts took
22 minutes to build there under a load of 10, most of it e5 encoding 2,634 records: too long
for CI.) Packages come from PyPI (pip's
cache makes a second run quick) at the versions of constraints.txt, torch first as the CPU wheel
(scripts/setup.sh does the same). `contrats serve` and `contrats app` then say in one line which
extra they need.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

SMALL_CORPUS = ROOT / "tests" / "data" / "review_corpus"
TORCH = "torch==2.13.0"  # as scripts/setup.sh: the CPU wheel before anything that depends on it


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env(home: Path) -> dict[str, str]:
    """The machine's environment without anything that points at the checkout or a data folder."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CONTRATS_", "PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["CONTRATS_DATA"] = str(home / "data")
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
          str(ROOT)], cwd=out, env=dict(os.environ), timeout=600)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools' staging folder in the checkout
    (path,) = out.glob("contrats_kg-*.whl")
    return path


def test_the_wheel_holds_the_data_the_code_reads_and_no_compiled_library(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        *(f"kg/ontology/{p.name}" for p in (ROOT / "ontology").glob("*.ttl")),
        *(f"ingest/data/reference/{p.name}" for p in (ROOT / "reference").iterdir()),
        *(f"kg/queries/{p.name}" for p in (ROOT / "kg" / "queries").glob("*.rq")),
        *(f"kg/data/{p.name}" for p in (ROOT / "kg" / "data").iterdir()),
        *(f"ingest/data/{p.name}" for p in (ROOT / "ingest" / "data").iterdir() if p.is_file()),
        "ingest/data/extraction_model.json", "kg/native/e5_unpacked.c",
        "search_app.py", *(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py")),
        *(p.relative_to(ROOT).as_posix() for top in ("ingest", "kg") for p in (ROOT / top).rglob("*.py")
          if "__pycache__" not in p.parts),  # every subpackage found
    }
    assert not expected - names, sorted(expected - names)
    assert not [n for n in names if n.endswith((".so", ".pyc"))]


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A virtualenv outside the checkout with the wheel and its [search] extra, and a clean env."""
    home = tmp_path_factory.mktemp("elsewhere")
    assert ROOT not in home.parents
    venv = home / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=home, env=dict(os.environ), timeout=120)
    env = _clean_env(home)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    _run([*pip, TORCH], cwd=home, env=env, timeout=1200)
    _run([*pip, "-c", str(ROOT / "constraints.txt"), f"{wheel}[search]"], cwd=home, env=env, timeout=1800)
    return venv, env


def test_the_installed_package_is_not_the_checkout(installed) -> None:
    venv, env = installed
    python = str(venv / "bin" / "python")
    # search_app is found, not imported: it imports Streamlit, which [search] does not bring.
    out = _run([python, "-c", "import importlib.util, kg, ingest; "
                "print(kg.__file__, ingest.__file__, importlib.util.find_spec('search_app').origin)"],
               cwd=venv.parent, env=env, timeout=60).stdout.split()
    assert all(Path(p).is_relative_to(venv) for p in out), out
    shown = subprocess.run([python, "-m", "pip", "show", "streamlit"], cwd=venv.parent, env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode != 0  # the app's extra is not installed: the build must not need it


def test_build_and_sparql_outside_the_checkout(installed) -> None:
    venv, env = installed
    home = venv.parent
    shutil.copytree(SMALL_CORPUS, home / "corpus")
    contrats = str(venv / "bin" / "contrats")

    built = _run([contrats, "build", "corpus", "--workers", "1"], cwd=home, env=env, timeout=1800)
    assert "error" not in built.stderr.lower(), built.stderr[-2000:]
    summary = json.loads((home / "data" / "current" / "summary.json").read_text("utf-8"))
    assert sorted(d["id"] for d in summary["documents"]) == ["arras-review", "maubeuge-review"]

    overview = list(csv.DictReader(io.StringIO(
        _run([contrats, "sparql", "overview", "--format", "csv"], cwd=home, env=env, timeout=300).stdout)))
    assert {r["label"] for r in overview} >= {"Passage", "Commitment"}, overview
    # Without a manifest, the territory (its SIREN), the QPV codes and their perimeters come from
    # the package's reference tables (CONTRATS_REFERENCE unset).
    mapped = list(csv.DictReader(io.StringIO(_run(
        [contrats, "sparql", "neighbourhood-map", "--format", "csv"], cwd=home, env=env, timeout=300).stdout)))
    pont = [r for r in mapped if r["code"] == "QN05915M"]
    assert pont and pont[0]["territoryNode"].endswith("/epci/200043396"), mapped[:3]
    assert "POLYGON ((" in pont[0]["wkt"], pont[0]["wkt"][:80]  # after its CRS IRI, as GeoSPARQL writes it


@pytest.mark.parametrize(("command", "extra"), [(["serve"], "serve"), (["app"], "app")])
def test_commands_of_missing_extras_say_which_in_one_line(installed, command: list[str], extra: str) -> None:
    venv, env = installed
    result = subprocess.run([str(venv / "bin" / "contrats"), *command], cwd=venv.parent, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"[{extra}]" in lines[0] and lines[0].startswith("error:"), result.stderr
