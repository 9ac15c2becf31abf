"""`contrats`: the command-line tool."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm


def _progress(iterable, total: int | None, desc: str):
    return tqdm(iterable, total=total, desc=desc, unit="doc", file=sys.stderr,
                disable=not sys.stderr.isatty() and total is not None and total < 2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="contrats-kg")
def main() -> None:
    """contrats-kg: French urban-policy contracts as a knowledge graph and a search index."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder for documents.jsonl and passages.jsonl.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) if any file could not be ingested.")
def ingest(paths: tuple[Path, ...], out_dir: Path, strict: bool) -> None:
    """Read PDFs and text exports into clean passages with page/line provenance."""
    from ingest.corpus import Ingested, discover, ingest_paths
    from kg.jsonl import write_jsonl

    files, _ = discover(paths)
    documents, passages, failures = [], [], 0
    for result in _progress(ingest_paths(paths), total=len(files), desc="ingest"):
        if isinstance(result, Ingested):
            documents.append(result.document.to_json())
            passages.extend(p.to_json() for p in result.passages)
            for w in result.document.warnings:
                click.echo(f"warning: {w}", err=True)
        else:
            failures += 1
            click.echo(f"error: {result}", err=True)
    if not documents:
        click.echo("error: nothing could be ingested", err=True)
        sys.exit(1)
    write_jsonl(out_dir / "documents.jsonl", documents)
    write_jsonl(out_dir / "passages.jsonl", passages)
    click.echo(f"{len(documents)} documents, {len(passages)} passages -> {out_dir}"
               + (f" ({failures} files failed)" if failures else ""))
    if strict and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
