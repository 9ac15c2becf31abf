"""Character-level cleaning shared by the PDF and text readers.

Three kinds of damage are repaired here, each by a small function so they can be tested alone:
encoding debris (ligatures, soft hyphens, replacement characters, odd spaces), markup left by the
PDF-to-text converter (`**bold**`, `<u>`), and systematic OCR confusions (`I'` for `l'`, `ceuvre`
for `œuvre`, accents lost). The OCR repairs are driven by `data/ocr_fixes.yaml` and by a French
lexicon (simplemma's dictionary), never by words of one document.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from ingest.resources import load_yaml

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffd\uf0b7\uf0a7\uf0d8\uf0fc]")
_MARKUP = re.compile(r"\*\*|</?u>|</?b>|</?i>|</?strong>|</?em>")
_LIGATURES = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_APOSTROPHES = re.compile(r"[’ʼ`´]")


class _FoldTable(dict):
    """str.translate's table for `fold`, each character's entry made on first sight: the
    character's canonical decomposition without its combining marks ("é" -> "e"), "œ" -> "oe"."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = {"œ": "oe", "æ": "ae"}.get(char) or "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lowercase and strip accents: the key used to compare French words tolerant of OCR damage.

    The same as `NFD(lower(text))` without its combining marks, œ and æ spelt out, a character at a
    time through a table (canonical reordering only moves the combining marks, which all go): 4 to
    5 times faster, and the extraction and the accent lexicon fold millions of words.
    """
    text = text.lower()
    return text if text.isascii() else text.translate(_FOLD)


def clean_characters(text: str) -> str:
    """NFC, ligatures expanded, invisible and replacement characters dropped, spaces collapsed."""
    text = unicodedata.normalize("NFC", text)
    for lig, plain in _LIGATURES.items():
        text = text.replace(lig, plain)
    text = _INVISIBLE.sub("", text)
    text = _APOSTROPHES.sub("'", text)
    return _SPACES.sub(" ", text).strip()


def strip_markup(text: str) -> str:
    """Remove bold/underline markers left by the PDF-to-text converter."""
    return _MARKUP.sub("", text)


@cache
def _ocr_rules() -> tuple[list[tuple[re.Pattern[str], str]], dict[str, str]]:
    data = load_yaml("ocr_fixes.yaml")
    patterns = [(re.compile(p), r) for p, r in data.get("patterns", [])]
    words = {k: v for k, v in data.get("words", {}).items()}
    return patterns, words


@cache
def _accent_lexicon() -> tuple[frozenset[str], dict[str, str]]:
    """French word forms, and for each accent-free spelling the one accented form it stands for.

    Spellings shared by two accented forms ("a" / "à", "ou" / "où") are left out: the repair
    must never guess between two words.
    """
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    dictionary = DefaultDictionaryFactory().get_dictionary("fr")
    forms: set[str] = set()
    accented: set[str] = set()
    folded_lemmas: dict[str, str] = {}  # a lemma stands for many forms: folded once
    for key, value in dictionary.items():
        lemma = value if isinstance(value, str) else value.decode()
        lower = key.lower()
        if fold(key) != lower:
            accented.add(lower)
        plain_lemma = folded_lemmas.get(lemma)
        if plain_lemma is None:
            plain_lemma = folded_lemmas[lemma] = fold(lemma)
        lower = lemma.lower()
        if plain_lemma != lower:
            accented.add(lower)
        # The dictionary lists some accent-free misspellings ("etre" -> "être"): not words.
        if not (plain_lemma == key and lemma != key):
            forms.add(key)
    forms.update(accented)
    restore: dict[str, str] = {}
    ambiguous: set[str] = set()
    for form in accented:
        plain = fold(form)
        if plain in forms:
            continue
        if plain in restore and restore[plain] != form:
            ambiguous.add(plain)
        restore[plain] = form
    for plain in ambiguous:
        restore.pop(plain, None)
    return frozenset(forms), restore


_WORD = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿœŒ]+")


def restore_accents(text: str) -> str:
    """Put back accents an OCR engine dropped, where the French lexicon allows only one reading."""
    forms, restore = _accent_lexicon()

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 3:
            return word
        lower = word.lower()
        if lower in forms:
            return word
        fixed = restore.get(fold(lower))  # accent lost ("etre") or misread ("étre")
        if fixed is None:
            return word
        if word[0].isupper():
            fixed = fixed[0].upper() + fixed[1:]
        if word.isupper():
            fixed = fixed.upper()
        return fixed

    return _WORD.sub(fix, text)


def repair_ocr(text: str) -> str:
    """Systematic OCR confusions (data/ocr_fixes.yaml), then lost accents."""
    patterns, words = _ocr_rules()
    for pattern, replacement in patterns:
        text = pattern.sub(replacement, text)
    if words:
        text = _WORD.sub(lambda m: words.get(m.group(0), m.group(0)), text)
    return restore_accents(text)


def ocr_damage_score(text: str) -> float:
    """Share of words that are not French but would be once an accent is restored.

    Clean French text scores near 0; a scan OCR'd without accents scores several percent. The
    readers use it to decide whether a document needs `repair_ocr`.
    """
    forms, restore = _accent_lexicon()
    words = [w.lower() for w in _WORD.findall(text) if len(w) >= 3]
    if not words:
        return 0.0
    damaged = sum(1 for w in words if w not in forms and fold(w) in restore)
    odd = len(re.findall(r"\b[I|]['’](?=[a-zéèêàâ])", text))
    return (damaged + odd) / len(words)
