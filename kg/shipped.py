"""Where the files shipped inside the kg package are: the ontology and the app's entry script.

Found through the package, never through the checkout, so that an installed wheel reads its own
copies (the reference tables are ingest's: ingest.resources.REFERENCE_DIR). In a checkout
kg/ontology is a link to the project's ontology/ folder; in the wheel it is a folder.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ONTOLOGY_DIR = Path(__file__).parent / "ontology"


def app_script() -> Path:
    """search_app.py, the Streamlit entry point: a top-level module of the wheel (and of the
    checkout), run by `streamlit run` as a file."""
    spec = importlib.util.find_spec("search_app")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("search_app.py is not installed beside kg", name="search_app")
    return Path(spec.origin)
