"""Search evaluation on the blind gold set (tests/gold/search_v2): dev and test, graded.

The questions (`questions.jsonl`) were written by someone who saw no system; each lists passages
it found answering them, as verbatim quotes graded 2 (answers) or 1 (partly). Pooled results of
several systems were then graded 0/1/2 by a judge who did not know which system found them
(`judgments.jsonl`, benchmarks/pool_search.py). A passage's grade for a question is the highest
of: the grade of a writer's quote found in it, the judge's grade.

Quotes are located in the index's passages by words, not characters: accents folded, one-letter
tokens dropped (OCR bullets "e"/"o", elisions, "a" for "à"), so a quote matches across the
reader's repairs (OCR "I'" -> "l'", joined hyphenation, bullets); a quote spanning two passages
credits both. A quote still found nowhere (OCR garble the reader corrected) is matched to the
window holding most of its words, if that is at least 80 % of them.

The questions are split once into `dev` and `test` (`split.json`, `make_split`): weights,
thesaurus and encoders are chosen on dev; test is reported.

Metrics over the top 10 passages: S@1 and S@5 (a passage of grade >= 1 at rank 1 / in the top
5), MRR (reciprocal rank of the first one, 0 past 10), nDCG@10 (gain = grade; the ideal ranking
takes every known relevant passage of the question), A@5 (a grade-2 passage in the top 5: the
answer is there), and, for questions naming a territory, `in-territory@5`: the share whose top 5
results all come from that territory (the territories of the question's grade-2 passages).

Pooling bias: a system that was not pooled has relevant passages nobody judged, counted as not
relevant. `condensed=True` also scores each ranking with its unjudged passages left out (the
"condensed list" of Sakai, 2007; metrics suffixed `c`), which compares pooled and unpooled systems
fairly until the new system's results are pooled and judged (benchmarks/pool_search.py).
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kg.config import PROJECT_ROOT

GOLD_DIR = PROJECT_ROOT / "tests" / "gold" / "search_v2"
SPLIT_SEED = 17
FUZZY_SHARE = 0.8
K = 10
CONDENSED_DEPTH = 50


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    lang: str
    kind: str  # factual | named | topical
    query: str
    names: dict = field(default_factory=dict, compare=False, hash=False)
    relevant: tuple[tuple[str, str, int], ...] = ()  # (document, quote, grade)
    answer: str = ""


def load_gold(folder: Path = GOLD_DIR) -> list[GoldQuestion]:
    out = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out.append(GoldQuestion(d["id"], d["lang"], d["kind"], d["query"], d.get("names") or {},
                                    tuple((r["document"], r["quote"], int(r["grade"])) for r in d["relevant"]),
                                    d.get("answer") or ""))
    return out


def load_judgments(folder: Path = GOLD_DIR) -> dict[tuple[str, str], int]:
    """(question id, passage id) -> the judge's grade; empty until the judge has graded."""
    path = folder / "judgments.jsonl"
    if not path.exists():
        return {}
    out: dict[tuple[str, str], int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            out[(d["qid"], d["passage_id"])] = int(d["grade"])
    return out


def primary_document(q: GoldQuestion) -> str:
    """The document of the question's first grade-2 quote (else its first quote)."""
    best = [doc for doc, _, g in q.relevant if g == 2] or [doc for doc, _, _ in q.relevant]
    return best[0] if best else ""


def make_split(questions: Sequence[GoldQuestion], seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """Half the questions of every (document, language, kind) stratum in dev, half in test; an odd
    stratum's extra question goes to whichever side is smaller so far."""
    strata: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for q in questions:
        strata[(primary_document(q), q.lang, q.kind)].append(q.id)
    rng = random.Random(seed)
    dev: list[str] = []
    test: list[str] = []
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        half = len(ids) // 2
        dev += ids[:half]
        test += ids[half:2 * half]
        if len(ids) % 2:
            (dev if len(dev) < len(test) or (len(dev) == len(test) and rng.random() < 0.5) else test).append(ids[-1])
    return {"seed": seed, "stratified_by": ["primary document", "lang", "kind"],
            "dev": sorted(dev), "test": sorted(test)}


def load_split(folder: Path = GOLD_DIR) -> dict[str, list[str]]:
    return json.loads((folder / "split.json").read_text(encoding="utf-8"))


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("œ", "oe").lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [w for w in re.findall(r"\w+", text) if len(w) > 1]


class QuoteLocator:
    """Finds which passages of an index hold a quote (see the module docstring)."""

    def __init__(self, records: Sequence) -> None:
        self._docs: dict[str, tuple[list[str], list[int], list[int], str]] = {}
        tokens: dict[str, list[str]] = defaultdict(list)
        owners: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(records):
            if r.record_type != "passage":
                continue
            ws = words(r.text)
            tokens[r.document] += ws
            owners[r.document] += [i] * len(ws)
        for doc, ws in tokens.items():
            starts, c = [], 0
            for w in ws:
                starts.append(c)
                c += len(w) + 1
            self._docs[doc] = (ws, owners[doc], starts, " ".join(ws))

    def find(self, document: str, quote: str) -> set[int]:
        if document not in self._docs:
            return set()
        _, owners, starts, text = self._docs[document]
        needle = " ".join(words(quote))
        if not needle:
            return set()
        found: set[int] = set()
        start = text.find(needle)
        while start >= 0:
            # only matches that start and end on word boundaries
            end = start + len(needle)
            if (start == 0 or text[start - 1] == " ") and (end == len(text) or text[end] == " "):
                a = bisect.bisect_right(starts, start) - 1
                b = bisect.bisect_right(starts, end - 1) - 1
                found.update(owners[a:b + 1])
            start = text.find(needle, start + 1)
        return found or self._fuzzy(document, needle.split())

    def _fuzzy(self, document: str, quote_words: list[str]) -> set[int]:
        ws, owners, _, _ = self._docs[document]
        n = len(quote_words)
        if n < 4 or len(ws) < n:
            return set()
        wanted = set(quote_words)
        hits = np.fromiter((w in wanted for w in ws), dtype=np.int32, count=len(ws))
        window = np.convolve(hits, np.ones(n, dtype=np.int32), mode="valid")
        best = int(np.argmax(window))
        if window[best] < FUZZY_SHARE * n:
            return set()
        return set(owners[best:best + n])


def question_grades(q: GoldQuestion, locator: QuoteLocator, records: Sequence,
                    judgments: dict[tuple[str, str], int], position_of: dict[str, int]) -> dict[int, int]:
    """Index position -> grade (>= 1) of every passage known relevant to the question."""
    grades: dict[int, int] = {}
    for document, quote, grade in q.relevant:
        for i in locator.find(document, quote):
            grades[i] = max(grades.get(i, 0), grade)
    for (qid, passage_id), grade in judgments.items():
        if qid == q.id and grade >= 1 and passage_id in position_of:
            i = position_of[passage_id]
            grades[i] = max(grades.get(i, 0), grade)
    return grades


def _dcg(gains: Sequence[int]) -> float:
    return sum(g / math.log2(r + 1) for r, g in enumerate(gains, 1))


def score_ranking(ranked: Sequence[int], grades: dict[int, int]) -> dict[str, float]:
    first = next((n for n, i in enumerate(ranked[:K], 1) if grades.get(i, 0) >= 1), None)
    ideal = _dcg(sorted(grades.values(), reverse=True)[:K])
    return {"S@1": float(first == 1), "S@5": float(first is not None and first <= 5),
            "MRR": 1 / first if first else 0.0,
            "nDCG@10": _dcg([grades.get(i, 0) for i in ranked[:K]]) / ideal if ideal else 0.0,
            "A@5": float(any(grades.get(i, 0) >= 2 for i in ranked[:5]))}


METRICS = ("S@1", "S@5", "MRR", "nDCG@10", "A@5")


def evaluate(searcher, questions: Sequence[GoldQuestion], split: dict[str, list[str]] | None = None,
             judgments: dict[tuple[str, str], int] | None = None, methods: Sequence[str] = ("hybrid",),
             search_options: dict | None = None, condensed: bool = False) -> dict:
    """Figures per method, split (dev/test/all), and group (all, fr, en, factual, named, topical,
    fr/factual, ...), plus in-territory@5 and one row per question."""
    from kg.search.searcher import Filters

    records = searcher.index.records
    locator = QuoteLocator(records)
    position_of = {r.id: i for i, r in enumerate(records) if r.record_type == "passage"}
    position = {id(r): i for i, r in enumerate(records)}
    judgments = judgments or {}
    side = {}
    if split:
        for name in ("dev", "test"):
            side.update({qid: name for qid in split.get(name, [])})
    passages_only = Filters(record_types=("passage",))
    rows = []
    unresolved = []
    for q in questions:
        grades = question_grades(q, locator, records, judgments, position_of)
        if not grades:
            unresolved.append(q.id)
            continue
        wanted = {records[i].territory for i, g in grades.items() if g == 2} or \
                 {records[i].territory for i in grades}
        row = {"id": q.id, "lang": q.lang, "kind": q.kind, "split": side.get(q.id, "unsplit"),
               "names_territory": bool((q.names or {}).get("territory"))}
        judged = set(grades) | {position_of[pid] for (qid, pid) in judgments if qid == q.id and pid in position_of}
        for method in methods:
            hits = searcher.search(q.query, k=CONDENSED_DEPTH if condensed else K, filters=passages_only,
                                   method=method, **(search_options or {}))
            ranked = [position[id(h.record)] for h in hits]
            scores = score_ranking(ranked[:K], grades)
            if row["names_territory"]:
                scores["in-territory@5"] = float(bool(ranked) and all(records[i].territory in wanted
                                                                      for i in ranked[:5]))
            if condensed:  # unjudged passages left out: fair to systems that were not pooled
                scores.update({f"{m}c": v for m, v in
                               score_ranking([i for i in ranked if i in judged][:K], grades).items()})
            row[method] = scores
        rows.append(row)
    return {"methods": list(methods), "table": aggregate(rows, methods), "questions": rows,
            "unresolved": unresolved, "judged": bool(judgments)}


def aggregate(rows: list[dict], methods: Sequence[str]) -> dict:
    """method -> split -> group -> {n, metric: mean}."""
    out: dict = {}
    for method in methods:
        for split_name in ("dev", "test", "all"):
            chosen = [r for r in rows if split_name == "all" or r["split"] == split_name]
            groups: dict[str, list[dict]] = defaultdict(list)
            for r in chosen:
                for g in ("all", r["lang"], r["kind"], f"{r['lang']}/{r['kind']}"):
                    groups[g].append(r[method])
            table = {}
            for g, scores in groups.items():
                names = [m for m in scores[0] if m in METRICS or (m[:-1] in METRICS and m.endswith("c"))]
                table[g] = {"n": len(scores), **{m: sum(s[m] for s in scores) / len(scores) for m in names}}
            named = [r[method]["in-territory@5"] for r in chosen if "in-territory@5" in r[method]]
            if named:
                table["all"]["in-territory@5"] = sum(named) / len(named)
                table["all"]["n named territory"] = len(named)
            if chosen:
                out.setdefault(method, {})[split_name] = table
    return out


GROUP_ORDER = ("all", "fr", "en", "factual", "named", "topical", "fr/factual", "fr/named", "fr/topical",
               "en/factual", "en/named", "en/topical")


def format_report(result: dict) -> str:
    lines = []
    for method, splits in result["table"].items():
        for split_name in ("test", "dev"):
            if split_name not in splits:
                continue
            table = splits[split_name]
            lines.append(f"{method} — {split_name.upper()}"
                         + (" (report this)" if split_name == "test" else " (tune on this)"))
            lines.append(f"  {'group':12} {'n':>4} " + " ".join(f"{m:>7}" for m in METRICS))
            for g in GROUP_ORDER:
                if g in table:
                    t = table[g]
                    lines.append(f"  {g:12} {t['n']:4} " + " ".join(f"{t[m]:7.2f}" for m in METRICS))
            if "in-territory@5" in table["all"]:
                lines.append(f"  questions naming a territory whose top 5 all come from it: "
                             f"{table['all']['in-territory@5']:.2f} (n={table['all']['n named territory']})")
            lines.append("")
    lines.append("relevance: writer's quotes" + (" + judge's grades (judgments.jsonl)" if result["judged"]
                                                 else " only (no judgments.jsonl yet)"))
    if result["unresolved"]:
        lines.append(f"questions whose quotes match no passage: {', '.join(result['unresolved'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    qs = load_gold()
    split = make_split(qs)
    (GOLD_DIR / "split.json").write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    print(f"dev {len(split['dev'])}, test {len(split['test'])}")
