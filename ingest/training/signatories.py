"""Training the signatory reader (ingest/extract/signatory_reader.py) from the annotated signatories.

Gold: `signatories` of tests/gold/extraction/*.json (the complete contracts) and of the dev
openings (tests/gold/openings, never the test split). Each gold signatory gives the line where the
body is named in the signature block or list; a candidate is positive when it names a gold
signatory's body (same type, similar name, as `evaluate` matches them) on that line, negative
otherwise — the same body named in the body of the text is a negative.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.extract.linear_model import LinearClassifier
from ingest.extract.organisations import OrganisationResolver, departments_of
from ingest.extract.signatory_reader import (
    SignatoryCandidate,
    SignatoryModel,
    candidates,
    read_signatories,
)
from ingest.model import Document, Passage

THRESHOLD_GRID = tuple(round(0.2 + 0.05 * k, 2) for k in range(13))  # 0.20 … 0.80
_SINGLETON = {"caf", "cpam", "region", "department", "france_travail", "epci", "caisse_des_depots",
              "bpifrance", "mission_locale", "state"}


@dataclass
class SignatoryDocument:
    document_id: str
    document: Document
    passages: list[Passage]
    resolver: OrganisationResolver
    gold: list[dict]
    candidates: list[SignatoryCandidate] | None = None
    labels: list[int] | None = None
    bodies: dict | None = None  # named bodies by type, read once (see read_signatories)


def signatory_documents(gold_dir: Path, root: Path) -> list[SignatoryDocument]:
    """The complete contracts and the dev openings, read and with their gold signatories."""
    from ingest.corpus import ingest_file
    from ingest.extract.territory import extract_territory
    from ingest.training.extraction import annotated_documents, openings_split

    items: list[tuple[str, Path, dict]] = []
    for d in annotated_documents(gold_dir, root):
        items.append((d.document_id, d.source,
                      json.loads((gold_dir / "extraction" / f"{d.document_id}.json").read_text(encoding="utf-8"))))
    folder = gold_dir / "openings"
    if (folder / "README.md").exists():
        for slug, split in sorted(openings_split(folder).items()):
            if split == "dev":  # the test openings are never read here
                items.append((slug, folder / f"{slug}.txt",
                              json.loads((folder / f"{slug}.json").read_text(encoding="utf-8"))))
    out = []
    for doc_id, source, gold in items:
        ingested = ingest_file(source)
        territory = extract_territory(ingested.document, ingested.passages)
        resolver = OrganisationResolver(departments=departments_of(territory, ingested.passages), epci=territory)
        out.append(SignatoryDocument(doc_id, ingested.document, list(ingested.passages), resolver,
                                     gold.get("signatories", [])))
    return out


def _sig_sim(org_name: str, org_type: str, g: dict) -> float:
    from ingest.training.evaluate import name_similarity

    if org_type != g.get("type"):
        return 0.0
    if org_type in _SINGLETON:
        return max(0.9, name_similarity([org_name], [g["name"]]))
    return name_similarity([org_name], [g["name"]])


def label(doc: SignatoryDocument) -> list[int]:
    """1 when a candidate names a gold signatory's body on the gold line (its passage holds it)."""
    out = []
    for c in doc.candidates or []:
        p = c.passage
        hit = any(p.line_start - 1 <= g["line"] <= p.line_end + 1 and _sig_sim(c.organisation.name, c.organisation.type, g) >= 0.8
                  for g in doc.gold if g.get("line") is not None)
        out.append(int(hit))
    return out


_LOWER_WORD = re.compile(r"(?<![\w'’])[a-zà-ÿœæ]+(?:['’][a-zà-ÿœæ]+)?")


def excluded_words(docs: Sequence[SignatoryDocument]) -> frozenset[str]:
    """Words of place names (communes, intercommunalities of the reference tables), unless two
    documents write them in lower case as common words ("ville", "centre")."""
    from ingest.extract.gazetteer import reference_folder
    from ingest.normalise import fold
    from ingest.training.extraction import place_words

    places = place_words(str(reference_folder()))
    common: dict[str, int] = {}
    for d in docs:
        seen = {w for p in d.passages for m in _LOWER_WORD.findall(p.text) if (w := fold(m)) in places}
        for w in seen:
            common[w] = common.get(w, 0) + 1
    return frozenset(w for w in places if common.get(w, 0) < 2)


def prepare(docs: Sequence[SignatoryDocument], local: frozenset[str]) -> None:
    for d in docs:
        if d.candidates is None:
            d.candidates = candidates(d.document, d.passages, d.resolver, local=local)
            d.labels = label(d)


def fit(docs: Sequence[SignatoryDocument], c: float = 0.3, drop: Callable[[str], bool] | None = None,
        min_docs: int = 2) -> LinearClassifier:
    """Logistic regression over the candidates' features; every document weighs the same, a
    feature seen in fewer than `min_docs` documents is dropped (it would describe one document)."""
    from collections import Counter

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    doc_count = Counter(k for d in docs for k in {k for cand in d.candidates for k in cand.features})
    rows, y, w = [], [], []
    for d in docs:
        n = max(1, len(d.candidates))
        for cand, lab in zip(d.candidates, d.labels, strict=True):
            rows.append({k: v for k, v in cand.features.items()
                         if doc_count[k] >= min_docs and not (drop and drop(k))})
            y.append(lab)
            w.append(100.0 / n)
    vec = DictVectorizer()
    x = vec.fit_transform(rows)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, y, sample_weight=w)
    names = vec.get_feature_names_out()
    weights = {str(nm): (float(clf.coef_[0, j]),) for j, nm in enumerate(names) if abs(clf.coef_[0, j]) > 1e-4}
    return LinearClassifier(tuple(str(k) for k in clf.classes_), weights, (float(clf.intercept_[0]),))


# The mentions the rules read as a signing party are kept whatever the model says (a veto
# threshold of 0). A veto chosen by cross-validation rested on a handful of rules' mistakes and
# swung whole contracts: with eight openings read differently in training, Maubeuge-Val de
# Sambre's signature pages went from 28 to 19 of its 28 signatories (benchmarks/signatory_lodo.py,
# BENCHMARKS.md).
RULE_GRID = (0.0,)


def score(doc: SignatoryDocument, model: SignatoryModel, probabilities: Sequence[float] | None = None
          ) -> tuple[int, int, int]:
    """(matched, predicted, gold) signatories of one document, as `evaluate` counts them."""
    from ingest.training.evaluate import evaluate

    if doc.bodies is None:
        doc.bodies = {}
    sigs = read_signatories(doc.document, doc.passages, doc.resolver, model, doc.candidates, probabilities,
                            doc.bodies)
    pred = {"neighbourhoods": [], "orientations": [], "commitments": [], "indicators": [],
            "signatories": [{"name": s.organisation.name, "type": s.organisation.type} for s in sigs]}
    gold = {**pred, "signatories": doc.gold, "scope": {}}
    sc = evaluate(pred, gold)["signatories"]
    return sc.matched, sc.predicted, sc.gold


def choose_thresholds(docs: Sequence[SignatoryDocument], c: float, folds: int = 5, **kw) -> tuple[float, float]:
    """The (threshold, rule_threshold) that maximise micro F1 on documents held out of `folds`
    inner fits — never a figure read on the document being measured."""
    if len(docs) < folds:
        return 0.5, 0.5
    totals = {(th, tr): [0, 0, 0] for th in THRESHOLD_GRID for tr in RULE_GRID}
    for k in range(folds):
        held = [d for i, d in enumerate(docs) if i % folds == k]
        clf = fit([d for i, d in enumerate(docs) if i % folds != k], c, **kw)
        probe = SignatoryModel(clf)
        for d in held:
            probs = [probe.probability(cand) for cand in d.candidates]
            for th, tr in totals:
                m, p, g = score(d, SignatoryModel(clf, th, tr), probs)
                t = totals[(th, tr)]
                t[0], t[1], t[2] = t[0] + m, t[1] + p, t[2] + g

    def key(th_tr: tuple[float, float]) -> tuple[float, float]:
        t = totals[th_tr]
        return (2 * t[0] / (t[1] + t[2]) if t[0] else 0.0, -abs(th_tr[0] - 0.5) - abs(th_tr[1] - 0.5))
    return max(totals, key=key)


def rule_flag(feature: str) -> bool:
    """The features that say what the rules read: left out of the shipped model (LODO on the dev
    documents put it level with the model that keeps them; the rules were widened on those very
    documents, so their flags look surer there than on a stranger's contract). The rules still
    count through the second threshold, for the mentions they read as a signing party."""
    return feature.startswith("rule_")


def train_signatories(docs: Sequence[SignatoryDocument], c: float = 0.1, threshold: float | None = None,
                      drop: Callable[[str], bool] | None = rule_flag, **kw) -> SignatoryModel:
    local = excluded_words(docs)
    prepare(docs, local)
    kw["drop"] = drop
    clf = fit(docs, c, **kw)
    if threshold is None:
        threshold, rule_threshold = choose_thresholds(docs, c, **kw)
    else:
        rule_threshold = threshold
    meta = {"documents": [d.document_id for d in docs], "candidates": sum(len(d.candidates) for d in docs),
            "positives": sum(sum(d.labels) for d in docs), "c": c,
            "gold": "tests/gold/extraction/*.json and the dev openings' signatories"}
    return SignatoryModel(clf, threshold, rule_threshold, meta)
