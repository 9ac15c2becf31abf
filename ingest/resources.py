"""Access to the data files under ingest/data (gazetteers, cue phrases, heading patterns) and the
official reference tables (ingest/data/reference: QPV and contrats de ville, ANCT).

Found through the package, so that an installed wheel reads its own copy: in a checkout
ingest/data/reference is a link to the project's reference/ folder, in the wheel a folder.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
REFERENCE_DIR = DATA_DIR / "reference"


@cache
def load_yaml(name: str) -> Any:
    """Parse one data file. Cached: data files are read once per process."""
    with (DATA_DIR / name).open(encoding="utf-8") as f:
        return yaml.safe_load(f)
