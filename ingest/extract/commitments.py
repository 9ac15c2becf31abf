"""Commitments: who commits to what, for which neighbourhoods, in which part of the strategy.

Contracts write commitments in a handful of shapes, all handled by one walk over the passages:

- "X s'engage à :" followed by bullets: the lead-in's subject carries down to each bullet;
- a partner's block: a line naming the partner ("CPAM", "Bailleur social …") then its actions;
- a partner's chapter ("Priorités et cadre d'intervention de X", "Les engagements de X"),
  including "Les engagements de la commune pour les quartiers", whose commune is the one the
  chapter presents, and its "Engagement spécifique pour le quartier X" sub-sections;
- a sentence anywhere whose subject is a body and whose verb binds it ("La Région mobilisera…").

A sentence that only says what a body *could* do ("peut financer") is never a commitment, and
the same text met twice (an annex repeating the body) is kept once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ingest.extract.commitment_language import (
    NUMBERING,
    any_cue,
    cues,
    is_binding,
    is_possibility,
    label_key,
    named_body,
    sentences,
    starts_with_infinitive,
)
from ingest.extract.strategy_headings import match_orientation
from ingest.extract.themes import themes_of
from ingest.model import (
    BlockKind,
    Commitment,
    CommitmentKind,
    Document,
    Organisation,
    Passage,
    Provenance,
)
from ingest.normalise import fold

Locate = Callable[[Passage], tuple[str | None, str | None]]

# A line naming a partner's block is short; a longer one is a sentence about the partner.
MAX_PARTNER_LINE_WORDS = 9
# How far back a commune chapter looks for the commune it presents.
COMMUNE_LOOKBACK = 40
MIN_ACTION_WORDS = 3


@dataclass
class _State:
    chapter: Organisation | None = None  # from a partner's chapter heading
    block: Organisation | None = None  # from a line naming the partner
    lead: Organisation | None = None  # from "X s'engage à :" (list items only)
    zone: bool = False  # in a section whose items are commitments
    proposal: bool = False
    scope: tuple[str, ...] = ()
    answers: bool = True  # False after a questionnaire's question that asks for no commitment
    goals: bool = False  # the list items that follow state goals or priorities, not actions
    seen: set[str] = field(default_factory=set)

    def partner(self) -> Organisation | None:
        return self.lead or self.block or self.chapter


class CommitmentExtractor:
    def __init__(self, document: Document, passages: Sequence[Passage], resolver, locate: Locate,
                 neighbourhood_names: Sequence[str] = (), commune_names: Sequence[str] = (),
                 strategy_labels: Sequence[str] = ()) -> None:
        self.communes = {fold(c): c for c in commune_names if c}
        self.strategy_labels = {label_key(x) for x in strategy_labels}
        self.document = document
        self.passages = passages
        self.resolver = resolver
        self.locate = locate
        self.names = {fold(n): n for n in neighbourhood_names if n and len(n) >= 4}
        self.state = _State()
        self.out: list[Commitment] = []
        self.table: _Table | None = None

    # --- the walk -------------------------------------------------------------------------

    def run(self) -> list[Commitment]:
        for i, p in enumerate(self.passages):
            if p.kind == BlockKind.TABLE_ROW:
                self._table_row(p)
                continue
            if len(p.text.split()) > 20:
                self.table = None
            if self._structural(i, p):
                continue
            if p.kind == BlockKind.LIST_ITEM:
                self._list_item(p)
            else:
                self.state.lead = None
                self._paragraph(p)
        return self.out

    def _structural(self, i: int, p: Passage) -> bool:
        """Update the context from headings and short lines; True when `p` is only context."""
        s = self.state
        text = p.text.strip()
        folded = fold(text)
        words = len(text.split())
        if p.kind == BlockKind.HEADING:
            s.answers = True  # a questionnaire ends with the next heading
        if words > 16 and p.kind != BlockKind.HEADING:
            return False
        if any_cue("scope_all", folded):
            s.scope = ()
            return True
        if m := any_cue("scope_specific", folded):
            s.scope = self._scope_names(text[m.start("name"):] if m.start("name") >= 0 else text)
            s.zone = True
            return True
        if match_orientation(text):
            # A partner's block may run over several orientations (a commune's action plan), so
            # only the lead-in and the neighbourhood scope end here.
            s.lead = None
            s.scope = ()
            return True
        if p.kind == BlockKind.LIST_ITEM:
            return False
        chapter = self._chapter_partner(i, text, folded)
        if chapter is not None:
            s.chapter, s.block, s.lead, s.zone, s.scope, s.answers = chapter, None, None, True, (), True
            s.proposal = bool(any_cue("proposal", folded))
            return True
        partner = self._partner_line(text, words)
        if partner is not None:
            s.block, s.lead = partner, None
            return True
        if (words <= 16 and not text.endswith((".", ":"))) or p.kind == BlockKind.HEADING:
            if any_cue("not_zone", folded):
                s.zone, s.block, s.lead, s.proposal, s.chapter = False, None, None, False, None
                return True
            if any_cue("zone", folded):
                s.zone, s.proposal = True, bool(any_cue("proposal", folded))
                # "Les communes s'engagent à : (…)" opens a zone and is a lead-in too.
                return not (is_binding(text) and self._subject(text) is not None)
            if any_cue("proposal", folded):
                s.zone, s.proposal = True, True
                return True
            if p.kind == BlockKind.HEADING and (p.heading_level or 9) <= 1:
                s.chapter, s.block, s.lead, s.zone, s.proposal = None, None, None, False, False
                return True
        return False

    def _chapter_partner(self, i: int, text: str, folded: str) -> Organisation | None:
        if not any_cue("chapter", folded):
            return None
        if any_cue("commune_chapter", folded):
            return self._commune_of_chapter(i)
        found = self.resolver.find(text)
        if found:
            return found[0][2]
        return named_body(text)

    def _partner_line(self, text: str, words: int) -> Organisation | None:
        """A short line that is only a body's name ("CPAM", "Bailleur social Partenord")."""
        if words > MAX_PARTNER_LINE_WORDS or text.endswith((".", ";", ",")) or any_cue("binding", fold(text)):
            return None
        name = text
        for prefix in cues()["partner_heading_prefix"]:
            if m := prefix.match(fold(name)):
                name = name[m.end():]
                break
        found = self.resolver.find(name)
        if not found:
            return self._commune_named(name)
        start, end, org = found[0]
        rest = re.sub(r"[\W\d_]+", " ", name[:start] + " " + name[end:]).split()
        return org if len(rest) <= 3 else None

    def _commune_named(self, line: str) -> Organisation | None:
        """A line that is only the name of one of the contract's communes ("CRESPIN")."""
        key = fold(line).strip(" :-–—")
        if key in self.communes:
            return self.resolver.resolve(f"Commune de {self.communes[key]}")
        return None

    def _commune_of_chapter(self, i: int) -> Organisation | None:
        """The commune a chapter presents: the one named most since the chapter's presentation."""
        counts: Counter[str] = Counter()
        orgs: dict[str, Organisation] = {}
        lo = max(0, i - COMMUNE_LOOKBACK)
        for j in range(i - 1, lo, -1):  # back to where this commune's part of the document starts
            if any_cue("commune_part_start", fold(self.passages[j].text[:80])):
                lo = j
                break
        for p in [*self.passages[lo:i], *self.passages[i:i + 25]]:
            for _, _, org in self.resolver.find(p.text):
                # "les communes de l'agglomération" is not one body.
                if org.type == "commune" and not self.resolver.collective_type(org):
                    counts[org.id] += 1
                    orgs[org.id] = org
        return orgs[counts.most_common(1)[0][0]] if counts else None

    def _scope_names(self, raw: str) -> tuple[str, ...]:
        raw = re.sub(r"[«»\"]", " ", raw).strip(" :")
        out = []
        for part in re.split(r"\s*(?:/|,|\bet\b)\s*", raw):
            key = fold(part).strip()
            if not key:
                continue
            known = next((name for k, name in self.names.items() if key in k or k in key), None)
            out.append(known or part.strip())
        return tuple(dict.fromkeys(out))

    # --- tables -------------------------------------------------------------------------------

    def _table_row(self, p: Passage) -> None:
        """Rows of a table with an actions column and a column naming who carries each action."""
        cells = [c.strip() for c in p.text.split("|")]
        header = _Table.from_header(cells)
        if header is not None:
            self.table = header
            return
        t = self.table
        if t is None or t.action >= len(cells):
            return
        if t.operator is not None and t.operator < len(cells) and cells[t.operator]:
            found = self.resolver.find(cells[t.operator])
            t.partner = found[0][2] if found else t.partner
        action = cells[t.action]
        # Tables state targets as figures ("15 % des jeunes…"): a figure is an action here.
        if t.partner is not None and len(action.split()) >= MIN_ACTION_WORDS and not is_possibility(action):
            self._emit(t.partner, action, p)

    # --- items ------------------------------------------------------------------------------

    def _subject(self, text: str) -> Organisation | None:
        """The body a sentence opens with; "la commune" is the commune whose chapter this is."""
        subject = self.resolver.subject(text)
        if subject is not None and self.resolver.collective_type(subject) == "commune":
            if any_cue("communes_together", fold(text.strip())):
                return subject  # "Les communes s'engagent à": the communes together
            partner = self.state.partner()
            return partner if partner is not None and partner.type == "commune" else None
        return subject

    def _list_item(self, p: Passage) -> None:
        s = self.state
        text = p.text.strip()
        if s.goals:
            return  # items under "Quatre objectifs ont été définis :" are goals, not actions
        subject = self._subject(text)
        if self._is_lead_in(text):
            lead = self._lead_subject(text) or s.block or s.chapter
            if lead is not None:
                s.lead = lead
                return
        if subject is not None and is_binding(text):
            self._emit(subject, text, p)
        elif (s.lead or (s.zone and s.partner())) and self._is_action(text):
            # An item opening with its own subject ("La CPAM s'engage …") speaks for that body.
            partner = subject if subject is not None and not starts_with_infinitive(text) else s.partner()
            self._emit(partner, text, p)

    def _paragraph(self, p: Passage) -> None:
        s = self.state
        text = p.text.strip()
        s.goals = text.endswith(":") and any_cue("goals_lead_in", fold(text)) is not None
        if s.goals:
            s.lead = None
            return
        if text.endswith("?"):
            # A questionnaire: only the answers to a question about commitments are commitments.
            s.answers = any_cue("commitment_question", fold(text)) is not None
            s.lead = None
            return
        subject = self._subject(text)
        if subject is not None and not is_possibility(text):
            # "La Communauté urbaine agira pour la santé …" then items: the items are its actions.
            s.lead = subject
        if self._is_lead_in(text):
            lead = self._lead_subject(sentences(text)[-1]) or s.block or s.chapter
            if lead is not None:
                s.lead = lead
                self._sentences_of(p, text.rsplit(":", 1)[0], lead_in=True)
                return
        self._sentences_of(p, text)

    def _sentences_of(self, p: Passage, text: str, lead_in: bool = False) -> None:
        s = self.state
        parts = sentences(text)
        for n, sentence in enumerate(parts):
            if lead_in and n == len(parts) - 1:
                break  # "X s'engage à :" itself: its content is in the items that follow
            binding = is_binding(sentence) or (s.zone and any_cue("binding_in_zone", fold(sentence)) is not None
                                               and not is_possibility(sentence))
            if not binding:
                bare = NUMBERING.sub("", sentence)
                if s.zone and s.partner() and self._is_action(bare) and starts_with_infinitive(bare):
                    self._emit(s.partner(), sentence, p)
                continue
            subject = self._subject(sentence) or self._named_before_verb(sentence)
            if subject is None and s.zone:
                # "Elle mobilisera…", "En matière de santé, le bailleur veillera…": the block's body.
                subject = s.partner()
            if subject is not None:
                self._emit(subject, sentence, p)

    def _named_before_verb(self, sentence: str) -> Organisation | None:
        """"Concernant la santé, Partenord s'engage à …": the body named just before the verb."""
        verb = any_cue("binding", fold(sentence))
        if verb is None:
            return None
        before = [org for start, _, org in self.resolver.find(sentence) if start < verb.start()]
        return before[-1] if before and not before[-1].id.startswith("communes-") else None

    def _is_lead_in(self, text: str) -> bool:
        return (text.rstrip().endswith(":") and any_cue("lead_in", fold(text.rstrip())) is not None) \
            or (text.rstrip().endswith(":") and len(text.split()) <= 12 and bool(self.resolver.find(text)))

    def _lead_subject(self, text: str) -> Organisation | None:
        """Who a lead-in speaks for: its subject, else the last body it names ("Dans ce cadre, la Caf :")."""
        subject = self._subject(text) or self._named_before_verb(text)
        if subject is None and len(text.split()) <= 12:
            found = [org for _, _, org in self.resolver.find(text) if not org.id.startswith("communes-")]
            subject = found[-1] if found else None
        return subject

    def _is_action(self, text: str) -> bool:
        folded = fold(text)
        return len(text.split()) >= MIN_ACTION_WORDS and not any_cue("not_an_action", folded) \
            and any_cue("possibility", folded) is None

    def _emit(self, partner: Organisation, text: str, p: Passage) -> None:
        s = self.state
        key = re.sub(r"[^a-z0-9]+", " ", fold(text))[:240]
        if key in s.seen or len(text.split()) < MIN_ACTION_WORDS or not s.answers:
            return
        if label_key(text) in self.strategy_labels:
            return  # an orientation or objective repeated in a partner's section is not an action
        s.seen.add(key)
        orientation, objective = self.locate(p)
        themes = themes_of(text) or themes_of(objective or "") or themes_of(orientation or "")
        scope = tuple(dict.fromkeys([*s.scope, *self._named_neighbourhoods(text)]))
        self.out.append(Commitment(
            id=f"{self.document.id}/c{len(self.out) + 1}", partner=partner, text=text,
            kind=CommitmentKind.PROPOSAL if s.proposal else CommitmentKind.COMMITMENT,
            orientation=orientation, objective=objective, neighbourhoods=scope, themes=themes,
            provenance=Provenance(p.id, p.page, p.line_start),
        ))

    def _named_neighbourhoods(self, text: str) -> list[str]:
        folded = fold(text)
        # A one-word name as common as "Centre" would tag every commitment that says "centre".
        return [name for key, name in self.names.items()
                if (len(key) >= 8 or len(key.split()) >= 2) and re.search(rf"(?<![a-z]){re.escape(key)}(?![a-z])", folded)]


@dataclass
class _Table:
    action: int
    operator: int | None
    partner: Organisation | None = None

    @classmethod
    def from_header(cls, cells: list[str]) -> _Table | None:
        folded = [fold(c) for c in cells]
        action = next((n for n, c in enumerate(folded) if any_cue("table_action_column", c)), None)
        if action is None:
            return None
        operator = next((n for n, c in enumerate(folded) if any_cue("table_partner_column", c)), None)
        return cls(action, operator)


def extract_commitments(document: Document, passages: Sequence[Passage], resolver, locate: Locate,
                        neighbourhood_names: Sequence[str] = (), commune_names: Sequence[str] = (),
                        strategy_labels: Sequence[str] = ()) -> list[Commitment]:
    """Every commitment of one document, in reading order, each with its partner and provenance.

    `commune_names` (the communes of the contract's neighbourhoods) lets a line that is only a
    commune's name ("CRESPIN") open that commune's block; `strategy_labels` (orientation and
    objective labels) are never taken for actions when a section repeats them.
    """
    return CommitmentExtractor(document, passages, resolver, locate, neighbourhood_names, commune_names,
                               strategy_labels).run()
