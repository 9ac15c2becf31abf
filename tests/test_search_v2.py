"""The blind search evaluation, query understanding, the embedding cache, e5 and search over HTTP,
on small fixtures (no build, no e5 corpus encoding)."""

from __future__ import annotations

import json
import zlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kg.search import gold as sg
from kg.search.embedding_cache import EmbeddingCache
from kg.search.index import IndexRecord, SearchIndex
from kg.search.searcher import Filters, Searcher
from kg.search.understand import Understander

ROOT = Path(__file__).resolve().parent.parent


# --- the gold set and its split -----------------------------------------------------------------

def test_split_is_the_one_make_split_gives_and_covers_every_question_once() -> None:
    questions = sg.load_gold()
    split = sg.load_split()
    dev, test = set(split["dev"]), set(split["test"])
    assert not dev & test
    assert dev | test == {q.id for q in questions}
    assert abs(len(dev) - len(test)) <= 2
    # stored once: regenerating it must not move a question (tuning would leak into test)
    assert sg.make_split(questions, split["seed"]) == split


def test_split_is_stratified_by_document_language_and_kind() -> None:
    questions = sg.load_gold()
    split = sg.load_split()
    side = {qid: name for name in ("dev", "test") for qid in split[name]}
    strata: dict[tuple, Counter] = {}
    for q in questions:
        strata.setdefault((sg.primary_document(q), q.lang, q.kind), Counter())[side[q.id]] += 1
    for key, counts in strata.items():
        assert abs(counts["dev"] - counts["test"]) <= 1, key


def _records(*texts_by_doc: tuple[str, str]) -> list[IndexRecord]:
    return [IndexRecord(id=f"{doc}#{n}", record_type="passage", text=text, document=doc,
                        territory=doc.upper(), passage_id=f"{doc}#{n}")
            for n, (doc, text) in enumerate(texts_by_doc)]


def test_quotes_are_found_across_passages_ocr_repairs_and_bullets() -> None:
    records = _records(("a", "Maintien des QPV"), ("a", "Arras Ouest scindé en 2 QPV distincts"),
                       ("a", "La finalité est de pouvoir identifier collectivement pendant l'instruction"),
                       ("b", "Maintien des QPV"))
    locator = sg.QuoteLocator(records)
    assert locator.find("a", "Maintien des QPV - Arras Ouest scindé") == {0, 1}  # spans two passages
    assert locator.find("a", "pendant I'instruction") == {2}  # OCR "I'" for "l'"
    assert locator.find("b", "Maintien des QPV") == {3}  # only in the named document
    assert locator.find("a", "une phrase absente du document entier") == set()


def test_a_garbled_quote_matches_the_window_holding_most_of_its_words() -> None:
    records = _records(("a", "L'ARS s'engage dans la poursuite du déploiement des Adultes Relais Médiateurs "
                             "Santé au côté de l'État"))
    locator = sg.QuoteLocator(records)
    assert locator.find("a", "L’ARS s’engage dans la poursuite du déploiement des Adultes Relais "
                             "Médiateurs Santé au c6té de I’Etat") == {0}


def test_ranking_scores() -> None:
    grades = {7: 2, 9: 1}
    perfect = sg.score_ranking([7, 9, 1], grades)
    assert perfect["S@1"] == perfect["S@5"] == perfect["MRR"] == perfect["A@5"] == 1.0
    assert perfect["nDCG@10"] == pytest.approx(1.0)
    late = sg.score_ranking([1, 2, 9, 4, 5, 7], grades)
    assert late["S@1"] == 0 and late["S@5"] == 1 and late["MRR"] == pytest.approx(1 / 3) and late["A@5"] == 0
    assert 0 < late["nDCG@10"] < 1
    assert sg.score_ranking([1, 2, 3], grades)["MRR"] == 0


# --- query understanding ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def understander() -> Understander:
    documents = [
        {"id": "arras-2024", "territory": "Communauté Urbaine d'Arras", "territory_short": "CUA",
         "siren": "200033579", "generation": "2024", "title": "Contrat de ville « Cœur de Quartier » 2024-2030"},
        {"id": "maubeuge-2024", "territory": "Communauté d'Agglomération Maubeuge Val de Sambre",
         "territory_short": "CAMVS", "siren": "200043396", "generation": "2024",
         "title": "Contrat de ville « Engagements Quartiers 2030 »"},
        {"id": "valenciennes-2019", "territory": "Valenciennes Métropole", "territory_short": "CAVM",
         "siren": "245901160", "generation": "2019"},
    ]
    extractions = [("arras-2024", [{"name": "Chanteclair - Cévennes", "communes": ["Saint-Laurent-Blangy"]}]),
                   ("valenciennes-2019", [{"name": "La Solitude Hermitage", "communes": ["Vieux-Condé"]}])]
    return Understander.from_parts(documents, extractions, ROOT / "reference")


@pytest.mark.parametrize(("query", "territories"), [
    ("Que prévoit la CUA pour les jeunes ?", ("CUA",)),
    ("Quelle part de la population de la Communauté urbaine d'Arras vit en QPV ?", ("CUA",)),
    ("How does the Arras urban community fund associations?", ("CUA",)),
    ("Quels projets à Saint-Laurent-Blangy ?", ("CUA",)),  # a commune of the territory
    ("What does Valenciennes Métropole do for jobs?", ("CAVM",)),
    ("Que fait le Valenciennois pour l'emploi ?", ("CAVM",)),  # another name of the place
    ("Actions pour Chanteclair", ("CUA",)),  # a neighbourhood stands for its territory
    ("Comparer Arras et Valenciennes", ("CUA", "CAVM")),
    ("la solitude des personnes âgées", ()),  # a common word, not the neighbourhood "La Solitude"
    ("Solitude des aînés dans les quartiers", ()),  # capitalised only because it opens the question
    ("what about arras", ()),  # a one-word name must be written as a proper noun
    ("Combien de signataires compte le contrat Cœur de Quartier ?", ("CUA",)),  # the contract's own name
    ("Que prévoient les contrats Engagements Quartiers 2030 ?", ()),  # a name of the genre, not of one
    ("les quartiers arrageois", ("CUA",)),  # a demonym of the lexicon, in lower case
    ("Que font les villes anzinoises ?", ("CAVM",)),  # a demonym of a commune of the build (Anzin)
    ("les jeunes parisiens et les élus européens", ()),  # demonyms of places the build does not hold
])
def test_territories_named_in_a_question(understander: Understander, query: str, territories: tuple) -> None:
    assert understander.understand(query).territories == territories


def test_a_territory_is_named_without_its_legal_kind_as_the_tables_write_it() -> None:
    """The kinds are ingest.reference's, which the extraction strips too: abbreviated as in the
    reference tables ("CA du Douaisis") or spelled out, an EPT's among them."""
    from ingest.reference import EPCI_KIND

    documents = [{"id": "douai", "territory": "CA du Douaisis", "siren": "200044691"},
                 {"id": "plaine", "territory": "EPT Plaine Commune", "siren": "200057867"},
                 {"id": "cambrai", "territory": "Cambrai Métropole Sud", "siren": "200000001"}]
    understander = Understander.from_parts(documents, [], ROOT / "reference")
    assert understander.understand("Que fait le Douaisis pour l'emploi ?").territories == ("CA du Douaisis",)
    assert understander.understand("Que prévoit Plaine Commune ?").territories == ("EPT Plaine Commune",)
    assert understander.understand("Que prévoit Mbrai ?").territories == ()  # "Cambrai" is not "CA mbrai"
    # The extraction's gazetteer keeps the abbreviations: stripping them would add phrases to it.
    assert EPCI_KIND.sub("", "CA du Douaisis") == "CA du Douaisis"
    assert EPCI_KIND.sub("", "EPT Plaine Commune") == "Plaine Commune"


@pytest.mark.parametrize(("query", "generations"), [
    ("Que prévoit le protocole de 2019 ?", ("2019",)),
    ("What did the 2019 update add?", ("2019",)),
    ("contrats de ville 2024-2030", ("2024",)),
    ("les nouveaux contrats de ville", ("2024",)),
    ("Quartiers 2030 et emploi", ("2024",)),
    ("le contrat 2015-2020", ("2015",)),
    ("Combien d'habitants en 2019 ?", ()),  # a year alone is a date, not a generation
])
def test_generations_named_in_a_question(understander: Understander, query: str, generations: tuple) -> None:
    assert understander.understand(query).generations == generations


def test_partners_are_understood_and_can_be_removed(understander: Understander) -> None:
    understood = understander.understand("Que fait la CAF pour la parentalité à Arras ?")
    assert [m.value for m in understood.of("partner")] == ["caf"]
    assert understood.territories == ("CUA",)
    assert understood.without("territory").territories == ()
    assert understood.without("partner:caf").of("partner") == ()
    assert json.loads(json.dumps(understood.to_json()))["territories"] == ["CUA"]


# --- search with understanding, on a tiny index ---------------------------------------------------

class _HashEncoder:
    """Bag-of-words vectors by hashing: deterministic, instant, enough to rank a toy index."""

    name = "hash"
    floor = 0.0
    dimension = 64

    def _vectors(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().split():
                out[n, zlib.crc32(word.encode()) % self.dimension] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1)

    encode_passages = encode_queries = _vectors


@pytest.fixture(scope="module")
def toy_searcher(understander: Understander) -> Searcher:
    records = [
        IndexRecord("a1", "passage", "La CAF soutient la parentalité dans les quartiers", "arras-2024",
                    territory="CUA", generation="2024", passage_id="a1"),
        IndexRecord("a2", "passage", "Les jeunes et l'emploi dans les quartiers", "arras-2024",
                    territory="CUA", generation="2024", passage_id="a2"),
        IndexRecord("v1", "passage", "La parentalité est soutenue par les centres sociaux", "valenciennes-2019",
                    territory="CAVM", generation="2019", passage_id="v1"),
        IndexRecord("v2", "passage", "Parentalité : la CAF finance les lieux d'accueil enfants-parents",
                    "valenciennes-2019", territory="CAVM", generation="2019", passage_id="v2"),
    ]
    return Searcher(SearchIndex.build(records, _HashEncoder()), _HashEncoder(), understander=understander)


def test_a_named_territory_filters_the_results(toy_searcher: Searcher) -> None:
    response = toy_searcher.run("parentalité à Arras", k=4)
    assert {r.record.territory for r in response.results} == {"CUA"}
    assert response.understood.territories == ("CUA",)
    literal = toy_searcher.run("parentalité à Arras", k=4, understand=False)
    assert {r.record.territory for r in literal.results} == {"CUA", "CAVM"}
    # an explicit filter wins over what the question names
    explicit = toy_searcher.run("parentalité à Arras", k=4, filters=Filters(territories=("CAVM",)))
    assert {r.record.territory for r in explicit.results} == {"CAVM"}


def test_a_named_partner_boosts_the_passages_naming_it(toy_searcher: Searcher) -> None:
    plain = toy_searcher.run("parentalité", k=4, filters=Filters(territories=("CAVM",)))
    with_caf = toy_searcher.run("parentalité CAF", k=4, filters=Filters(territories=("CAVM",)))
    assert [m.value for m in with_caf.understood.of("partner")] == ["caf"]
    assert with_caf.results[0].record.id == "v2"
    assert plain.results  # the boost only reorders


def test_search_over_http_gives_the_cli_objects(toy_searcher: Searcher) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from kg.endpoint.search_api import add_search_routes

    app = FastAPI()
    add_search_routes(app, lambda: toy_searcher)
    client = TestClient(app)
    got = client.get("/search", params={"q": "parentalité à Arras", "k": 3}).json()
    assert got == json.loads(json.dumps(toy_searcher.run("parentalité à Arras", k=3).to_json()))
    posted = client.post("/search", json={"q": "parentalité", "territory": ["CAVM"], "k": 2}).json()
    assert {r["territory"] for r in posted["results"]} == {"CAVM"}
    ignored = client.get("/search", params={"q": "parentalité à Arras", "ignore": "territory"}).json()
    assert {r["territory"] for r in ignored["results"]} == {"CUA", "CAVM"}
    assert client.get("/search", params={"q": "x", "k": 0}).status_code == 422
    assert client.get("/search", params={"q": "   "}).status_code == 400
    spec = client.get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/search"])
    assert "SearchResponse" in spec["components"]["schemas"]


# --- the embedding cache ------------------------------------------------------------------------

def test_embedding_cache_encodes_only_new_text(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    cache = EmbeddingCache(tmp_path / "enc")
    first = cache.vectors(["aa", "bbb", "aa"], encode)
    assert calls == [["aa", "bbb"]] and first.tolist() == [[2, 1], [3, 1], [2, 1]]
    again = EmbeddingCache(tmp_path / "enc")  # a later build
    assert again.vectors(["bbb", "aa"], encode).tolist() == [[3, 1], [2, 1]]
    assert len(calls) == 1  # nothing encoded the second time
    again.vectors(["aa", "cccc"], encode)
    assert calls[-1] == ["cccc"]
    (tmp_path / "enc" / "junk.keys.npy").write_bytes(b"not numpy")  # a damaged shard is a miss, not a crash
    assert len(EmbeddingCache(tmp_path / "enc")) == 3


def test_embedding_cache_finds_keys_ending_in_zero_bytes(tmp_path: Path) -> None:
    from kg.search.embedding_cache import text_key

    texts = [f"passage {n}" for n in range(3000)]
    assert any(text_key(t).endswith(b"\0") for t in texts)  # about 1 in 256 digests
    EmbeddingCache(tmp_path).vectors(texts, lambda m: np.ones((len(m), 2), dtype=np.float32))
    assert EmbeddingCache(tmp_path).vectors(texts, lambda m: pytest.fail(f"re-encoded {len(m)} texts")).shape == (3000, 2)


def test_encoder_with_cache_gives_the_same_vectors(tmp_path: Path) -> None:
    from kg.search.encoder import Encoder

    class Model:
        calls = 0

        def encode(self, texts, **kwargs):
            Model.calls += len(texts)
            return np.array([[len(t), 2.0] for t in texts], dtype=np.float32)

        def get_embedding_dimension(self):
            return 2

    encoder = Encoder("m", Model(), passage_prefix="p: ", fingerprint="v1")
    encoder.attach_cache(tmp_path)
    first = encoder.encode_passages(["un", "deux"])
    second = encoder.encode_passages(["deux", "un"])
    assert Model.calls == 2 and np.array_equal(first[::-1], second)


# --- e5 ---------------------------------------------------------------------------------------

def test_e5_is_centred_prefixed_and_the_same_with_or_without_torch() -> None:
    from kg.search.e5_encoder import MEAN_PATH, centre, encode_light, passage_mean
    from kg.search.encoder import BUILTIN_E5, BUILTIN_E5_RAW, load_encoder

    mean = passage_mean()
    assert MEAN_PATH.exists() and mean.shape == (384,)
    raw = load_encoder(BUILTIN_E5_RAW, Path("unused"))
    e5 = load_encoder(BUILTIN_E5, Path("unused"))
    texts = ["La CAF finance les lieux d'accueil enfants-parents", "Le club de football accueille les jeunes"]
    raw_p = raw.encode_passages(texts)
    centred_p = e5.encode_passages(texts)
    assert np.allclose(centred_p, centre(raw_p), atol=1e-5)
    assert np.allclose(np.linalg.norm(centred_p, axis=1), 1, atol=1e-5)
    # queries and passages are encoded differently ("query: " / "passage: ")
    assert not np.allclose(e5.encode_queries(texts[:1]), centred_p[:1], atol=1e-3)
    # the light query path (no torch) equals the sentence-transformers module
    assert np.allclose(e5.encode_queries(texts[:1]), e5._encode(["query: " + texts[0]], 8), atol=1e-5)
    assert np.allclose(encode_light(["passage: " + texts[0]]), centred_p[:1], atol=1e-5)
    # centring spreads cosines: the two unrelated sentences are far less alike once centred
    assert float(centred_p[0] @ centred_p[1]) < float(raw_p[0] @ raw_p[1]) - 0.2


def test_centring_text_is_neither_corpus_nor_questions() -> None:
    from kg.search.e5_encoder import centring_texts
    from kg.search.gold import words

    corpus = " ".join(" ".join(words(p.read_text(encoding="utf-8"))) for p in (ROOT / "corpus").glob("*.txt"))
    questions = " ".join(" ".join(words(q.query)) for q in sg.load_gold())
    for text in centring_texts():
        w = words(text)
        if len(w) >= 6:  # a sentence, not a place name
            phrase = " ".join(w)
            assert phrase not in corpus and phrase not in questions, text


# --- thread limits ------------------------------------------------------------------------------

def test_query_thread_limits_respect_the_users_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kg.threads import _VARIABLES, set_thread_variables

    for name in (*_VARIABLES, "OMP_WAIT_POLICY", "TOKENIZERS_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)  # restored after the test
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert set_thread_variables(1) == 1
    assert os.environ["OMP_NUM_THREADS"] == "3"  # set by the user: kept
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
