#!/usr/bin/env python3
"""Check the gold openings of a folder: every <slug>.txt with its <slug>.json annotation.

Usage: python3 verify_openings.py FOLDER [--reference DIR] [--warnings]

Checks, for every .txt/.json pair of FOLDER (written independently of the script that produced
the annotations):
  1. the document has 60-250 lines;
  2. every commitment and indicator text is on its line, or starts there (wrapped text is
     compared with the following lines joined by single spaces; list markers such as "-", "•",
     "→", "➢", "1)", "a)", "2°" and table pipes are ignored at the start of the line);
  3. every signatory `line` contains a recognisable part of the signatory's name (a significant
     word of the name, its acronym, or, for State services, a title such as "Préfet" or
     "Procureur");
  4. every QPV code exists in the reference (QP… in qpv_2015_communes.csv for 2015/2019,
     QN… in qpv_2024_qpv.csv for 2024) and the annotated communes are among the reference
     communes of that code; veille / vulnérabilité neighbourhoods have no code;
  5. every 2024 document lists exactly the reference QPV of its EPCI (by SIREN; for a
     commune-level contract, the QPV of that commune).
With --warnings it also reports softer inconsistencies (neighbourhood lines that do not name
the neighbourhood, commitments whose partner is not in `partners`, etc.).
Exit status: 0 when no error was found, 1 otherwise.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import unicodedata
from pathlib import Path

DEFAULT_REF = Path("/work/shared/reference")
MARKER = re.compile(r"^\s*(?:\|\s*)?(?:[-•–—→▪➢>*]|\d+\s*°|\d+\)|\d+\.|[a-z]\)|\(\w\))\s+")
STOP = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "pour", "en", "sur", "aux", "au",
        "a", "the", "par", "pres", "s"}
STATE_WORDS = {"etat", "prefet", "prefete", "prefecture", "procureur", "procureure", "recteur",
               "rectrice", "rectorat", "academie", "academique", "dsden", "ars", "sante",
               "education", "tribunal", "justice", "sous-prefet"}


def fold(s: str) -> str:
    s = s.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("’", "'")
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def words(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", fold(s)) if w]


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def load_reference(ref: Path):
    q15: dict[str, set[str]] = {}
    with open(ref / "qpv_2015_communes.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            q15.setdefault(r["code_qp2015"], set()).add(fold(r["lib_com"]))
    q24: dict[str, dict] = {}
    with open(ref / "qpv_2024_qpv.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            q24[r["code_qp"]] = {"communes": {fold(c) for c in r["lib_com_list"].split("|") if c},
                                 "sirens": set(r["siren_epci_list"].split("|"))}
    return q15, q24


def text_at(lines: list[str], line: int, text: str) -> bool:
    """True when `text` is on line `line` (1-based) or starts there and wraps onward."""
    if not (1 <= line <= len(lines)):
        return False
    raw = lines[line - 1]
    if text in raw or squash(text) in squash(raw):
        return True
    t = squash(text)
    first = squash(MARKER.sub("", raw))
    for start in range(len(first)):
        head = first[start:]
        if len(head) < 3 or not t.startswith(head):
            continue
        buf, j = head, line
        while len(buf) < len(t) and j < len(lines):
            buf = buf + " " + squash(lines[j])
            j += 1
        if buf.startswith(t):
            return True
    return False


def recognisable(name: str, typ: str, line_text: str) -> bool:
    lw = set(words(line_text))
    lf = fold(line_text)
    sig = [w for w in words(name) if w not in STOP and len(w) >= 3]
    if any(w in lw for w in sig):
        return True
    if any(len(w) >= 5 and w[:5] in lf for w in sig):  # hyphenated or cut words ("Fami-")
        return True
    initials = "".join(w[0] for w in words(name) if w not in STOP)
    bare = {re.sub(r"\d+", "", w) for w in lw}  # "CD13", "CAF 13"
    if any(len(initials[:k]) >= 2 and initials[:k] in bare for k in range(2, len(initials) + 1)):
        return True
    return bool(typ == "state" and lw & STATE_WORDS)


def check_pair(txt: Path, js: Path, q15, q24, warn: bool) -> tuple[list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    lines = txt.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    d = json.loads(js.read_text(encoding="utf-8"))
    n = len(lines)
    if not 60 <= n <= 250:
        errors.append(f"{n} lines (expected 60-250)")
    gen = str(d.get("generation"))

    for c in d.get("commitments", []):
        if not text_at(lines, c["line"], c["text"]):
            errors.append(f"commitment not at line {c['line']}: {c['text'][:70]!r}")
    for i in d.get("indicators", []):
        if not text_at(lines, i["line"], i["text"]):
            errors.append(f"indicator not at line {i['line']}: {i['text'][:70]!r}")
        cl = i.get("commitment_line")
        if cl is not None and cl not in {c["line"] for c in d.get("commitments", [])}:
            errors.append(f"indicator {i['text'][:40]!r}: commitment_line {cl} is no commitment's line")

    aliases = {p["name"]: list(p.get("aliases", [])) for p in d.get("partners", [])}
    for s in d.get("signatories", []):
        ln = s.get("line")
        forms = [s["name"], *aliases.get(s["name"], [])]
        if ln is None or not (1 <= ln <= n):
            errors.append(f"signatory {s['name']!r}: line {ln} out of range")
        elif any(recognisable(f, s.get("type", ""), lines[ln - 1]) for f in forms):
            pass
        elif ln < n and any(recognisable(f, s.get("type", ""), lines[ln]) for f in forms):
            # a collective line wrapped onto the next one: the convention puts every member
            # of the collective on the line where it starts
            warnings.append(f"signatory {s['name']!r}: named on line {ln + 1}, annotated on line {ln} (wrapped collective?)")
        else:
            errors.append(f"signatory {s['name']!r}: line {ln} does not name it: {lines[ln - 1].strip()[:70]!r}")

    codes_2024 = set()
    for nb in d.get("neighbourhoods", []):
        code, status = nb.get("code"), nb.get("status")
        if status in ("veille", "vulnerabilite"):
            if code is not None:
                errors.append(f"{nb['name']!r}: {status} neighbourhood with a code {code}")
            continue
        if code is None:
            errors.append(f"{nb['name']!r}: priority neighbourhood without a code")
            continue
        communes = {fold(c) for c in nb.get("communes", [])}
        if gen in ("2015", "2019"):
            if not code.startswith("QP"):
                errors.append(f"{nb['name']!r}: {gen} document with a non-QP code {code}")
            elif code not in q15:
                errors.append(f"{nb['name']!r}: code {code} not in qpv_2015_communes.csv")
            elif not communes <= q15[code]:
                errors.append(f"{nb['name']!r}: communes {sorted(communes - q15[code])} not among the reference communes of {code}")
        elif gen == "2024":
            if not code.startswith("QN"):
                errors.append(f"{nb['name']!r}: 2024 document with a non-QN code {code}")
            elif code not in q24:
                errors.append(f"{nb['name']!r}: code {code} not in qpv_2024_qpv.csv")
            else:
                codes_2024.add(code)
                if not communes <= q24[code]["communes"]:
                    errors.append(f"{nb['name']!r}: communes {sorted(communes - q24[code]['communes'])} not among the reference communes of {code}")
        if warn:
            names = [nb["name"], *list(nb.get("aliases", []))]
            keys = {w for nm in names for w in words(nm) if len(w) >= 3 and w not in STOP}
            for ln in nb.get("lines", []):
                if not (1 <= ln <= n) or not (set(words(lines[ln - 1])) & keys or any(k[:5] in fold(lines[ln - 1]) for k in keys)):
                    warnings.append(f"{nb['name']!r}: line {ln} does not seem to name it")

    if gen == "2024":
        siren = (d.get("territory") or {}).get("siren")
        if siren:
            expected = {c for c, r in q24.items() if siren in r["sirens"]}
        else:
            town = fold((d.get("territory") or {}).get("name", ""))
            expected = {c for c, r in q24.items() if town in r["communes"]}
        listed = {nb["code"] for nb in d.get("neighbourhoods", []) if nb.get("status") == "priority" and nb.get("code")}
        if listed != expected:
            errors.append(f"2024 QPV list differs from the reference for {siren or 'the commune'}: "
                          f"missing {sorted(expected - listed)}, extra {sorted(listed - expected)}")

    if warn:
        pnames = {p["name"] for p in d.get("partners", [])}
        nnames = {nb["name"] for nb in d.get("neighbourhoods", [])}
        for s in d.get("signatories", []):
            if s["name"] not in pnames:
                warnings.append(f"signatory {s['name']!r} is not in partners")
        for c in d.get("commitments", []):
            if c["partner"] not in pnames:
                warnings.append(f"commitment partner {c['partner']!r} is not in partners")
            for nm in c.get("neighbourhoods", []):
                if nm not in nnames:
                    warnings.append(f"commitment at line {c['line']} names unknown neighbourhood {nm!r}")
    return errors, warnings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--reference", type=Path, default=DEFAULT_REF)
    ap.add_argument("--warnings", action="store_true")
    a = ap.parse_args()
    q15, q24 = load_reference(a.reference)
    pairs = sorted(p for p in a.folder.glob("*.txt") if (p.with_suffix(".json")).exists())
    bad = 0
    totals = [0, 0, 0, 0]
    for txt in pairs:
        errs, warns = check_pair(txt, txt.with_suffix(".json"), q15, q24, a.warnings)
        d = json.loads(txt.with_suffix(".json").read_text(encoding="utf-8"))
        counts = [len(d.get(k, [])) for k in ("signatories", "neighbourhoods", "commitments", "indicators")]
        totals = [x + y for x, y in zip(totals, counts, strict=False)]
        status = "OK " if not errs else "ERR"
        print(f"{status} {txt.stem}  (sig {counts[0]}, nbh {counts[1]}, com {counts[2]}, ind {counts[3]})")
        for e in errs:
            print(f"      error: {e}")
        for w in warns:
            print(f"      warning: {w}")
        bad += bool(errs)
    print(f"{len(pairs)} documents, {bad} with errors; totals: signatories {totals[0]}, "
          f"neighbourhoods {totals[1]}, commitments {totals[2]}, indicators {totals[3]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
