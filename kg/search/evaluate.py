"""R@1, R@5 and MRR of each retrieval method on the search gold set (tests/gold/search.jsonl)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from kg.search.searcher import METHODS, Filters, Searcher


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("’", "'")).strip().lower()


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    type: str
    query: str
    relevant: tuple[tuple[str, str], ...]  # (document, quote)


def load_questions(path: Path, pooled: bool = True) -> list[Question]:
    """The gold questions; `pooled=False` keeps only the judgments written before pooling (the
    relevant passages found by pooling the top results of several settings carry
    `"source": "pooled"`, tests/gold/README.md)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            relevant = [r for r in d["relevant"] if pooled or r.get("source") != "pooled"]
            out.append(Question(d["id"], d["lang"], d.get("type", ""), d["query"],
                                tuple((r["document"], r["quote"]) for r in relevant)))
    return out


def _passage_texts(searcher: Searcher) -> list[tuple[int, str, str]]:
    """(position, document, normalised text) of every passage record, normalised once."""
    return [(i, r.document, _norm(r.text)) for i, r in enumerate(searcher.index.records)
            if r.record_type == "passage"]


def relevant_ids(searcher: Searcher, q: Question, passages: list[tuple[int, str, str]] | None = None) -> set[int]:
    """Index positions of the passages containing one of the question's quotes."""
    passages = passages if passages is not None else _passage_texts(searcher)
    ids: set[int] = set()
    for document, quote in q.relevant:
        needle = _norm(quote)
        ids.update(i for i, doc, text in passages if doc == document and needle in text)
    return ids


def evaluate_search(searcher: Searcher, questions: list[Question], k: int = 10) -> dict:
    """Metrics per method and language (and per language/question type under `by_type`), plus the
    questions whose relevant passages were not found."""
    records = searcher.index.records
    passages = _passage_texts(searcher)
    position = {id(r): i for i, r in enumerate(records)}
    passages_only = Filters(record_types=("passage",))
    sums: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    unresolved = []
    per_question = []
    for q in questions:
        gold = relevant_ids(searcher, q, passages)
        if not gold:
            unresolved.append(q.id)
            continue
        row = {"id": q.id, "lang": q.lang, "type": q.type}
        for method in METHODS:
            hits = searcher.search(q.query, k=k, filters=passages_only, method=method)
            ranks = [n for n, h in enumerate(hits, 1) if position[id(h.record)] in gold]
            first = ranks[0] if ranks else None
            for lang in (q.lang, "all", f"{q.lang}/{q.type or 'other'}"):
                s = sums[(method, lang)]
                s["n"] += 1
                s["r1"] += first == 1
                s["r5"] += first is not None and first <= 5
                s["mrr"] += 1 / first if first else 0.0
            row[method] = first
        per_question.append(row)
    def table(by_type: bool) -> dict:
        return {method: {lang: {"n": int(s["n"]), "R@1": s["r1"] / s["n"], "R@5": s["r5"] / s["n"],
                                "MRR": s["mrr"] / s["n"]}
                         for (m, lang), s in sums.items() if m == method and ("/" in lang) == by_type}
                for method in METHODS}

    return {"metrics": table(False), "by_type": table(True), "unresolved": unresolved,
            "questions": per_question}


def format_search_report(result: dict) -> str:
    lines = [f"{'method':8} {'lang':5} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR':>6}"]
    by_type_header = f"{'method':8} {'lang/type':14} {'n':>4} {'R@1':>6} {'R@5':>6} {'MRR':>6}"
    for method, by_lang in result["metrics"].items():
        for lang in sorted(by_lang, key=lambda x: (x == "all", x)):
            m = by_lang[lang]
            lines.append(f"{method:8} {lang:5} {m['n']:4} {m['R@1']:6.2f} {m['R@5']:6.2f} {m['MRR']:6.2f}")
    if result.get("by_type"):
        lines += ["", by_type_header]
    for method, by_type in result.get("by_type", {}).items():
        for kind in sorted(by_type):
            m = by_type[kind]
            lines.append(f"{method:8} {kind:14} {m['n']:4} {m['R@1']:6.2f} {m['R@5']:6.2f} {m['MRR']:6.2f}")
    if result["unresolved"]:
        lines.append(f"questions whose quotes match no passage: {', '.join(result['unresolved'])}")
    return "\n".join(lines)
