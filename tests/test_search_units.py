"""Fast tests of the search pieces that need no index: analysis, language, glossary, display."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kg.search.lexical import LexicalIndex, analyse, query_term_weights, word_forms
from kg.search.searcher import _thesaurus, detect_language, expand_query, translate_query
from kg.views.textview import escape_markdown, highlight


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


def test_thesaurus_turns_everyday_wording_into_terms_of_art() -> None:
    assert "violences conjugales" in expand_query("femmes frappées par leur compagnon")
    assert "décrochage scolaire" in expand_query("les jeunes qui lâchent l'école")  # verb form, elision
    assert "décrochage scolaire" in expand_query("lacher l'ecole")  # typed without accents
    assert "démographie médicale" in expand_query("comment attirer des médecins ?")
    assert expand_query("") == ""


def test_longer_thesaurus_phrase_wins_over_its_words() -> None:
    added = expand_query("les jeunes qui lâchent l'école")
    assert "établissements scolaires" not in added  # the entry of "école" alone gives way


def test_every_thesaurus_key_can_match_a_question() -> None:
    import yaml

    path = Path(__file__).parents[1] / "kg" / "data" / "thesaurus_fr.yaml"
    keys = yaml.safe_load(path.read_text(encoding="utf-8"))["terms"]
    assert len(keys) >= 300 and len(_thesaurus()) == len(keys)
    for key in keys:
        assert word_forms(str(key)), key  # a key made only of stop words would match every question
        assert expand_query(str(key)), key


def test_word_forms_join_inflections() -> None:
    (frappees,), (frapper,) = word_forms("frappées"), word_forms("frapper")
    assert frappees & frapper


def test_added_terms_weigh_less_than_typed_ones() -> None:
    weights = query_term_weights("logement", "habitat indigne logement", 0.5)
    assert weights[analyse("logement")[0]] == 1.0  # a typed word keeps its weight when also added
    assert weights[analyse("habitat")[0]] == 0.5


def test_expansion_ranks_the_term_of_art_passage_first() -> None:
    texts = ["Lutter contre les violences conjugales et intrafamiliales.",
             "Les femmes du quartier participent au conseil citoyen.",
             "Accueil des jeunes enfants en crèche."]
    index = LexicalIndex.build(texts)
    question = "femmes frappées par leur compagnon"
    assert index.scores(question).argmax() == 1  # the plain words alone find the wrong passage
    scores = index.scores(question, expand_query(question), 0.5)
    assert scores.argmax() == 0


@given(st.text(max_size=300))
def test_escaped_markdown_has_no_live_markup(text: str) -> None:
    escaped = escape_markdown(text)
    for ch in "*_`[]<>#|":
        assert escaped.count(ch) == escaped.count("\\" + ch)


def test_highlight_marks_query_words_after_escaping() -> None:
    out = highlight("Les **médecins** <script>alert(1)</script> du quartier", "medecins")
    assert ":orange-background[médecins]" in out
    assert "<script>" not in out and "\\<script\\>" in out


def test_thesaurus_keys_keep_their_meaningful_stop_words() -> None:
    # spaCy counts "proche" as a stop word: without it "proche aidant" would shrink to "aidant"
    # and fire on every question with "aider" in it.
    assert "proches aidants" not in expand_query("aider les habitants à lancer leur propre affaire")
    assert "proches aidants" in expand_query("le répit des proches aidants")


def test_everyday_words_with_other_senses_are_not_expanded() -> None:
    added = expand_query("des propriétaires louent des appartements en très mauvais état")
    assert "services de l'État" not in added and "logements" in added
    assert "propreté" not in expand_query("lancer sa propre affaire")
    assert "personnes âgées" not in expand_query("de vieux meubles sur le trottoir")


@given(st.text(alphabet=st.sampled_from("aeiouAEIOU éèêëàâçùûüôîïœŒ’'-Ññ\u0301\u0327ﬁ²"), max_size=30))
def test_fold_through_the_table_is_the_character_filter(text: str) -> None:
    import unicodedata

    from kg.search.understand import fold

    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe").replace("’", "'"))
    assert fold(text) == "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
