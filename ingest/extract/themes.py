"""Tagging a text with the themes of the shared scheme (ingest/data/themes.yaml).

A theme applies when one of its cues starts a word of the accent-folded text. Cues are data, so
a new theme or a regional word is a change to the YAML file, not to this code.
"""

from __future__ import annotations

import re
from functools import cache

from ingest.normalise import fold
from ingest.resources import load_yaml


@cache
def _theme_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for theme in load_yaml("themes.yaml")["themes"]:
        alternatives = "|".join(f"(?:{cue})" for cue in theme["cues"])
        out.append((theme["id"], re.compile(rf"(?<![a-z0-9])(?:{alternatives})")))
    return tuple(out)


def theme_ids() -> tuple[str, ...]:
    """Every theme id, in the scheme's order."""
    return tuple(t for t, _ in _theme_patterns())


def themes_of(text: str) -> tuple[str, ...]:
    """The ids of the themes whose cues occur in `text`, in the scheme's order."""
    folded = fold(text)
    return tuple(theme for theme, pattern in _theme_patterns() if pattern.search(folded))
