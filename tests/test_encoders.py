"""The encoders: the multilingual USE module as a SentenceTransformer, model specs and blends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.search.encoder import (
    BUILTIN_USE,
    BUILTINS,
    DENSE_FLOORS,
    Encoder,
    EncoderBlend,
    load_encoder,
    parse_model_spec,
)


@pytest.fixture(scope="module")
def use() -> Encoder:
    return load_encoder(BUILTIN_USE, Path("unused"))


def test_model_spec_weights_are_normalised() -> None:
    assert parse_model_spec("a") == [("a", 1.0)]
    assert parse_model_spec("a@3 + b@1") == [("a", 0.75), ("b", 0.25)]
    assert parse_model_spec("a+b") == [("a", 0.5), ("b", 0.5)]


@pytest.mark.parametrize("spec", ["", "a+", "a@x", "a@0", "a@-1+b"])
def test_bad_model_specs_say_what_is_wrong(spec: str) -> None:
    with pytest.raises(ValueError, match="model spec"):
        parse_model_spec(spec)


def test_unknown_builtin_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match=BUILTIN_USE):
        load_encoder("builtin:nope", Path("unused"))


def test_use_is_a_sentence_transformer_that_saves_and_reloads(tmp_path: Path, use: Encoder) -> None:
    from sentence_transformers import SentenceTransformer

    assert isinstance(use.model, SentenceTransformer) and use.dimension == 512
    use.model.save(str(tmp_path))
    reloaded = SentenceTransformer(str(tmp_path), device="cpu", trust_remote_code=True)
    text = ["Lutter contre le décrochage scolaire"]
    assert np.allclose(reloaded.encode(text), use.model.encode(text), atol=1e-5)


def test_use_matches_paraphrases_across_french_and_english(use: Encoder) -> None:
    query = use.encode_queries(["how do we help women beaten by their partner?"])[0]
    on_topic, off_topic = use.encode_passages([
        "Lutter contre les violences conjugales et intrafamiliales",
        "Développer la pratique sportive des jeunes dans les clubs",
    ])
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-5)
    assert query @ on_topic > query @ off_topic + 0.1


def test_the_search_and_the_unit_classifier_encode_with_one_use_model(use: Encoder) -> None:
    """One USE-m3 per process (ingest/sentence_encoder.py): the search's sentence-transformers
    module, its numpy path for questions and the unit classifier's vectors hold the same model
    and give the same vectors."""
    from ingest import sentence_encoder
    from ingest.extract.sentence_vectors import encode as unit_vectors
    from kg.search.use_encoder import encode_light

    texts = ["La CAF financera les ateliers de parents dans les quartiers.",
             "Les bailleurs s'engagent à réhabiliter 300 logements d'ici 2030.",
             "Lutter contre le décrochage scolaire",
             "La Région soutient la mobilité des jeunes vers l'emploi."]
    assert use.model[0]._use is sentence_encoder.model()
    questions = encode_light(texts)
    assert questions.shape == (4, 512) and np.allclose(np.linalg.norm(questions, axis=1), 1.0, atol=1e-6)
    assert np.array_equal(unit_vectors(texts), questions)
    # The module encodes in its own batches (sorted by length): equal to float32's last digits.
    assert np.allclose(use.encode_passages(texts), questions, rtol=0, atol=1e-6)


def test_use_encodes_an_empty_batch(use: Encoder) -> None:
    assert use.encode_passages([]).shape[0] == 0


class _Fixed:
    """A model that returns given unit vectors, to check the blend's arithmetic exactly."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def encode(self, texts, **kwargs) -> np.ndarray:
        return np.array([self.vectors[t] for t in texts], dtype=np.float32)

    def get_embedding_dimension(self) -> int:
        return len(next(iter(self.vectors.values())))


def test_blend_inner_product_is_the_weighted_sum_of_cosines() -> None:
    rng = np.random.default_rng(0)

    def unit(n: int) -> np.ndarray:
        v = rng.normal(size=n)
        return v / np.linalg.norm(v)

    a = {t: unit(3) for t in ("q", "p")}
    b = {t: unit(5) for t in ("q", "p")}
    blend = EncoderBlend("a@0.3+b@0.7", [(Encoder("a", _Fixed(a), floor=0.5), 0.3),
                                          (Encoder("b", _Fixed(b), floor=0.2), 0.7)])
    q, p = blend.encode_queries(["q"])[0], blend.encode_passages(["p"])[0]
    assert blend.dimension == 8 and q.shape == (8,)
    assert np.isclose(np.linalg.norm(q), 1.0, atol=1e-6)
    assert np.isclose(q @ p, 0.3 * (a["q"] @ a["p"]) + 0.7 * (b["q"] @ b["p"]), atol=1e-6)
    assert np.isclose(blend.floor, 0.3 * 0.5 + 0.7 * 0.2)


def test_every_builtin_has_a_calibrated_floor() -> None:
    assert set(DENSE_FLOORS) == set(BUILTINS)
    assert load_encoder(BUILTIN_USE, Path("unused")).floor == DENSE_FLOORS[BUILTIN_USE]


def test_remembered_questions_are_encoded_again_once_forgotten() -> None:
    """Question vectors are remembered (the app reruns a question on every click); a benchmark
    asking its questions again forgets them first, or it would time the memory, not the encoder."""
    asked: list[str] = []

    def encode(texts: list[str]) -> np.ndarray:
        asked.extend(texts)
        return np.ones((len(texts), 3), np.float32) / np.sqrt(3)

    one = Encoder("a", query_encoder=encode, dim=3)
    blend = EncoderBlend("a@0.5+b@0.5", [(one, 0.5), (Encoder("b", query_encoder=encode, dim=3), 0.5)])
    blend.encode_queries(["q1", "q2"])
    blend.encode_queries(["q1"])
    assert asked == ["q1", "q2", "q1", "q2"]  # each member once per question: the second ask was remembered
    assert blend.forget_queries() == 4
    blend.encode_queries(["q1"])
    assert asked[-2:] == ["q1", "q1"] and one.forget_queries() == 1


def test_the_word_vector_model_keeps_one_weight_for_the_words_no_passage_has(small_build) -> None:
    """Its corpus's words weigh their IDF, stop words nothing, and the rest of the vocabulary the
    unknown word's weight, which the model gives them itself: its config lists only the first two
    (it listed every word, 12 MB of indented JSON written at each build), and no model card."""
    import json

    from safetensors.numpy import load_file

    from kg.search.encoder import french_stop_words

    folder = small_build.data_dir / "models" / "fr-word-vectors"
    config = json.loads((folder / "1_WordWeights" / "config.json").read_text(encoding="utf-8"))
    (weights,) = load_file(str(folder / "1_WordWeights" / "model.safetensors")).values()
    weight = dict(zip(config["vocab"], weights[:, 0].tolist(), strict=True))
    unknown = config["unknown_word_weight"]
    assert len(config["vocab"]) > 100_000 and len(config["word_weights"]) < len(french_stop_words()) + 100
    assert weight["parentalité"] == pytest.approx(config["word_weights"]["parentalité"])
    assert 0 < weight["parentalité"] < unknown
    assert weight["girafe"] == pytest.approx(unknown) and "girafe" not in config["word_weights"]
    assert weight["les"] == 0.0 and "les" in french_stop_words()
    assert not (folder / "README.md").exists()


def test_the_word_vector_model_is_the_weighted_mean_of_its_words_vectors(tmp_path: Path) -> None:
    """kg.search.word_vectors encodes as sentence-transformers' WhitespaceTokenizer, WordWeights and
    mean Pooling do (checked against them in tests/test_word_vector_model.py, slow): the words
    found (as they are, without their punctuation, lowercased), weighted, averaged; none found,
    the zero vector. Its files round-trip through the safetensors format."""
    from kg.search.word_vectors import WordVectorModel, read_tensor, save_word_vector_model

    vectors = np.array([[1, 0, 0], [0, 2, 0], [0, 0, 3], [4, 4, 4]], dtype=np.float32)
    save_word_vector_model(tmp_path, ["la", "caf", "agit", "girafe"], vectors,
                           {"la": 0.0, "caf": 2.0, "agit": 0.5}, unknown_word_weight=3.0)
    assert np.array_equal(read_tensor(tmp_path / "model.safetensors"), vectors)
    assert np.array_equal(read_tensor(tmp_path / "1_WordWeights" / "model.safetensors")[:, 0], [0, 2, 0.5, 3])
    model = WordVectorModel.load(tmp_path)
    assert model.tokenize("La CAF, agit! zèbre caf") == [0, 1, 2, 1]
    raw = model.encode(["La CAF, agit! zèbre caf", "zèbre", "girafe la"])
    expected = (2 * vectors[1] + 0.5 * vectors[2] + 2 * vectors[1]) / 4.5
    assert np.allclose(raw[0], expected, rtol=0, atol=1e-6)
    assert not raw[1].any() and np.allclose(raw[2], vectors[3] * 3 / 3)
    unit = model.encode(["La CAF, agit! zèbre caf", "zèbre"], normalize_embeddings=True)
    assert np.isclose(np.linalg.norm(unit[0]), 1.0, atol=1e-6) and not unit[1].any()


def test_a_rebuild_links_the_word_vectors_and_writes_only_its_weights(small_build, tmp_path: Path) -> None:
    """The vectors do not depend on the corpus: a data directory that holds them (a rebuild) gets
    them linked into the new model, not written again (230 MB), and the new corpus's weights."""
    import os
    import shutil

    from kg.search.encoder import build_word_vector_model
    from kg.search.word_vectors import WordVectorModel

    built = small_build.data_dir / "models" / "fr-word-vectors"
    folder = tmp_path / "fr-word-vectors"
    shutil.copytree(built, folder, copy_function=os.link)
    model = build_word_vector_model(folder, ["Une girafe au zoo.", "La girafe et le zèbre."])
    assert os.path.samefile(folder / "model.safetensors", built / "model.safetensors")
    assert os.path.samefile(folder / "whitespacetokenizer_config.json", built / "whitespacetokenizer_config.json")
    assert not os.path.samefile(folder / "1_WordWeights" / "model.safetensors",
                                built / "1_WordWeights" / "model.safetensors")
    girafe, zebre = model.word2idx["girafe"], model.word2idx["zèbre"]
    assert model.weights[girafe] < model.weights[zebre]  # in both passages / in one
    before = WordVectorModel.load(built)
    assert np.array_equal(model.vectors[girafe], before.vectors[girafe])
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no working folder left


def test_searching_with_the_word_vectors_needs_neither_torch_nor_sentence_transformers(small_build) -> None:
    """A search on a word-vector build (`contrats search`, a server, the app) encodes its question
    with numpy: importing torch and sentence-transformers took seconds in every such process."""
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from kg.search.encoder import load_encoder; "
            f"e = load_encoder({small_build.model!r}, Path({str(small_build.data_dir / 'models')!r})); "
            "v = e.encode_queries(['la santé des habitants']); "
            "print(v.shape, sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["(1,", "300)", "[]"], result.stdout + result.stderr
