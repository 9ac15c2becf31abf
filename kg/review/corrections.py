"""Researchers' corrections: an append-only log beside the builds, never inside one.

    data/corrections/corrections.jsonl     one JSON object per line, one line per review action

A correction names its fact by what survives a rebuild: the document id, a hash of the text of
the passage the fact was read from, the fact's own text (its span), and which sort of record it
is (`FactKey.record`: a commitment, an indicator, a signatory or a neighbourhood; a line written
before the other records could be reviewed has no `record` and names a commitment). The span
of a commitment or an indicator is its text, of a signatory the organisation's name as
extracted, of a neighbourhood its name as extracted. Commitment ids
("<doc>/c12") and URIs are not stable: a retrained model numbers commitments differently. Each
correction also keeps a snapshot of the fact as the reviewer saw it, so that a fact the next
model no longer extracts can be restored from the correction alone.

Why a JSON Lines file under `flock` rather than an embedded database: the log is the researchers'
work and must outlive every version of this program, so it is plain text, readable and diffable,
and merged from two machines with `cat`. Writers take an exclusive `fcntl.flock` on the file
for the one `write` of their line (and fsync it), so two reviewers saving at the same moment
each get their whole line in, one after the other; readers take a shared lock, so they never
see a half-written line. A line that cannot be read (edited by hand, a disk full mid-write) is
reported and skipped, never allowed to hide the others.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.model import PARTNER_TYPES, InvalidIdentifier, qpv_code
from ingest.normalise import fold

# What each sort of fact can be told: a verdict (confirm, reject) on every one, and the fields a
# reviewer can correct. "span" is a commitment's or an indicator's text; "actor" a commitment's
# partner or a signatory's organisation; "person" and "role" who signs and as what; "name" and
# "code" a neighbourhood's name and QPV code.
ACTIONS_OF = {
    "commitment": ("confirm", "reject", "actor", "span", "kind", "scope", "add"),
    "indicator": ("confirm", "reject", "span"),
    "signatory": ("confirm", "reject", "actor", "person", "role"),
    "neighbourhood": ("confirm", "reject", "name", "code"),
}
ACTIONS = tuple(dict.fromkeys(a for actions in ACTIONS_OF.values() for a in actions))
RECORDS = tuple(ACTIONS_OF)
KINDS = ("commitment", "proposal", "objective")  # "objective": not a commitment, a goal of the contract
LOG_NAME = "corrections.jsonl"


class CorrectionError(ValueError):
    """A correction that cannot be recorded as given (unknown action, missing value, no reviewer)."""


def text_hash(text: str) -> str:
    """The key of a passage or a span: its text folded (case, accents, spaces), hashed. A passage
    re-read with other line breaks or a fixed accent keeps its key."""
    return hashlib.sha256(" ".join(fold(text).split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class FactKey:
    """What names a fact across rebuilds."""

    document: str
    passage: str  # text_hash of the passage's text
    span: str  # the fact's text as the reviewer saw it (see the module's docstring)
    record: str = "commitment"  # one of RECORDS

    def same_span(self, text: str) -> bool:
        return text_hash(text) == text_hash(self.span)


@dataclass(frozen=True)
class Correction:
    """One review action on one fact, by one person, at one time."""

    key: FactKey
    action: str
    reviewer: str
    value: dict[str, Any] = field(default_factory=dict)
    # actor: {"id", "name", "type"}; span: {"text"}; kind: {"kind"}; scope: {"neighbourhoods": [...]};
    # add: {"text", "actor": {...}, "kind"}; person: {"person"}; role: {"role"}; name: {"name"};
    # code: {"code"} (a QPV code, or "" for none); confirm / reject: {}
    why: str = ""
    at: str = ""  # ISO 8601, UTC
    id: str = ""
    seen: dict[str, Any] = field(default_factory=dict)  # the fact as shown: id, partner, kind, neighbourhoods…

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise CorrectionError(f"unknown review action {self.action!r}: one of {', '.join(ACTIONS)}")
        if self.key.record not in RECORDS:
            raise CorrectionError(f"corrections of {self.key.record!r} are not supported: {', '.join(RECORDS)}")
        if self.action not in ACTIONS_OF[self.key.record]:
            article = "an" if self.key.record[0] in "aeiou" else "a"
            raise CorrectionError(f"a {self.action!r} correction does not apply to {article} {self.key.record}: "
                                  f"{', '.join(ACTIONS_OF[self.key.record])}")
        if not self.reviewer.strip():
            raise CorrectionError("a correction needs the reviewer's name")
        if not self.key.document or not self.key.passage or not self.key.span.strip():
            raise CorrectionError("a correction names its document, passage and the fact's text")
        need = {"actor": ("id", "name", "type"), "span": ("text",), "kind": ("kind",), "scope": ("neighbourhoods",),
                "add": ("text", "actor", "kind"), "person": ("person",), "role": ("role",), "name": ("name",),
                "code": ("code",)}.get(self.action, ())
        missing = [k for k in need if k not in self.value]
        if self.action == "actor":
            missing = [k for k in need if not str(self.value.get(k) or "").strip()]
        if missing:
            raise CorrectionError(f"a {self.action!r} correction needs {', '.join(missing)}")
        if self.action in ("kind", "add") and self.value["kind"] not in KINDS:
            raise CorrectionError(f"kind must be one of {', '.join(KINDS)}, not {self.value['kind']!r}")
        actor = self.value.get("actor") if self.action == "add" else self.value if self.action == "actor" else None
        if actor is not None:
            if not isinstance(actor, dict) or not all(str(actor.get(k) or "").strip() for k in ("id", "name", "type")):
                raise CorrectionError("a partner is given by its id, name and type")
            if actor["type"] not in PARTNER_TYPES:
                raise CorrectionError(f"unknown partner type {actor['type']!r}: {', '.join(PARTNER_TYPES)}")
        if self.action in ("span", "add") and not str(self.value["text"]).strip():
            raise CorrectionError("a corrected span cannot be empty")
        if self.action == "name" and not str(self.value["name"]).strip():
            raise CorrectionError("a neighbourhood's name cannot be empty")
        if self.action == "code":
            try:
                qpv_code(str(self.value["code"] or ""))
            except InvalidIdentifier as e:
                raise CorrectionError(str(e)) from e

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Correction:
        d = dict(d)
        d["key"] = FactKey(**d["key"])
        return cls(**d)


def new_correction(key: FactKey, action: str, reviewer: str, value: dict[str, Any] | None = None,
                   why: str = "", seen: dict[str, Any] | None = None) -> Correction:
    """A correction stamped now, with a fresh id."""
    return Correction(key, action, reviewer.strip(), dict(value or {}), why.strip(),
                      datetime.now(UTC).isoformat(timespec="microseconds"), uuid.uuid4().hex, dict(seen or {}))


@dataclass(frozen=True)
class LogReading:
    corrections: tuple[Correction, ...]
    unreadable: tuple[str, ...]  # "corrections.jsonl:12: <why>" for each line skipped


class CorrectionLog:
    """The corrections of one data directory (`data/corrections/corrections.jsonl`)."""

    def __init__(self, data_dir: Path | str) -> None:
        self.folder = Path(data_dir) / "corrections"
        self.path = self.folder / LOG_NAME

    def append(self, corrections: Correction | Iterable[Correction]) -> None:
        """Add corrections at the end of the log, whole lines under an exclusive lock."""
        items = [corrections] if isinstance(corrections, Correction) else list(corrections)
        if not items:
            return
        data = "".join(json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in items).encode("utf-8")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o664)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _terminate_last_line(fd, self.path)
            view = memoryview(data)
            while view:  # a write may be short (signals, quotas): finish the lines or fail
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the lock

    def read(self) -> LogReading:
        if not self.path.exists():
            return LogReading((), ())
        with self.path.open("rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_SH)
            raw = f.read()
        out, bad = [], []
        for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                out.append(Correction.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError) as e:
                bad.append(f"{self.path.name}:{n}: {type(e).__name__}: {str(e)[:120]}")
        return LogReading(tuple(out), tuple(bad))

    def corrections(self) -> tuple[Correction, ...]:
        return self.read().corrections


def _terminate_last_line(fd: int, path: Path) -> None:
    """A line cut short by a crash must not swallow the next correction: end it first."""
    size = os.fstat(fd).st_size
    if size:
        with path.open("rb") as f:
            f.seek(size - 1)
            if f.read(1) != b"\n":
                os.write(fd, b"\n")


# --------------------------------------------------------------------------- the state of a fact
@dataclass(frozen=True)
class Review:
    """What the corrections of one fact add up to, in the order they were made."""

    key: FactKey
    status: str  # confirmed | corrected | rejected | added
    actor: dict[str, str] | None = None  # corrected partner {"id", "name", "type"}
    text: str | None = None  # corrected span
    kind: str | None = None
    neighbourhoods: tuple[str, ...] | None = None
    person: str | None = None  # a signatory's person ("": nobody named)
    role: str | None = None
    name: str | None = None  # a neighbourhood's name
    code: str | None = None  # a neighbourhood's QPV code ("": none)
    corrections: tuple[Correction, ...] = ()
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def reviewers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.reviewer for c in self.corrections))

    @property
    def last(self) -> Correction:
        return self.corrections[-1]


def reviews(corrections: Sequence[Correction]) -> dict[tuple[str, str, str, str], Review]:
    """Each fact's review, folded from its corrections in time order: a later action overrides
    an earlier one of the same sort ("reject" then "confirm" is confirmed)."""
    out: dict[tuple[str, str, str, str], Review] = {}
    for c in sorted(corrections, key=lambda c: c.at):
        k = fact_index(c.key)
        r = out.get(k) or Review(c.key, "confirmed", seen=c.seen)
        r = replace(r, corrections=(*r.corrections, c))
        if c.action == "reject":
            r = replace(r, status="rejected")
        elif c.action == "confirm":
            r = replace(r, status="added" if r.status == "added" else "confirmed" if not _changed(r) else "corrected")
        elif c.action == "add":
            r = replace(r, status="added", actor=dict(c.value["actor"]), kind=c.value["kind"], text=c.value["text"])
        else:
            if c.action == "actor":
                r = replace(r, actor={k: str(c.value[k]) for k in ("id", "name", "type")})
            elif c.action == "span":
                r = replace(r, text=str(c.value["text"]).strip())
            elif c.action == "kind":
                r = replace(r, kind=c.value["kind"])
            elif c.action == "scope":
                r = replace(r, neighbourhoods=tuple(str(n) for n in c.value["neighbourhoods"]))
            elif c.action in ("person", "role", "name"):
                r = replace(r, **{c.action: " ".join(str(c.value[c.action] or "").split())})
            elif c.action == "code":
                r = replace(r, code=qpv_code(str(c.value["code"] or "")) or "")
            r = replace(r, status="added" if r.status == "added" else "corrected")
        out[k] = r
    return out


def _changed(r: Review) -> bool:
    return any(v is not None for v in (r.actor, r.text, r.kind, r.neighbourhoods, r.person, r.role, r.name, r.code))


def fact_index(key: FactKey) -> tuple[str, str, str, str]:
    """What two corrections of one fact share: an indicator and a commitment with the same text
    in the same passage are two facts."""
    return key.document, key.passage, text_hash(key.span), key.record

