"""Training the extraction model from the annotated units.

The annotations (tests/gold/units/<doc>.labels*.tsv against <doc>.units.jsonl, guide in
tests/gold/GUIDE.md) say, for every unit of a document, whether it is a commitment, a proposal, an
objective, an indicator or none, and who the actor is. `train` fits the unit classifier and the
actor ranker (scikit-learn logistic regressions) and returns an `ExtractionModel` of named weights.
The held-out measures (leave-one-document-out, the test openings) are in ingest/training/held_out.py.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from ingest.extract.gazetteer import reference_folder
from ingest.extract.linear_model import ExtractionModel, LinearClassifier
from ingest.extract.unit_features import (
    SENTENCE_WEIGHT,
    ActorContext,
    UnitView,
    context_features,
    words,
)
from ingest.normalise import fold

LABELS = ("commitment", "proposal", "objective", "indicator", "none")
MODEL_FORMAT_VERSION = 2


@dataclass(frozen=True)
class UnitLabel:
    uid: str
    unit_id: str
    line: int
    text: str
    label: str
    actor: str | None
    actor_type: str | None
    scope: tuple[str, ...]


@dataclass
class AnnotatedDocument:
    document_id: str
    source: Path
    labels: list[UnitLabel]
    views: list[UnitView] | None = None
    group: str | None = None  # documents of one group share one document's weight in training
    gold_labels: list[str] | None = None  # aligned with views
    gold_actors: list[UnitLabel | None] | None = None
    # False for a document only some units of which are labelled (researchers' corrections): its
    # other units are unknown, not "none", and are left out of training.
    complete: bool = True


def load_unit_labels(units_dir: Path, document_id: str) -> list[UnitLabel]:
    units = {}
    for line in (units_dir / f"{document_id}.units.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            units[r["uid"]] = r
    out: list[UnitLabel] = []
    for path in sorted(units_dir.glob(f"{document_id}.labels*.tsv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
                uid = (row.get("uid") or "").strip()
                if uid not in units:
                    continue
                u = units[uid]
                label = (row.get("label") or "none").strip()
                actor = (row.get("actor") or "").strip() or None
                out.append(UnitLabel(uid, u["unit_id"], u["line"], u["text"], label if label in LABELS else "none",
                                     actor if actor != "?" else None, (row.get("actor_type") or "").strip() or None,
                                     tuple(s.strip() for s in (row.get("scope") or "").split(";") if s.strip())))
    return sorted(out, key=lambda x: x.uid)


def annotated_documents(gold_dir: Path, corpus_root: Path) -> list[AnnotatedDocument]:
    """Every document with a labels file, its source found through the units table or the gold json."""
    units_dir = gold_dir / "units"
    docs = []
    for units_file in sorted(units_dir.glob("*.units.jsonl")):
        doc_id = units_file.name.removesuffix(".units.jsonl")
        labels = load_unit_labels(units_dir, doc_id)
        if not labels:
            continue
        gold_json = gold_dir / "extraction" / f"{doc_id}.json"
        source = json.loads(gold_json.read_text(encoding="utf-8"))["source"] if gold_json.exists() else None
        if source is None:
            continue
        docs.append(AnnotatedDocument(doc_id, corpus_root / source, labels))
    return docs


def training_documents(gold_dir: Path, root: Path) -> list[AnnotatedDocument]:
    """Everything the shipped model learns from: the completely annotated contracts and the dev
    split of the synthetic documents in the shapes of other territories' contracts (their
    openings, tests/gold/openings, and excerpts of their bodies, tests/gold/bodies)."""
    docs = annotated_documents(gold_dir, root)
    for name in SYNTHETIC_SETS:
        if (gold_dir / name / "README.md").exists():
            docs += synthetic_documents(gold_dir / name)
    return docs


# Folders of tests/gold with synthetic documents of other territories, each with a dev/test table
# in its README.md; each folder trains as one group (one contract's weight).
SYNTHETIC_SETS = ("openings", "bodies")


def synthetic_documents(folder: Path, split: str = "dev", for_training: bool = True) -> list[AnnotatedDocument]:
    """The synthetic documents of one folder and split, as annotated documents: their gold lists
    every commitment, indicator (and, in tests/gold/bodies, objective) of the document, so every
    other unit is a 'none'. Only the `dev` split may ever be trained on: `test` measures the model
    (`for_training=False`, for a benchmark's blind read)."""
    if split != "dev" and for_training:
        raise ValueError("only the dev split of a synthetic set is for training")
    out = []
    for slug, s in sorted(openings_split(folder).items()):
        if s != split:
            continue
        gold = json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))
        labels = [UnitLabel(f"g{n}", "", c["line"], c["text"], c.get("kind", "commitment"), c["partner"],
                            c["partner_type"], tuple(c.get("neighbourhoods") or ()))
                  for n, c in enumerate(gold.get("commitments", []))]
        labels += [UnitLabel(f"i{n}", "", i["line"], i["text"], "indicator", None, None, ())
                   for n, i in enumerate(gold.get("indicators", []))]
        labels += [UnitLabel(f"o{n}", "", o["line"], o["text"], "objective", None, None, ())
                   for n, o in enumerate(gold.get("objectives", []))]
        out.append(AnnotatedDocument(slug, folder / f"{slug}.txt", labels, group=folder.name))
    return out


def annotations_hash(docs: Sequence[AnnotatedDocument]) -> str:
    h = hashlib.sha256()
    for d in docs:
        for lab in d.labels:
            h.update(f"{d.document_id}\t{lab.unit_id}\t{lab.label}\t{lab.actor}\t{lab.actor_type}\n".encode())
    return h.hexdigest()[:16]


def _text_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


def prepare(doc: AnnotatedDocument, reference_csv: Path | None = None) -> AnnotatedDocument:
    """Featurise the document's units and align them with the labels (by unit id, else by text).

    The units are featurised as a build featurises them (ingest/extract/pipeline.py): with the
    neighbourhoods linked to the QPV table (`reference_csv`, default the reference folder's), whose
    communes make actor candidates. Until 2026-12-07 training read the documents without the
    table, so a commune of a place was a candidate in builds that the ranker had never seen.
    """
    if doc.views is not None:
        return doc
    from ingest.corpus import ingest_file
    from ingest.extract.pipeline import linked_neighbourhoods, unit_views
    from ingest.extract.territory import extract_territory
    from ingest.reference import qpv_table_path

    if reference_csv is None:
        reference_csv = qpv_table_path(reference_folder())
    ingested = ingest_file(doc.source)
    territory = extract_territory(ingested.document, ingested.passages)
    neighbourhoods, _ = linked_neighbourhoods(ingested.document, ingested.passages, territory, reference_csv)
    views = unit_views(ingested.document, ingested.passages, territory, neighbourhoods, SENTENCE_WEIGHT)
    by_id = {lab.unit_id: lab for lab in doc.labels}
    by_text: dict[str, UnitLabel] = {}
    for lab in doc.labels:
        by_text.setdefault(_text_key(lab.text), lab)
    labels, actors, kept = [], [], []
    for v in views:
        lab = by_id.get(v.unit.id) or by_text.get(_text_key(v.unit.text)) \
            or _contained(v.unit.text, v.unit.line, doc.labels) or _piece_of(v.unit, doc.labels)
        if lab is None and not doc.complete:
            continue
        kept.append(v)
        labels.append(lab.label if lab else "none")
        actors.append(lab if lab and lab.label in ("commitment", "proposal") and lab.actor else None)
    doc.views, doc.gold_labels, doc.gold_actors = kept, labels, actors
    return doc


def _contained(text: str, line: int, labels: Sequence[UnitLabel]) -> UnitLabel | None:
    """A gold record whose text holds the unit's (a gold item written with its bullet, or a unit
    that is one row of a gold table line), near the same line."""
    key = _text_key(text)
    if len(key) < 12:
        return None
    for lab in labels:
        if not lab.unit_id and abs(lab.line - line) <= 3:
            gold = _text_key(lab.text)
            if key in gold or (gold in key and len(gold) >= 0.6 * len(key)):
                return lab
    return None


def _piece_of(unit, labels: Sequence[UnitLabel]) -> UnitLabel | None:
    """The label of an annotated unit that a later reading cut in pieces ("… du territoire" and the
    heading "ORIENTATION 1 : …" glued together when it was annotated): a piece of its text, not a
    heading, from its first lines, takes its label."""
    if unit.kind == "heading":
        return None
    key = _text_key(unit.text)
    if len(key) < 12:
        return None
    for lab in labels:
        if lab.unit_id and 0 <= unit.line - lab.line <= 15 and key in _text_key(lab.text):
            return lab
    return None


def document_resolver(document, passages):
    from ingest.extract.pipeline import units_resolver
    from ingest.extract.territory import extract_territory

    return units_resolver(document, passages, extract_territory(document, passages))


def same_actor(org, lab: UnitLabel) -> bool:
    """Does a resolved organisation name the annotated actor? The very test `contrats eval` makes of
    an extracted partner (ingest.training.evaluate.same_partner: type, then the organisation's name
    for plural types), so that the ranker learns to be right as it is measured.

    Until 2026-12-07 this also read the names a body was met under, with a token-set ratio: the
    alias "Commune de Anzin" shares "commune de" with "Commune de Saint-Saulve" (ratio 0.77), so
    the wrong commune counted as the annotated actor, in the ranker's training pairs (the first
    such candidate became the body to rank first) and in the screens' figures: 421 of 2,729
    training groups had two different bodies counted right."""
    from ingest.training.evaluate import same_partner

    return same_partner(org.name, org.type, lab.actor or "", lab.actor_type or org.type)


# Classes are not reweighted. Balanced weights (used until 2026-12-07) multiplied the rare classes'
# probabilities: a proposal weighed 35 times a "none" (224 against 7,739 units), and an annex item
# ("Parc X (43 rue Y) ;") read as a proposal at 0.7, which counts as a commitment. The documents
# are already weighted one contract each (_doc_weights), so the genre's own proportions are what
# the probabilities should carry; the thresholds are chosen on them out of fold. Chosen on the
# unit-level leave-one-document-out screen (BENCHMARKS.md, 2026-12-07).
CLASS_WEIGHT: str | None = None


def _fit(rows: list[dict[str, float]], y: list[str], c: float, weights: list[float] | None = None,
         min_count: int = 2, vectors: Sequence[np.ndarray] | None = None) -> LinearClassifier:
    """A logistic regression over named features (classes weighted as CLASS_WEIGHT says), features
    seen fewer than `min_count` times dropped (a word met once says more about one document than
    about the genre)."""
    from collections import Counter

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(k for r in rows for k in r)
    rows = [{k: v for k, v in r.items() if counts[k] >= min_count} for r in rows]
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    names = vec.get_feature_names_out()
    if vectors is not None:
        from scipy.sparse import csr_matrix, hstack

        x = hstack([x, csr_matrix(np.vstack(vectors))], format="csr")
    clf = LogisticRegression(C=c, max_iter=2000, class_weight=CLASS_WEIGHT)
    clf.fit(x, y, sample_weight=weights)
    coef = clf.coef_  # (n_classes, n_features), or (1, n_features) when binary
    named = len(names)
    weights_out = {str(name): tuple(float(coef[k, j]) for k in range(coef.shape[0]))
                   for j, name in enumerate(names) if any(abs(coef[k, j]) > 1e-4 for k in range(coef.shape[0]))}
    dense = np.array(coef[:, named:], dtype=np.float64) if vectors is not None else None
    return LinearClassifier(tuple(str(c) for c in clf.classes_), weights_out, tuple(float(b) for b in clf.intercept_),
                            dense)


def _doc_weights(docs: Sequence[AnnotatedDocument]) -> list[float]:
    """Each document (or group of small documents) weighs the same: a 6,000-unit contract must
    not teach its own conventions as the genre's, nor fifteen two-page openings outweigh it.
    A reviewed unit of a partly labelled document (researchers' corrections) weighs what an
    annotated unit weighs on average: a few hundred reviews, picked by what the reviewers met
    first, must not count as a whole contract."""
    sizes: dict[str, int] = {}
    for d in docs:
        if d.complete:
            sizes[d.group or d.document_id] = sizes.get(d.group or d.document_id, 0) + len(d.views)
    mean = sum(sizes.values()) / len(sizes) if sizes else 1.0
    return [mean / sizes[d.group or d.document_id] if d.complete else 1.0 for d in docs for _ in d.views]


@cache
def place_words(folder: str) -> frozenset[str]:
    """Every word of the name of a commune or an intercommunality of the reference tables (not of
    the QPV: their names are made of common words, "Gare", "Jardins", "Avenir")."""
    from ingest.reference import qpv_table_full

    out: set[str] = set()
    for row in qpv_table_full(folder):
        for name in (row.commune, row.epci):
            out.update(words(name))
    return frozenset(out | {_elided(w) for w in out})


def _elided(word: str) -> str:
    """"d'arras" -> "arras": the name under its article or preposition."""
    return word.rsplit("'", 1)[-1]


_WORD_FEATURE = re.compile(r"^(?:w|lw|h0w|hxw|w0|t=\w+\|[wh])=(.+)$")


def _words_of(feature: str) -> tuple[str, ...]:
    """The words of the text a feature is made of: "w=arras", "lw=arras", "h0w=arras",
    "w0=arras", the actor ranker's "t=commune|w=arras" -> ("arras",); the bigram "b=ville_arras" -> ("ville", "arras"); others: ()."""
    if feature.startswith("b="):
        found = feature[2:].split("_")
    elif m := _WORD_FEATURE.match(feature):
        found = [m.group(1)]
    else:
        return ()
    return tuple(dict.fromkeys([*found, *(_elided(w) for w in found)]))


_LOWER_WORD = re.compile(r"(?<![\w'’])[a-zà-ÿœæ]+(?:['’][a-zà-ÿœæ]+)?")


def local_words(docs: Sequence[AnnotatedDocument], folder: Path | None = None) -> frozenset[str]:
    """The words of place names the training documents use only as names ("Valenciennes",
    "Sambre"): learned on, they are knowledge of one territory, not of the genre; on a contract of
    another territory they never fire. A place word that two documents write in lower case
    ("ville", "centre", "ensemble", "pilote") is a common word of the language and stays."""
    places = place_words(str(folder or reference_folder()))
    common: dict[str, int] = {}
    for d in docs:
        lower = {w for v in d.views for m in _LOWER_WORD.findall(v.unit.text) if (w := fold(m)) in places}
        for w in lower:
            common[w] = common.get(w, 0) + 1
    return frozenset(w for w in places if common.get(w, 0) < 2)


def _fit_units(docs: Sequence[AnnotatedDocument], c: float) -> LinearClassifier:
    local = local_words(docs)
    rows = [{k: x for k, x in v.features.items() if not local.intersection(_words_of(k))}
            for d in docs for v in d.views]
    vectors = [v.vector for d in docs for v in d.views]
    return _fit(rows, [lab for d in docs for lab in d.gold_labels], c, _doc_weights(docs),
                vectors=vectors if all(x is not None for x in vectors) else None)


def _folds(docs: Sequence[AnnotatedDocument]) -> list[list[AnnotatedDocument]]:
    """Each document a fold of its own; the documents of one group (the openings) one fold."""
    groups: dict[str, list[AnnotatedDocument]] = {}
    for d in docs:
        groups.setdefault(d.group or f"doc:{d.document_id}", []).append(d)
    return list(groups.values())


def _with_context(doc: AnnotatedDocument, probs: Sequence[dict[str, float]]) -> AnnotatedDocument:
    """The document with each unit's features joined by what a first pass thought of its neighbours."""
    views = [UnitView(v.unit, {**v.features, **c}, v.candidates, v.vector)
             for v, c in zip(doc.views, context_features(doc.views, probs), strict=True)]
    return replace(doc, views=views)


def _out_of_fold(docs: Sequence[AnnotatedDocument], targets: Sequence[AnnotatedDocument], fit) \
        -> dict[int, list[dict[str, float]]]:
    """Probabilities of every unit of `targets` from a model fitted on `docs` without the unit's
    own document (or group): id(doc) -> one dict per unit."""
    out = {}
    for part in _folds(targets):
        ids = {id(d) for d in part}
        rest = [d for d in docs if id(d) not in ids]
        if rest:
            model = fit(rest)
            for d in part:
                out[id(d)] = [model.proba(v.features, v.vector) for v in d.views]
    return out


def _fit_stacked(docs: Sequence[AnnotatedDocument], c: float) -> tuple[LinearClassifier, LinearClassifier | None,
                                                                        dict[int, list[dict[str, float]]]]:
    """The first pass on every document, and the second pass trained on first-pass probabilities
    that never saw the unit's own document (out of fold: in-sample probabilities would be too sure
    of themselves, and the second pass would learn to trust them). Also returns the out-of-fold
    second-pass probabilities, for choosing thresholds.

    Only completely annotated documents train the second pass: in a document of which a reviewer
    labelled a few units, those units' neighbours are unknown."""
    first = _fit_units(docs, c)
    complete = [d for d in docs if d.complete]
    oof = _out_of_fold(docs, complete, lambda ds: _fit_units(ds, c))
    if len(_folds(complete)) < 2:  # a single fold: no neighbour's probability can be honest
        return first, None, {}
    stacked = [_with_context(d, oof[id(d)]) for d in complete]
    context = _fit_units(stacked, c)
    # For the thresholds: each fold's second pass refitted without it (its first-pass features stay
    # out of fold; the other folds' were computed with it, a leak that only touches the threshold).
    by_fold = _out_of_fold(stacked, stacked, lambda ds: _fit_units(ds, c))
    return first, context, {id(d): by_fold[id(s)] for d, s in zip(complete, stacked, strict=True)}


THRESHOLD_GRID = tuple(round(0.2 + 0.05 * k, 2) for k in range(11))  # 0.20 … 0.70
# Indicators are one unit in a hundred, and a model that learned them on three contracts is seldom
# sure of one on the fourth: held out, their best threshold lay at 0.10-0.15 in all four folds,
# under the commitments' floor, and the choice (still made out of fold) needs the grid to reach it.
# Unit-level leave-one-document-out, dev (BENCHMARKS.md, 2026-12-07 evening): mean indicator F1
# 0.36 -> 0.52. The commitments keep their floor: below it they lose precision for recall.
INDICATOR_THRESHOLD_GRID = tuple(round(0.1 + 0.05 * k, 2) for k in range(13))  # 0.10 … 0.70


def choose_thresholds(docs: Sequence[AnnotatedDocument], probs: dict[int, list[dict[str, float]]]) \
        -> dict[str, float]:
    """Decision thresholds chosen on out-of-fold probabilities of the training documents: the one
    that maximises the mean F1 over documents, never a figure read on the document measured."""
    held = [d for d in docs if not d.group and id(d) in probs]  # a group of small documents is not one contract
    if len(held) < 2:
        return {}
    out = {}
    for name, classes, grid in (("commitment", ("commitment", "proposal"), THRESHOLD_GRID),
                                ("indicator", ("indicator",), INDICATOR_THRESHOLD_GRID)):
        def mean_f1(th: float, classes=classes) -> float:
            f1s = []
            for d in held:
                tp = fp = fn = 0
                for p, lab in zip(probs[id(d)], d.gold_labels, strict=True):
                    pred, gold = sum(p.get(k, 0.0) for k in classes) >= th, lab in classes
                    tp, fp, fn = tp + (pred and gold), fp + (pred and not gold), fn + (gold and not pred)
                f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
            return sum(f1s) / len(f1s)
        out[name] = max(grid, key=mean_f1)
    return out


def _fit_ranker(groups: Sequence[tuple[list[dict[str, float]], list[bool]]], c: float,
                min_count: int = 2) -> LinearClassifier:
    """The actor ranker: a linear score per candidate, learned on pairs (the right body against each
    wrong candidate of the same unit, logistic loss on the difference of their features).

    A unit's candidates compete with each other, and only their order matters: scored one by one
    (is this candidate the actor?), a commune that dominates the page learns a high score in the
    commune parts and keeps it where a partner's own line names another body; on pairs, each
    weight says what makes one candidate beat another of the same unit. Returns a binary
    LinearClassifier ("other", "actor") without intercept, which rank_actors reads as before."""
    from collections import Counter

    from scipy.sparse import vstack
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(k for rows, _ in groups for r in rows for k in r)
    vec = DictVectorizer()
    x = vec.fit_transform([{k: v for k, v in r.items() if counts[k] >= min_count} for rows, _ in groups for r in rows])
    diffs, y, start = [], [], 0
    for rows, hits in groups:
        right = start + hits.index(True)
        for k, hit in enumerate(hits):
            if not hit:
                # Both orders of a pair, alternating, so that the classes balance without an intercept.
                sign = 1 if len(y) % 2 == 0 else -1
                diffs.append((x[right] - x[start + k]) * sign)
                y.append(int(sign > 0))
        start += len(rows)
    clf = LogisticRegression(C=c, max_iter=3000, fit_intercept=False)
    clf.fit(vstack(diffs).tocsr(), y)
    names = vec.get_feature_names_out()
    weights = {str(name): (float(w),) for name, w in zip(names, clf.coef_[0], strict=True) if abs(w) > 1e-4}
    return LinearClassifier(("other", "actor"), weights, (0.0,))


def ranker_groups(docs: Sequence[AnnotatedDocument], local: frozenset[str]) \
        -> list[tuple[list[dict[str, float]], list[bool]]]:
    """What the actor ranker learns from (`_fit_ranker`): for each annotated commitment whose body
    is among its unit's candidates (and not all of them), each candidate's features, place names
    (`local`) left out, and whether it is that body."""
    groups = []
    for d in docs:
        assert d.views is not None and d.gold_labels is not None and d.gold_actors is not None
        for v, actor in zip(d.views, d.gold_actors, strict=True):
            if actor is None:
                continue
            hits = [same_actor(c.organisation, actor) for c in v.candidates]
            if not any(hits) or all(hits):
                continue  # nothing to rank: the right body is not among the candidates, or all are
            context = ActorContext.of(v.unit)
            rows = [{k: x for k, x in c.features(context).items() if not local.intersection(_words_of(k))}
                    for c in v.candidates]
            groups.append((rows, hits))
    return groups


def train(docs: Sequence[AnnotatedDocument], c_units: float = 0.5, c_actors: float = 0.1,
          thresholds: dict[str, float] | None = None) -> ExtractionModel:
    docs = [prepare(d) for d in docs]
    # The ranker reads words too (a body's type crossed with the unit's words): the same care as
    # for the units, place names out and a word met once dropped.
    actor_groups = ranker_groups(docs, local_words(docs))
    units, context, out_of_fold = _fit_stacked(docs, c_units)
    if thresholds is None:
        thresholds = choose_thresholds(docs, out_of_fold)
    actors = _fit_ranker(actor_groups, c_actors)
    meta = {"documents": [d.document_id for d in docs], "annotations_sha256": annotations_hash(docs),
            "units": sum(len(d.views) for d in docs), "actor_examples": sum(len(r) for r, _ in actor_groups),
            "format_version": MODEL_FORMAT_VERSION, "c_units": c_units, "c_actors": c_actors,
            "guide": "tests/gold/GUIDE.md v2", **({"sentence_weight": SENTENCE_WEIGHT} if SENTENCE_WEIGHT else {})}
    return ExtractionModel(units, actors, thresholds, meta, context)


def openings_split(folder: Path) -> dict[str, str]:
    """slug -> dev/test, from the table of tests/gold/openings/README.md."""
    out = {}
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[-1] in ("dev", "test") and (folder / f"{cells[0]}.txt").exists():
            out[cells[0]] = cells[-1]
    return out
