"""Fast tests of the search pieces that need no index: analysis, language, glossary, display."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kg.lexical import analyse
from kg.search import detect_language, translate_query
from kg.textview import escape_markdown, highlight


def test_analysis_folds_accents_stems_and_keeps_codes() -> None:
    assert analyse("santé") == analyse("sante")  # OCR text that lost its accents still matches
    assert analyse("logements") == analyse("logement")
    assert "qn05901m" in analyse("le QPV QN05901M")
    assert "2024" in analyse("en 2024")
    assert analyse("de la et les") == []


def test_language_detection() -> None:
    assert detect_language("how to help single mothers find childcare") == "en"
    assert detect_language("school dropout prevention") == "en"
    assert detect_language("comment attirer des médecins ?") == "fr"
    assert detect_language("décrochage scolaire") == "fr"
    assert detect_language("CAF") == "fr"


def test_translation_uses_the_longest_glossary_phrase() -> None:
    out = translate_query("How to help single mothers find childcare?")
    assert "familles monoparentales" in out and "mode de garde" in out
    assert "school" not in translate_query("early school leaving")
    assert "décrochage scolaire" in translate_query("early school leaving")


@given(st.text(max_size=300))
def test_escaped_markdown_has_no_live_markup(text: str) -> None:
    escaped = escape_markdown(text)
    for ch in "*_`[]<>#|":
        assert escaped.count(ch) == escaped.count("\\" + ch)


def test_highlight_marks_query_words_after_escaping() -> None:
    out = highlight("Les **médecins** <script>alert(1)</script> du quartier", "medecins")
    assert ":orange-background[médecins]" in out
    assert "<script>" not in out and "\\<script\\>" in out
