"""The learned extractor: its model format, its decisions on small documents, its confidences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.extract.linear_model import ExtractionModel, LinearClassifier, shipped_model
from ingest.units import split_sentences

ROOT = Path(__file__).resolve().parent.parent


def test_sentences_are_cut_at_sentence_ends_not_abbreviations() -> None:
    text = ("Le quartier compte 40 % de chômeurs. La CAF financera deux postes de référents, cf. art. 3 "
            "du contrat. M. Dupont présidera le comité.")
    assert split_sentences(text) == ["Le quartier compte 40 % de chômeurs.",
                                     "La CAF financera deux postes de référents, cf. art. 3 du contrat.",
                                     "M. Dupont présidera le comité."]


def test_linear_classifier_probabilities() -> None:
    clf = LinearClassifier(("a", "b", "c"), {"x": (1.0, 0.0, -1.0)}, (0.0, 0.0, 0.0))
    p = clf.proba({"x": 2.0, "unknown": 5.0})
    assert abs(sum(p.values()) - 1) < 1e-9
    assert p["a"] > p["b"] > p["c"]
    binary = LinearClassifier(("other", "actor"), {"x": (3.0,)}, (-1.0,))
    assert binary.proba({"x": 1.0})["actor"] > 0.8 > binary.proba({})["actor"]


def test_the_meaning_vector_moves_the_scores_and_round_trips() -> None:
    import numpy as np

    clf = LinearClassifier(("none", "commitment"), {"w=financer": (0.5,)}, (0.0,), np.array([[2.0, -1.0]]))
    assert clf.scores({"w=financer": 1.0}, np.array([1.0, 0.5])) == [0.5 + 1.5]
    assert clf.scores({"w=financer": 1.0}) == [0.5]  # a unit without a vector reads the named features only
    again = LinearClassifier.from_json(json.loads(json.dumps(clf.to_json())))
    assert again.proba({}, np.array([0.3, 0.1])) == clf.proba({}, np.array([0.3, 0.1]))


def test_units_carry_their_meaning_vector_and_the_shipped_model_reads_it() -> None:
    from ingest.extract.unit_features import VECTOR_DIM, VECTOR_WEIGHT, _morph

    (_, financer), (_, empty) = _morph(["La CAF financera deux postes de référents familles.", "—"])
    assert financer.shape == (VECTOR_DIM,) and abs(float((financer ** 2).sum()) ** 0.5 - VECTOR_WEIGHT) < 1e-3
    assert not empty.any()  # no word with a vector: nothing, not noise
    model = shipped_model()
    assert model is not None and model.units.dense is not None and model.units.dense.shape[1] == VECTOR_DIM


def test_model_round_trips_through_json(tmp_path: Path) -> None:
    model = ExtractionModel(LinearClassifier(("none", "commitment"), {"w=financer": (0.5,)}, (0.1,)),
                            LinearClassifier(("other", "actor"), {"src=subject": (2.0,)}, (0.0,)),
                            {"commitment": 0.4}, {"documents": ["a"]})
    path = tmp_path / "m.json"
    model.save(path)
    again = ExtractionModel.load(path)
    assert again.to_json() == model.to_json()
    assert again.fingerprint == model.fingerprint
    with pytest.raises(ValueError):
        ExtractionModel.from_json({**json.loads(path.read_text()), "format": "other"})


def _views(texts: list[str], kinds: list[str]):
    """Minimal featureless units in one section, for the second pass's context."""
    from types import SimpleNamespace

    from ingest.extract.unit_features import UnitView

    passage = SimpleNamespace(section_path=("Engagements",))
    return [UnitView(SimpleNamespace(kind=k, text=t, passage=passage), {f"w={t}": 1.0}, [])
            for t, k in zip(texts, kinds, strict=True)]


def test_the_second_pass_reads_what_the_first_thought_of_the_neighbours(tmp_path: Path, monkeypatch) -> None:
    from ingest.extract import linear_model
    from ingest.extract.unit_features import context_features

    monkeypatch.setattr(linear_model, "MIN_CONTEXT_UNITS", 0)  # five units: a toy document

    views = _views(["lead:", "a", "b", "c", "x"], ["paragraph", "list_item", "list_item", "list_item", "paragraph"])
    first = [{"commitment": p, "none": 1 - p} for p in (0.9, 0.8, 0.1, 0.6, 0.0)]
    ctx = context_features(views, first)
    assert ctx[2]["ctx_prev_c"] == 0.8 and ctx[2]["ctx_next_c"] == 0.6
    assert abs(ctx[2]["ctx_run_c"] - 0.7) < 1e-9  # the other items of its list, not itself
    assert ctx[2]["ctx_lead_c"] == 0.9  # the lead-in above its list
    assert abs(ctx[2]["ctx_sec_c"] - (0.9 + 0.8 + 0.6) / 4) < 1e-9
    assert ctx[4]["ctx_lead_c"] == 0.0  # not in a list under a lead-in
    # A model whose second pass trusts a unit's list: the unsure item "b" becomes a commitment.
    units = LinearClassifier(("none", "commitment"), {"w=a": (1.4,), "w=c": (0.4,), "w=lead:": (2.2,)}, (0.0,))
    context = LinearClassifier(("none", "commitment"), {"ctx_run_c": (6.0,)}, (-3.5,))
    plain = ExtractionModel(units, LinearClassifier(("other", "actor"), {}, (0.0,)))
    stacked = ExtractionModel(units, plain.actors, context=context)
    assert plain.unit_probabilities(views)[2]["commitment"] == 0.5
    assert stacked.unit_probabilities(views)[2]["commitment"] > 0.6
    path = tmp_path / "m.json"
    stacked.save(path)
    again = ExtractionModel.load(path)
    assert again.context == stacked.context and again.to_json()["format"].endswith("/2")
    assert again.unit_probabilities(views) == stacked.unit_probabilities(views)


def test_the_shipped_model_has_a_second_pass_over_the_neighbours() -> None:
    model = shipped_model()
    assert model is not None and model.context is not None
    assert any(k.startswith("ctx_") for k in model.context.weights)
    assert not any(k.startswith("ctx_") for k in model.units.weights)


def _extract(tmp_path: Path, text: str) -> dict:
    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import extract
    from ingest.extract.to_json import extraction_to_json

    path = tmp_path / "contrat.txt"
    path.write_text(text, encoding="utf-8")
    ingested = ingest_file(path)
    return extraction_to_json(extract(ingested.document, ingested.passages))


PARTNERS = """CONTRAT DE VILLE 2024-2030 DE LA COMMUNAUTÉ D'AGGLOMÉRATION DU GRAND EXEMPLE

Diagnostic

Le quartier des Tilleuls compte 3 200 habitants. Le taux de chômage y atteint 31 %.

Les engagements de la Caisse d'allocations familiales

La Caisse d'allocations familiales s'engage à :
- financer deux postes de référents familles dans les centres sociaux du quartier ;
- renforcer l'accueil des jeunes enfants en crèche ;
- ouvrir une permanence d'accès aux droits chaque semaine.

Les engagements du Département

Le Département mobilisera ses équipes de prévention spécialisée auprès des jeunes du quartier.
Le Département pourra, le cas échéant, soutenir des projets culturels.
"""


@pytest.mark.skipif(shipped_model() is None, reason="no shipped model")
def test_commitments_come_with_confidence_and_a_partner(tmp_path: Path) -> None:
    x = _extract(tmp_path, PARTNERS)
    texts = {c["text"]: c for c in x["commitments"]}
    assert any("référents familles" in t for t in texts), list(texts)
    for c in x["commitments"]:
        assert 0 <= c["confidence"] <= 1 and 0 <= c["partner_confidence"] <= 1
    caf = next(c for c in x["commitments"] if "référents familles" in c["text"])
    assert caf["partner_type"] == "caf"
    assert not any(t.startswith("Le quartier des Tilleuls compte") for t in texts), "a diagnosis is not a commitment"
    assert not any("pourra" in t for t in texts), "a possibility is not a commitment"


def test_a_document_without_commitments_gives_none(tmp_path: Path) -> None:
    x = _extract(tmp_path, "RAPPORT D'ACTIVITÉ\n\nLe quartier compte 2 000 habitants.\n\n"
                           "La population a diminué de 4 % depuis 2015.\n")
    assert x["commitments"] == []
    assert any("no commitment found" in w for w in x["document"]["warnings"])


def test_the_shipped_model_knows_no_territory_by_name() -> None:
    """Habit 2: no weight on the name of a commune or an intercommunality that the training
    documents use only as a name (ingest.training.extraction.local_words); the genre's words stay."""
    from ingest.extract.gazetteer import reference_folder
    from ingest.extract.linear_model import shipped_model
    from ingest.training.extraction import _words_of, place_words

    model = shipped_model()
    assert model is not None
    words = {w for feature in model.units.weights for w in _words_of(feature)}
    assert {"ville", "communaute", "agglomeration"} <= words  # place words of the genre are kept
    # The actor ranker reads words too (a body's type crossed with them): no place name there either.
    actor_words = {w for feature in model.actors.weights for w in _words_of(feature)}
    assert actor_words and not actor_words & {"valenciennes", "arras", "maubeuge", "denain", "sambre", "anzin"}
    for name in ("valenciennes", "arras", "maubeuge", "denain", "sambre", "escaut", "anzin", "douai"):
        assert name in place_words(str(reference_folder()))
        assert name not in words, name


def test_local_words_are_the_place_names_written_only_as_names() -> None:
    from ingest.training.extraction import AnnotatedDocument, local_words
    from ingest.units import Unit

    class View:  # what local_words reads of a featurised unit
        def __init__(self, text: str) -> None:
            self.unit = Unit.__new__(Unit)
            object.__setattr__(self.unit, "text", text)
            self.features = {}

    docs = [AnnotatedDocument(f"d{i}", Path("."), [], views=[View(t)]) for i, t in enumerate([
        "La ville de Valenciennes s'engage à ouvrir un centre.", "Au centre de la ville d'Arras.",
        "Une ville, un centre, une agglomération."])]
    local = local_words(docs)
    assert {"valenciennes", "arras"} <= local
    assert not {"ville", "centre"} & local


def test_a_commune_heading_its_own_part_is_a_candidate_actor_of_the_units_below(tmp_path: Path) -> None:
    """A commune's part of a contract is often headed by its bare name: the commune is then the
    chapter's body, though no phrase in the part names it ("la ville", "nous")."""
    from ingest.corpus import ingest_file
    from ingest.extract.unit_features import UnitFeaturizer
    from ingest.training.extraction import document_resolver
    from ingest.units import units_of

    path = tmp_path / "contrat.txt"
    path.write_text("CONTRAT DE VILLE 2024-2030 DE LA COMMUNAUTÉ D'AGGLOMÉRATION DU GRAND EXEMPLE\n\n"
                    "Les signataires\n\nLa ville de Feignies et la ville de Vieux-Condé signent le présent contrat.\n\n"
                    "FEIGNIES\n\nNous ouvrirons une maison France services au cœur du quartier.\n\n"
                    "II. VIEUX-CONDÉ\n\nNous créerons un chantier d'insertion.\n", encoding="utf-8")
    ingested = ingest_file(path)
    units = units_of(ingested.passages)
    views = UnitFeaturizer(document_resolver(ingested.document, ingested.passages)).views(units)
    under = next(v for v in views if v.unit.text.startswith("Nous ouvrirons"))
    assert under.unit.passage.section_path[-1] == "FEIGNIES"
    assert "h0_names_commune" in under.features
    chapter = [c for c in under.candidates if "chapter" in c.sources]
    assert [c.organisation.id for c in chapter] == ["commune-feignies"]
    # The heading's number goes, the commune's first letters stay (VIEUX, not "EUX").
    second = next(v for v in views if v.unit.text.startswith("Nous créerons"))
    assert [c.organisation.id for c in second.candidates if "chapter" in c.sources] == ["commune-vieux-conde"]
    signing = next(v for v in views if v.unit.text.startswith("La ville de Feignies"))
    assert "h0_names_commune" not in signing.features  # "Les signataires" names no commune


def test_the_commune_a_part_presents_stays_a_candidate_through_its_long_list_of_actions(tmp_path: Path) -> None:
    """A commune's part presents the commune by name, then lists "les engagements de la commune"
    for pages without naming it again: past the window in which it dominates, the commune stays a
    candidate ("part_commune") until another commune dominates the text."""
    from ingest.corpus import ingest_file
    from ingest.extract.unit_features import UnitFeaturizer
    from ingest.training.extraction import document_resolver
    from ingest.units import units_of

    actions = "".join(f"- Action numéro {k} menée dans le quartier avec les habitants ;\n" for k in range(80))
    path = tmp_path / "contrat.txt"
    path.write_text("CONTRAT DE VILLE 2024-2030 DE LA COMMUNAUTÉ D'AGGLOMÉRATION MAUBEUGE VAL DE SAMBRE\n\n"
                    "Présentation de la commune et de ses quartiers\n\n"
                    "Louvroil compte deux quartiers prioritaires. À Louvroil, le centre-ville a été rénové.\n\n"
                    "Les engagements de la commune pour les quartiers\n\n" + actions +
                    "\nPrésentation de la commune et de ses quartiers\n\n"
                    "Hautmont compte un quartier prioritaire. À Hautmont, la gare a été rénovée.\n\n"
                    "Les engagements de la commune pour les quartiers\n\n" + actions, encoding="utf-8")
    ingested = ingest_file(path)
    units = units_of(ingested.passages)
    places = {"centre ville de louvroil": "Louvroil", "quartier de la gare": "Hautmont"}
    views = UnitFeaturizer(document_resolver(ingested.document, ingested.passages), place_communes=places).views(units)
    items = [v for v in views if v.unit.text.startswith("Action numéro 75 ")]
    assert len(items) == 2

    def commune(view, source):
        return [c.organisation.id for c in view.candidates if source in c.sources]

    # Far past the window, the commune is no longer dominant, but its part goes on.
    assert commune(items[0], "dominant_commune") == []
    assert commune(items[0], "part_commune") == ["commune-louvroil"]
    assert commune(items[1], "part_commune") == ["commune-hautmont"]  # the next part's commune replaces it


def test_the_intercommunality_named_after_its_commune_is_not_the_commune() -> None:
    """"Valenciennes Métropole", "Maubeuge-Val de Sambre": the intercommunality's name holds its
    central commune's, and naming the intercommunality must not make the commune dominate the page.
    A name that is only its commune's once the legal form goes ("Communauté urbaine d'Arras") is
    masked whole, never as the bare commune."""
    from ingest.extract.unit_features import _holder_names, _names_re
    from ingest.model import Organisation

    communes = {"maubeuge", "arras", "valenciennes"}
    names = _holder_names(Organisation(id="x", name="Communauté d'Agglomération Maubeuge-Val de Sambre",
                                       type="epci"), communes)
    masked = _names_re(names).sub(" ", "l'agglomeration maubeuge val de sambre et maubeuge-val de sambre, "
                                       "avec la ville de maubeuge")
    assert "sambre" not in masked and masked.count("maubeuge") == 1
    assert _holder_names(Organisation(id="y", name="Communauté Urbaine d'Arras", type="epci"), communes) == \
        ["communaute urbaine d'arras"]
    assert _holder_names(Organisation(id="z", name="Valenciennes Métropole", type="epci"), communes) == \
        ["valenciennes metropole"]


def test_a_page_naming_the_intercommunality_is_not_the_communes_part(tmp_path: Path) -> None:
    """The same through the featuriser: a page that names "Maubeuge-Val de Sambre" again and again
    proposes no commune of Maubeuge; a page that names the town does."""
    from ingest.corpus import ingest_file
    from ingest.extract.unit_features import UnitFeaturizer
    from ingest.training.extraction import document_resolver
    from ingest.units import units_of

    agglo = "".join(f"- L'agglomération Maubeuge-Val de Sambre mène l'action {k} avec ses partenaires ;\n"
                    for k in range(6))
    town = "".join(f"- La ville de Maubeuge mène l'action {k} au centre social ;\n" for k in range(6))
    path = tmp_path / "contrat.txt"
    path.write_text("CONTRAT DE VILLE 2024-2030 DE LA COMMUNAUTÉ D'AGGLOMÉRATION MAUBEUGE-VAL DE SAMBRE\n\n"
                    "Les actions de l'agglomération\n\n" + agglo + "\nLes actions de la ville\n\n" + town,
                    encoding="utf-8")
    ingested = ingest_file(path)
    resolver = document_resolver(ingested.document, ingested.passages)
    views = UnitFeaturizer(resolver, place_communes={"sous le bois": "Maubeuge"}).views(units_of(ingested.passages))

    def communes(prefix: str) -> set[str]:
        return {c.organisation.id for v in views if v.unit.text.startswith(prefix) for c in v.candidates
                if {"dominant_commune", "part_commune"} & c.sources}

    assert communes("L'agglomération Maubeuge") == set()
    assert communes("La ville de Maubeuge mène l'action 5") == {"commune-maubeuge"}


def test_the_actor_ranker_learns_which_candidate_beats_which() -> None:
    """The ranker is trained on pairs of candidates of one unit: a source that wins against the
    others (a partner's own line) outweighs one that is present everywhere (the dominant commune),
    and the scores order the candidates without an intercept."""
    from ingest.training.extraction import _fit_ranker

    line = {"bias": 1.0, "type=caf": 1.0, "src=partner_line": 1.0}
    commune = {"bias": 1.0, "type=commune": 1.0, "src=dominant_commune": 1.0}
    commune_alone = {"bias": 1.0, "type=commune": 1.0, "src=dominant_commune": 1.0, "src=subject": 1.0}
    holder = {"bias": 1.0, "type=epci": 1.0, "src=holder": 1.0}
    groups = [([line, commune, holder], [True, False, False])] * 30 + \
        [([commune_alone, holder], [True, False])] * 30 + [([holder, line], [False, True])] * 10
    ranker = _fit_ranker(groups, c=1.0)
    assert ranker.classes == ("other", "actor") and ranker.intercept == (0.0,)
    score = lambda f: ranker.scores(f)[0]  # noqa: E731
    assert score(line) > max(score(commune), score(holder))
    assert score(commune_alone) > score(holder)
    assert "bias" not in ranker.weights  # the same for every candidate of a unit: it cannot order them


@pytest.mark.skipif(shipped_model() is None, reason="no shipped model")
def test_a_text_of_a_few_units_is_decided_by_the_first_pass(tmp_path: Path) -> None:
    """The second pass reads a unit's neighbours; a two-line text has none, and an empty context
    must not read as "nothing is promised around here"."""
    x = _extract(tmp_path, "Contrat de ville de la Communauté Urbaine d'Arras.\n\n"
                           "La CAF du Pas-de-Calais s'engage à soutenir la parentalité dans les quartiers.\n")
    assert [(c["text"][:22], c["partner_type"]) for c in x["commitments"]] == [("La CAF du Pas-de-Calai", "caf")]


def test_measures_listed_in_one_unit_are_one_indicator_each():
    from ingest.extract.indicators import inline_measures
    from ingest.extract.learned import _listed_measures

    # A clause that names itself, at the end of an action's sentence or alone.
    assert inline_measures("Accompagner les familles vers leurs droits. Indicateur : nombre de rendez-vous "
                              "des droits réalisés") == ["nombre de rendez-vous des droits réalisés"]
    assert inline_measures("Indicateurs : nombre d'enfants suivis ; nombre de parcours clôturés ; montant "
                              "annuel de l'appel à projets.") == [
        "nombre d'enfants suivis", "nombre de parcours clôturés", "montant annuel de l'appel à projets"]
    assert inline_measures("La CAF s'engage à financer trois ateliers de parents.") == []
    # a year's code after "et" is not a measure of its own; an acronym is
    assert inline_measures("Indicateurs : comparaison des fiches d'engagement de 2024 à N+2 et N+3") == [
        "comparaison des fiches d'engagement de 2024 à N+2 et N+3"]
    assert inline_measures("Indicateurs : la part de ménages pauvres, IPS, le chômage") == [
        "la part de ménages pauvres", "IPS", "le chômage"]
    # A unit the model reads as an indicator, listing measures after a lead-in.
    assert _listed_measures("Les parties suivent : le nombre de voyageurs de la ligne express, le taux "
                            "d'emploi des jeunes et la part des logements réhabilités.") == [
        "le nombre de voyageurs de la ligne express", "le taux d'emploi des jeunes", "la part des logements réhabilités"]
    # One measure stays one indicator.
    assert _listed_measures("Taux de réussite au brevet : écart avec la moyenne départementale") == []


@pytest.mark.slow  # loads the Universal Sentence Encoder (a few seconds)
def test_sentence_vectors_read_meaning_not_words():
    import numpy as np

    from ingest.extract.sentence_vectors import DIMENSION, encode

    v = encode(["La CAF financera les ateliers de parents dans les quartiers.",
                "Les ateliers parents des quartiers seront financés par la caisse d'allocations familiales.",
                "Les quartiers comptent 40 % de familles monoparentales.", ""])
    assert v.shape == (4, DIMENSION) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-5) and not v[3].any()
    # A promise said the other way round is nearer to it than a diagnosis sharing its words.
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1


def test_the_shipped_model_reads_the_sentence_vector_it_was_trained_with():
    from ingest.extract.linear_model import shipped_model
    from ingest.extract.sentence_vectors import DIMENSION
    from ingest.extract.unit_features import VECTOR_DIM

    model = shipped_model()
    assert model is not None
    width = VECTOR_DIM + (DIMENSION if model.sentence_weight else 0)
    assert model.units.dense is not None and model.units.dense.shape[1] == width
    assert model.context is not None and model.context.dense.shape[1] == width


def _views_by_first_word(tmp_path: Path, body: str) -> dict:
    """The featurised units of a small contract (a title, then `body`), by their first word."""
    from ingest.corpus import ingest_file
    from ingest.extract.unit_features import UnitFeaturizer
    from ingest.training.extraction import document_resolver
    from ingest.units import units_of

    path = tmp_path / "contrat.txt"
    path.write_text("CONTRAT DE VILLE 2024-2030 DE LA COMMUNAUTÉ D'AGGLOMÉRATION DU GRAND EXEMPLE\n\n" + body,
                    encoding="utf-8")
    ingested = ingest_file(path)
    views = UnitFeaturizer(document_resolver(ingested.document, ingested.passages)).views(units_of(ingested.passages))
    return {v.unit.text.split()[0]: v for v in views}


def test_a_goal_heading_and_a_preface_heading_are_read_as_such(tmp_path: Path) -> None:
    """Items under a heading that is itself a coded goal ("2.1. Favoriser …") are its sub-goals more
    often than actions, and the paragraphs of an elected official's word commit no one: the
    featurizer says where a unit stands, whatever words the heading uses."""
    by_start = _views_by_first_word(
        tmp_path, "LE MOT DU PRÉSIDENT\n\nNotre territoire porte une ambition forte pour ses quartiers.\n\n"
                  "Axe 2 : Favoriser l'accès à l'emploi\n\n2.1. Lever les freins à la mobilité\n\n"
                  "- développer l'apprentissage du code de la route ;\n- soutenir les garages solidaires ;\n\n"
                  "LES ACTIONS DE LA COMMUNE\n\nLa commune ouvrira un atelier vélo en 2025.\n")
    preface = by_start["Notre"]
    assert "h0_cue=preface" in preface.features
    goal = by_start["développer"]
    assert goal.unit.passage.section_path[-1].startswith("2.1.")
    assert {"h0_inf", "h0_code", "hx_inf", "inf&h0goal"} <= goal.features.keys()
    action = by_start["La"]
    assert not {"h0_inf", "h0_code", "h0_cue=preface"} & action.features.keys()


def test_a_paragraph_under_an_indicators_lead_in_is_read_as_such(tmp_path: Path) -> None:
    """"Évaluation quantitative :" over a paragraph that enumerates measures says what the paragraph
    is, as a lead-in does for a list; under a "Suivi et évaluation" part, a sentence of governance
    prose carries no such cue, and a long paragraph ends the lead-in's reach."""
    by_start = _views_by_first_word(
        tmp_path, "Suivi et évaluation des engagements\n\n"
                  "Un comité technique se réunira chaque trimestre pour suivre les actions engagées par les partenaires.\n\n"
                  "Évaluation quantitative :\n\n"
                  "Le nombre de jeunes accompagnés, le nombre d'ateliers réalisés, la part des femmes parmi les "
                  "bénéficiaires.\n\n"
                  "La commune ouvrira un atelier vélo en 2025 dans chacun des quartiers prioritaires de son territoire.\n\n"
                  "Indicateurs de suivi\n\n- Taux de retour à l'emploi des bénéficiaires\n")
    assert "lead_cue=indicators_lead_in" in by_start["Le"].features
    assert "lead_cue=indicators_lead_in" not in by_start["Un"].features
    assert "lead_cue=indicators_lead_in" not in by_start["La"].features
    assert "h0_cue=indicators_lead_in" in by_start["Taux"].features
    assert "h0_cue=indicators_lead_in" not in by_start["Un"].features


def test_the_indicator_threshold_can_go_below_the_commitments_floor() -> None:
    """A rare class learned on a few contracts is seldom sure of itself on another: when out of
    fold every indicator scores 0.12 and every other unit 0.05, the indicator threshold follows
    them down, while the commitments keep their floor."""
    from types import SimpleNamespace

    from ingest.training.extraction import THRESHOLD_GRID, choose_thresholds

    labels = ["indicator", "none", "commitment", "none"] * 5
    probs = [{"indicator": 0.12}, {"indicator": 0.05}, {"commitment": 0.9}, {"commitment": 0.1}] * 5
    docs = [SimpleNamespace(group=None, gold_labels=labels) for _ in range(2)]
    chosen = choose_thresholds(docs, {id(d): probs for d in docs})  # type: ignore[arg-type]
    assert chosen["indicator"] == 0.1
    assert chosen["commitment"] == min(THRESHOLD_GRID)


def test_training_reads_the_units_as_a_build_does() -> None:
    """The model learns from units featurised exactly as a build featurises them: with the
    neighbourhoods linked to the QPV table, whose communes are actor candidates. Until 2026-12-07
    training read its documents without the table, so in a build the ranker met communes of places
    it had never seen proposed (and this document's units read differently without it)."""
    from ingest.corpus import ingest_file
    from ingest.extract.gazetteer import reference_folder
    from ingest.extract.pipeline import linked_neighbourhoods, unit_views
    from ingest.extract.territory import extract_territory
    from ingest.reference import qpv_table_path
    from ingest.training.extraction import prepare, synthetic_documents

    doc = next(d for d in synthetic_documents(ROOT / "tests/gold/openings")
               if d.document_id == "perr2019-saint-etienne-metropole")
    ingested = ingest_file(doc.source)
    territory = extract_territory(ingested.document, ingested.passages)

    def read(reference):
        neighbourhoods, _ = linked_neighbourhoods(ingested.document, ingested.passages, territory, reference)
        return [(v.unit.id, v.features, sorted((c.organisation.id, sorted(c.sources)) for c in v.candidates))
                for v in unit_views(ingested.document, ingested.passages, territory, neighbourhoods)]

    as_built = read(qpv_table_path(reference_folder()))
    assert as_built != read(None)  # the table changes how this document's units read
    assert [(v.unit.id, v.features, sorted((c.organisation.id, sorted(c.sources)) for c in v.candidates))
            for v in prepare(doc).views] == as_built


def test_the_ranker_learns_the_annotated_body_as_the_evaluation_judges_it() -> None:
    """A commune met as "Commune de Anzin" is not the annotated "Commune de Saint-Saulve" (they
    share "commune de": a token-set ratio of 0.77 made it one until 2026-12-07, in the ranker's
    training pairs and in the screens), and training agrees with `contrats eval` on every case."""
    from ingest.model import Organisation
    from ingest.training.evaluate import _same_partner
    from ingest.training.extraction import UnitLabel, same_actor

    def label(actor: str, type_: str | None) -> UnitLabel:
        return UnitLabel("u1", "u1", 1, "", "commitment", actor, type_, ())

    cases = [
        (Organisation(id="commune-anzin", name="Anzin", type="commune", aliases=("Commune de Anzin",)),
         label("Commune de Saint-Saulve", "commune"), False),
        (Organisation(id="commune-saint-saulve", name="Saint-Saulve", type="commune", aliases=("la commune",)),
         label("Commune de Saint-Saulve", "commune"), True),
        (Organisation(id="caf-nord", name="CAF du Nord", type="caf"), label("Caisse d'allocations familiales", "caf"), True),
        (Organisation(id="caf-nord", name="CAF du Nord", type="caf"), label("CPAM du Hainaut", "cpam"), False),
    ]
    for org, lab, right in cases:
        assert same_actor(org, lab) is right, (org.name, lab.actor)
        assert _same_partner({"partner": org.name, "partner_type": org.type},
                             {"partner": lab.actor, "partner_type": lab.actor_type}) is right
