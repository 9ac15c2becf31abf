"""`contrats eval` scores the strategy's objectives at every depth of the tree, as the one walk of
it (`walk_strategy`) meets them: a sub-objective counts as one, found or missed."""

from __future__ import annotations

from ingest.training.evaluate import evaluate


def _document(orientations: list[dict]) -> dict:
    return {"neighbourhoods": [], "signatories": [], "orientations": orientations, "commitments": [],
            "indicators": []}


GOLD = _document([
    {"label": "Favoriser l'emploi des habitants", "number": "1", "objectives": [
        {"label": "Lutter contre l'illettrisme", "code": "1.1", "level": "strategic", "line": 3, "children": [
            {"label": "Ouvrir des ateliers de lecture", "code": "1.1.1", "level": "operational", "line": 4,
             "children": [{"label": "Former les bénévoles des ateliers", "code": "1.1.1.1", "line": 5}]}]}]},
    {"label": "Améliorer le cadre de vie", "number": "2", "objectives": [
        {"label": "Rénover les logements anciens", "code": "2.1", "line": 9}]},
])


def test_objectives_are_counted_at_every_depth() -> None:
    predicted = _document([
        {"label": "Favoriser l'emploi des habitants", "number": "1", "id": "o1", "objectives": [
            {"label": "Lutter contre l'illettrisme", "code": "1.1", "id": "o1.1", "children": [
                {"label": "Ouvrir des ateliers de lecture", "code": "1.1.1", "id": "o1.1.1", "children": [
                    {"label": "Repeindre la mairie annexe", "code": "1.1.1.1", "id": "o1.1.1.1", "children": []}]}]}]},
    ])
    scores = evaluate(predicted, GOLD)
    assert (scores["orientations"].matched, scores["orientations"].predicted, scores["orientations"].gold) == (1, 1, 2)
    # the deepest predicted objective has another label under the same code: not a match
    assert (scores["objectives"].matched, scores["objectives"].predicted, scores["objectives"].gold) == (2, 3, 4)
