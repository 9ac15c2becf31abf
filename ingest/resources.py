"""Access to the data files under ingest/data (gazetteers, cue phrases, heading patterns)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"


@cache
def load_yaml(name: str) -> Any:
    """Parse one data file. Cached: data files are read once per process."""
    with (DATA_DIR / name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)
