"""Rules on lines of text shared by the text reader and the PDF reader.

Both rebuild paragraphs from lines wrapped by a layout: they need the same idea of a bullet, of a
line that is still open (its sentence goes on) and of how two wrapped lines join, hyphenation
included, or the same contract read from its PDF and from its text export would segment apart.
"""

from __future__ import annotations

import re

# A bullet as text exports and OCR render them: glyphs, "e "/"o "/"v " for lost symbol fonts,
# "1)" and "a)".
BULLET = re.compile(r"^\s*(?:[-–—•▪►●◦■□➢➔→✓>*»]|[eov=¢]\s(?=\S)|v['\"]\s|\d{1,2}\)|[a-z]\))\s*")
_TERMINAL = tuple(".!?:;")
# Words whose hyphen is part of the word even at a line end: "peut-être", "vis-à-vis", "sous-préfet".
_COMPOUND_PREFIXES = frozenset(
    {"peut", "vis", "au", "non", "sous", "demi", "mi", "semi", "quasi", "ex", "c'est", "après",
     "avant", "arrière", "grand", "grands", "petit", "petits", "porte", "vice", "bien", "mal"}
)


def is_open(text: str) -> bool:
    """The line does not end a sentence or a list item."""
    return not text.rstrip().endswith(_TERMINAL)


def join_wrapped(left: str, right: str) -> str:
    """Join two wrapped lines, rejoining a word hyphenated across the break."""
    left = left.rstrip()
    if left.endswith("-") and len(left) > 1 and not left[-2].isspace():
        word = re.findall(r"[\w']+-$", left)
        prefix = word[-1][:-1].lower().split("'")[-1] if word else ""
        if left[-2].isalpha() and right[:1].islower() and prefix not in _COMPOUND_PREFIXES:
            return left[:-1] + right
        return left + right  # a real hyphen: Pas-de-Calais, 2024-2030, Saint-Amand
    return f"{left} {right}"
