"""A command whose extra is not installed says which one in one line (kg/extras.py); the core
(`contrats sparql`) runs without the app, the endpoint and the search extras.

The extras are taken away in a child process by a finder that refuses their modules, as an
install without them would (tests/test_wheel.py checks a real one, slow)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner

from kg.extras import EXTRA_OF_MODULE, ExtrasGroup, MissingExtra, extra_for, require

WITHOUT = """
import sys
from importlib.abc import MetaPathFinder

class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Missing())
from kg.cli import main
main(sys.argv[1:], prog_name="contrats")
"""


def _contrats_without(modules: set[str], *args: str, cwd=None) -> subprocess.CompletedProcess:
    code = textwrap.dedent(WITHOUT.format(blocked=modules))
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


SEARCH_APP_SERVE = {m for m, extra in EXTRA_OF_MODULE.items() if extra in ("search", "app", "serve")}


@pytest.mark.parametrize(("command", "extra"), [("serve", "serve"), ("app", "app")])
def test_a_command_without_its_extra_says_which_in_one_line(tmp_path, command: str, extra: str) -> None:
    result = _contrats_without(SEARCH_APP_SERVE, command, "--data", str(tmp_path))
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"error: `contrats {command}` needs the [{extra}] extra "
                     f"({'uvicorn' if extra == 'serve' else 'streamlit'} is not installed): "
                     f"pip install 'contrats-kg[{extra}]'"], result.stderr


def test_search_without_the_search_extra_says_so(small_build) -> None:
    result = _contrats_without(SEARCH_APP_SERVE, "search", "santé", "--data", str(small_build.data_dir))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()[-1:]
    assert line.startswith("error: `contrats search` needs the [search] extra"), result.stderr


def test_sparql_runs_on_the_core_alone(small_build) -> None:
    result = _contrats_without(SEARCH_APP_SERVE, "sparql", "overview", "--format", "csv",
                               "--data", str(small_build.data_dir))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "class,label,count", result.stdout[:300]
    assert any(",Commitment," in line for line in lines), result.stdout[:600]


def _group_raising(error: Exception) -> click.Group:
    @click.group(cls=ExtrasGroup)
    def cli() -> None: ...

    @cli.command()
    def go() -> None:
        raise error

    return cli


def test_a_missing_module_of_an_extra_becomes_one_line() -> None:
    result = CliRunner().invoke(_group_raising(ModuleNotFoundError("No module named 'faiss'", name="faiss.swigfaiss")),
                                ["go"])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: `contrats go` needs the [search] extra (faiss is not installed): "
                                     "pip install 'contrats-kg[search]'")


def test_a_missing_module_of_no_extra_keeps_its_traceback() -> None:
    """A core dependency missing is a broken install: hiding it behind an extra would mislead."""
    result = CliRunner().invoke(_group_raising(ModuleNotFoundError("No module named 'rdflib'", name="rdflib")),
                                ["go"])
    assert isinstance(result.exception, ModuleNotFoundError)


def test_extra_for() -> None:
    assert extra_for("sentence_transformers.models") == "search"
    assert extra_for("streamlit") == "app"
    assert extra_for("rdflib") is None and extra_for(None) is None


def test_require_passes_when_installed_and_names_the_extra_when_not(monkeypatch) -> None:
    require("contrats app", "streamlit")  # installed here ([all])
    monkeypatch.setitem(sys.modules, "streamlit", None)  # how Python marks a module that cannot be imported
    with pytest.raises(MissingExtra, match=r"\[app\] extra \(streamlit is not installed\)"):
        require("contrats app", "streamlit")
