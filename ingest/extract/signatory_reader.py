"""Signatories read by a small learned model over candidates that the rules and the gazetteer propose.

The rules of `signatories.py` were widened on the documents they are measured on, and on openings
written by someone else they miss a third of the signatories. Here every mention of a body in the
text (the `OrganisationResolver`'s finds, the members of collective lines, and whatever the rules
propose) is a *candidate*; it is described by features of the genre only — where it stands
relative to the markers of a signature zone ("Signataires", "Entre", "Fait à", "conclu entre :"),
the shape of its passage (a list, a table row, a "Pour X," line, a short uppercase line, a long
paragraph), the words around it ("représenté par", a role, a person's name, "s'engage"), its
neighbours, its organisation type, whether the rules found it there — and a logistic regression
(ingest/data/signatory_model.json, named weights) says whether it is a signing party. A body is a
signatory when its best mention passes the threshold. No feature names a place, a person or a
heading of one document: the words around a mention are kept only when they are not the name of
a commune or an intercommunality of the reference tables (`local_words`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from ingest.extract.linear_model import LinearClassifier
from ingest.extract.organisations import OrganisationResolver
from ingest.extract.signatories import (
    _CIRCULAR,
    _CUE_AFTER,
    _CUE_BEFORE,
    _DELEGATION,
    _FOR_BODY,
    _MARKER,
    _PARTIES_END,
    _PARTIES_OPENER,
    _PERSON_NAME,
    _PLACE_DATE,
    _REPRESENTED,
    _ROLE_LINE,
    _ROLE_OF,
    _ROLE_WORD,
    _THIS_ACT,
    _line_of,
    _list_like,
    _members,
    _person_role,
    extract_signatories,
)
from ingest.model import BlockKind, Document, Organisation, Passage, Provenance, Signatory
from ingest.normalise import fold
from ingest.resources import load_yaml

FORMAT = "contrats-kg/signatory-model/1"
SHIPPED_SIGNATORY_MODEL = Path(__file__).resolve().parent.parent / "data" / "signatory_model.json"

_WORD = re.compile(r"[a-zà-ÿœæ]+(?:['’][a-zà-ÿœæ]+)?")
LONG_DOCUMENT = 400  # passages: a whole contract, not an opening or an excerpt
NEAR_PASSAGES = 40  # a signatory list or signature block spans fewer passages than this
_UPPER_LINE = re.compile(r"^[^a-zà-ÿ]*$")


# The genre's words around a signing party (a committing verb, a committee, a section's heading,
# the lead-in of a list of bodies) are data, ingest/data/signatory_cues.yaml: a new genre's
# vocabulary is a data change.
def _any_of(alternatives: Sequence[str]) -> re.Pattern[str]:
    # In any case: the text is matched as written, not folded.
    return re.compile("(?i:" + "|".join(alternatives) + ")")


@cache
def _cues() -> dict[str, re.Pattern[str]]:
    """The cues of signatory_cues.yaml but the headings', each one pattern of its alternatives."""
    return {k: _any_of(v) for k, v in load_yaml("signatory_cues.yaml").items() if k != "headings"}


@cache
def _heading_cues() -> dict[str, re.Pattern[str]]:
    """Heading cue name -> its pattern, in the order of the data file (the features' order)."""
    return {k: _any_of(v) for k, v in load_yaml("signatory_cues.yaml")["headings"].items()}


def _bucket(n: float, edges: Sequence[float]) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return f">{edges[-1]}"


@dataclass
class SignatoryCandidate:
    """One mention of a body that may be a signing party, with the features that describe it."""

    organisation: Organisation
    passage: Passage
    pos: int
    features: dict[str, float] = field(default_factory=dict)
    rule: Signatory | None = None  # what the rules said about this body, when they named it here

    @property
    def line(self) -> int:
        return _line_of(self.passage, self.pos)


def collective_of(org: Organisation, resolver: OrganisationResolver) -> str | None:
    """The members' type of a group phrase ("les communes", "les bailleurs sociaux"), else None."""
    return resolver.collective_type(org)


def _is_marker(text: str) -> bool:
    t = text.strip()
    return bool((_MARKER.match(t) and len(t) < 120) or (_PLACE_DATE.match(t) and len(t) < 80)
                or (_PARTIES_OPENER.match(t) and len(t) < 160))


def _words_around(text: str, start: int, end: int) -> tuple[list[str], list[str]]:
    left = [fold(w) for w in _WORD.findall(text[max(0, start - 40):start])][-2:]
    right = [fold(w) for w in _WORD.findall(text[end:end + 40])][:2]
    return left, right


def candidates(document: Document, passages: Sequence[Passage], resolver: OrganisationResolver,
               rules: Sequence[Signatory] | None = None,
               local: frozenset[str] = frozenset()) -> list[SignatoryCandidate]:
    """Every mention of a body in the text, featurised. `rules` is the rule reader's answer
    (computed here when not given); `local` are words never used as features (place names)."""
    if rules is None:
        rules = extract_signatories(document, passages, resolver)
    resolver.learn(passages)
    n = max(1, len(passages))
    by_id = {p.id: p for p in passages}
    position = {p.id: i for i, p in enumerate(passages)}
    rule_at: dict[tuple[str, str], Signatory] = {}
    rule_ids = set()
    for s in rules:
        rule_ids.add(s.organisation.id)
        for prov in s.provenance:
            rule_at[(prov.passage_id, s.organisation.id)] = s
    # Per passage: mentions, markers and shapes, computed once.
    mentions: list[list[tuple[int, int, Organisation]]] = []
    for p in passages:
        found = list(resolver.find(p.text))
        spans = {(s, o.id) for s, _, o in found}
        for s, o in _members(p.text, resolver):
            if (s, o.id) not in spans and not any(fs <= s < fe for fs, fe, _ in found):
                found.append((s, s, o))
        mentions.append(sorted(found, key=lambda f: f[0]))
    markers = [_is_marker(p.text) for p in passages]
    ends = [bool(_PARTIES_END.search(p.text) and len(p.text) < 200) for p in passages]
    long_par = [len(p.text) > 300 and p.kind != BlockKind.TABLE_ROW for p in passages]
    counts = Counter(o.id for ms in mentions for _, _, o in ms)
    repeated = Counter(p.text.strip() for p in passages if len(p.text.strip()) < 120)

    def since(i: int, flags: list[bool], step: int) -> int | None:
        j, d = i, 0
        while 0 <= j < len(flags) and d <= 60:
            if flags[j]:
                return d
            j += step
            d += 1
        return None

    def shape(i: int) -> dict[str, float]:
        if not 0 <= i < len(passages):
            return {"none": 1.0}
        p = passages[i]
        t = p.text.strip()
        return {"org": float(bool(mentions[i])), "person": float(bool(_PERSON_NAME.search(t))),
                "role": float(bool(_ROLE_LINE.match(t))), "pour": float(bool(_FOR_BODY.match(t))),
                "repr": float(bool(_REPRESENTED.search(t))), "long": float(long_par[i]),
                "marker": float(markers[i])}

    short = [len(p.text.strip()) < 120 for p in passages]

    def base_features(i: int) -> dict[str, float]:
        p = passages[i]
        text = p.text
        t = text.strip()
        base: dict[str, float] = {"bias_kind=" + str(p.kind): 1.0}
        # Where a mention stands in the document means one thing in a ten-page opening and another
        # in a three-hundred-page contract, whose signatories sit in a few pages at either end.
        size = "long_" if n > LONG_DOCUMENT else ""
        base[f"{size}rel=" + _bucket(i / n, (0.05, 0.15, 0.5, 0.85, 0.95, 1.0))] = 1.0
        base["len=" + _bucket(len(t), (40, 80, 160, 300, 600))] = 1.0
        distinct = len({o.id for _, _, o in mentions[i]})
        base["norgs=" + _bucket(distinct, (0, 1, 2, 4, 8))] = 1.0
        d_prev, d_next = since(i, markers, -1), since(i, markers, 1)
        base[f"{size}mk_prev=" + ("none" if d_prev is None else _bucket(d_prev, (0, 1, 3, 8, 20, 60)))] = 1.0
        base[f"{size}mk_next=" + ("none" if d_next is None else _bucket(d_next, (0, 1, 3, 8, 20, 60)))] = 1.0
        lp = since(i, long_par, -1)
        base["long_prev=" + ("none" if lp is None else _bucket(lp, (0, 1, 3, 8, 20, 60)))] = 1.0
        ep = since(i, ends, -1)
        if ep is not None and (d_prev is None or ep < d_prev):
            base["after_end"] = 1.0  # "il est convenu ce qui suit" after the last marker
        window = short[max(0, i - 5):i + 6]
        base["short_window=" + _bucket(sum(window) / len(window), (0.3, 0.6, 0.9, 1.0))] = 1.0
        if markers[i]:
            base["is_marker"] = 1.0
        if _list_like(text, [m for m in mentions[i] if m[1] > m[0]]):
            base["list_like"] = 1.0
        if _CIRCULAR.search(text):
            base["circular"] = 1.0
        if repeated[t] >= 2:
            base["repeated"] = 1.0
        if _UPPER_LINE.match(t):
            base["upper"] = 1.0
        if "\t" in text or " | " in text:
            base["cells"] = 1.0
        if _DELEGATION.search(text):
            base["delegation"] = 1.0
        for name, pat in _heading_cues().items():
            if p.section_path and pat.search(p.section_path[-1]):
                base["head_" + name] = 1.0
        for off, tag in ((-1, "prev"), (0, "self"), (1, "next")):
            for k, v in shape(i + off).items():
                if v:
                    base[f"{tag}_{k}"] = v
        # The lead-in of a list or table: the last passage above that is not one of its items.
        j = i - 1
        while j >= 0 and i - j < 40 and passages[j].kind in (BlockKind.LIST_ITEM, BlockKind.TABLE_ROW):
            j -= 1
        if p.kind in (BlockKind.LIST_ITEM, BlockKind.TABLE_ROW) and j >= 0:
            lead_text = passages[j].text[-200:]
            base["lead=" + ("sig" if _cues()["lead_signing"].search(lead_text) else "other")] = 1.0
            if _cues()["lead_attendance"].search(lead_text):
                base["lead_attend"] = 1.0
        # The nearest short line above that ends with a colon: the lead-in of what follows, when
        # the items are paragraphs rather than a list ("Étaient présents :" then one body a line).
        for k in range(i - 1, max(-1, i - 12), -1):
            above = passages[k].text.strip()
            if above.endswith(":") and len(above) < 200:
                if _cues()["lead_attendance"].search(above):
                    base["colon_attend"] = 1.0
                break
        # "Ont participé : la CAF, …" on one line.
        head = text[:160].split(":", 1)
        if len(head) == 2 and _cues()["lead_attendance"].search(head[0]):
            base["opens_attend"] = 1.0
        run = 0
        for j in range(i - 1, max(-1, i - 15), -1):
            if not mentions[j]:
                break
            run += 1
        base["run_prev=" + _bucket(run, (0, 1, 3, 6, 10))] = 1.0
        return base

    out: list[SignatoryCandidate] = []
    for i, p in enumerate(passages):
        if not mentions[i]:
            continue
        text = p.text
        base = base_features(i)
        for s, e, org in mentions[i]:
            f = dict(base)
            f["type=" + org.type] = 1.0
            if collective_of(org, resolver):
                f["collective"] = 1.0
            if e == s:
                f["member_of_list"] = 1.0
            f["count=" + _bucket(counts[org.id], (1, 3, 10, 30))] = 1.0
            # The sentence and the clause around the mention.
            sent_start = max(text.rfind(". ", 0, s), text.rfind("; ", 0, s), -1) + 1
            sent_end_c = [x for x in (text.find(". ", e), text.find("; ", e)) if x >= 0]
            sent = text[sent_start:min(sent_end_c) if sent_end_c else len(text)]
            if _cues()["commit"].search(sent):
                f["commit_verb"] = 1.0
            if _cues()["governance"].search(sent):
                f["governance"] = 1.0
            if _CUE_AFTER.search(text[max(0, s - 400):s]):
                f["cue_after"] = 1.0
            if _CUE_BEFORE.search(text[e:e + 600]):
                f["cue_before"] = 1.0
            if _THIS_ACT.search(sent):
                f["this_act"] = 1.0
            before = text[max(0, s - 80):s]
            lead = text[max(0, s - 12):s]
            if not re.search(r"\w", re.sub(r"(?i:\b(?:pour|et|la|le|les|l['’]|de|du|des|d['’])\b)", "", lead)):
                f["item_start"] = 1.0
            if re.search(r"(?i:\bpour\s+(?:l['’]\s*|la\s+|le\s+|les\s+)?)$", before):
                f["after_pour"] = 1.0
            if _ROLE_OF.search(before):
                f["after_role"] = 1.0
            if re.search(r"(?i:repr[ée]sent[ée]e?s?\s+par\b[^;]{0,80})$", before):
                f["in_representative"] = 1.0
            after = text[e:e + 120]
            if _REPRESENTED.match(after) or re.match(r"\s*[,:]?\s*(?i:repr[ée]sent)", after):
                f["then_represented"] = 1.0
            if _PERSON_NAME.search(after[:80]):
                f["then_person"] = 1.0
            if _ROLE_WORD.search(after[:60]):
                f["then_role"] = 1.0
            if re.match(r"\s*(?i:s['’]\s*engag|engag|financ|met|pilot|port|assur|propos)", after):
                f["then_verb"] = 1.0
            if s < 3:
                f["at_start"] = 1.0
            left, right = _words_around(text, s, e)
            for k, w in enumerate(reversed(left)):
                if w not in local:
                    f[f"l{k + 1}={w}"] = 1.0
            for k, w in enumerate(right):
                if w not in local:
                    f[f"r{k + 1}={w}"] = 1.0
            rule = rule_at.get((p.id, org.id))
            if rule is None and (kind := collective_of(org, resolver)) is not None:
                # "les communes concernées": the rules signed its members on this passage.
                member = next((r for (pid, _), r in rule_at.items() if pid == p.id and r.organisation.type == kind), None)
                rule = replace(member, organisation=org, person=None, role=None) if member else None
            if rule is not None:
                f["rule_here"] = 1.0
            elif org.id in rule_ids:
                f["rule_elsewhere"] = 1.0
            out.append(SignatoryCandidate(org, p, s, f, rule))
    # Bodies the rules found that no mention names (a landlord only known by the line's shape).
    seen = {(c.passage.id, c.organisation.id) for c in out}
    groups = {(c.passage.id, kind) for c in out if (kind := collective_of(c.organisation, resolver))}
    for s in rules:
        for prov in s.provenance:
            if (prov.passage_id, s.organisation.type) in groups:
                continue  # a member of "les communes concernées": the group is the candidate
            if (prov.passage_id, s.organisation.id) not in seen and prov.passage_id in by_id:
                p = by_id[prov.passage_id]
                f = {**base_features(position[p.id]),
                     "rule_here": 1.0, "rule_only": 1.0, "type=" + s.organisation.type: 1.0}
                out.append(SignatoryCandidate(s.organisation, p, 0, f, s))
    return out


@dataclass(frozen=True)
class SignatoryModel:
    """The candidate classifier and two thresholds: one for the mentions the rules also read as a
    signing party (`rule_threshold`), one for the others."""

    classifier: LinearClassifier
    threshold: float = 0.5
    rule_threshold: float = 0.5
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "threshold": self.threshold, "rule_threshold": self.rule_threshold,
                "meta": dict(self.meta), "classifier": self.classifier.to_json()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> SignatoryModel:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a signatory model: format {d.get('format')!r}")
        return cls(LinearClassifier.from_json(d["classifier"]), float(d["threshold"]),
                   float(d.get("rule_threshold", d["threshold"])), d.get("meta", {}))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True, indent=0), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SignatoryModel:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

    def probability(self, c: SignatoryCandidate) -> float:
        return self.classifier.proba(c.features)[self.classifier.classes[-1]]

    def accepts(self, c: SignatoryCandidate, p: float) -> bool:
        return p >= (self.rule_threshold if c.rule is not None else self.threshold)


_SHIPPED: dict[str, SignatoryModel] = {}


def shipped_signatory_model() -> SignatoryModel | None:
    path = str(SHIPPED_SIGNATORY_MODEL)
    if path not in _SHIPPED:
        if not SHIPPED_SIGNATORY_MODEL.exists():
            return None
        _SHIPPED[path] = SignatoryModel.load(SHIPPED_SIGNATORY_MODEL)
    return _SHIPPED[path]


def read_signatories(document: Document, passages: Sequence[Passage], resolver: OrganisationResolver,
                     model: SignatoryModel, cands: Sequence[SignatoryCandidate] | None = None,
                     probabilities: Sequence[float] | None = None,
                     bodies: dict[str, list[Organisation]] | None = None) -> list[Signatory]:
    """The bodies whose best mention the model calls a signing party, in the order they are named.

    A group ("les communes concernées") stands for the single bodies of its type that the contract
    names, unless some of them are signatories on their own."""
    if cands is None:
        cands = candidates(document, passages, resolver)
    if probabilities is None:
        probabilities = [model.probability(c) for c in cands]
    best: dict[str, tuple[float, SignatoryCandidate]] = {}
    for c, p in zip(cands, probabilities, strict=True):
        if model.accepts(c, p) and (c.organisation.id not in best or p > best[c.organisation.id][0]):
            best[c.organisation.id] = (p, c)
    chosen = sorted(best.values(), key=lambda x: (x[1].passage.index, x[1].pos))
    singles = [(c.organisation.type, c.passage.index) for _, c in chosen if not collective_of(c.organisation, resolver)]
    out: list[Signatory] = []
    seen: set[str] = set()
    bodies = {} if bodies is None else bodies  # members' type -> the bodies the text names
    for p, c in chosen:
        person, role = c.rule.person if c.rule else None, c.rule.role if c.rule else None
        if c.rule is None and c.pos < len(c.passage.text):
            nxt = [s for s in (m.start() for m in re.finditer(r"[;\n]", c.passage.text)) if s > c.pos]
            person, role = _person_role(c.passage.text, c.pos, nxt[0] if nxt else len(c.passage.text))
        provenance = (Provenance(c.passage.id, c.passage.page, c.line),)
        kind = collective_of(c.organisation, resolver)
        if kind is not None:
            # Bodies of the group's type signing on their own in the same list or block: the group
            # is their collective line, not more bodies. A commune read as a signatory a hundred
            # pages away does not stand for the group.
            if any(t == kind and abs(at - c.passage.index) <= NEAR_PASSAGES for t, at in singles):
                continue
            if kind not in bodies:
                bodies[kind] = resolver.named_bodies(passages, kind)
            members = bodies[kind]
            for org in members:
                if org.id not in seen and org.id not in best:
                    seen.add(org.id)
                    out.append(Signatory(organisation=org, confidence=round(min(p, 0.6), 2), provenance=provenance))
            if members:
                continue
        if c.organisation.id in seen:
            continue
        seen.add(c.organisation.id)
        out.append(Signatory(organisation=c.organisation, person=person, role=role, confidence=round(p, 2),
                             provenance=provenance))
    return out


def extract_signatories_learned(document: Document, passages: Sequence[Passage], resolver: OrganisationResolver,
                                model: SignatoryModel | None = None) -> list[Signatory]:
    """The learned reader when a model is shipped (or given), else the rules."""
    model = model or shipped_signatory_model()
    rules = extract_signatories(document, passages, resolver)
    if model is None:
        return rules
    return read_signatories(document, passages, resolver, model, candidates(document, passages, resolver, rules))

