#!/usr/bin/env python3
"""Check the gold body documents of tests/gold/bodies/.

For every <slug>.json next to a <slug>.txt:
- the document has 150-300 lines;
- every commitment, indicator and objective has a line within the file, and its text is on that
  line or starts there (a text wrapping over lines is compared with the following lines joined by
  single spaces);
- kinds, partner types and indicator commitment_line values are valid.
Usage: python3 tests/gold/bodies/verify_bodies.py [slug ...]
"""
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = {"state", "epci", "commune", "department", "region", "caf", "cpam", "france_travail", "mission_locale",
         "social_landlord", "caisse_des_depots", "bpifrance", "chamber", "association", "other_public",
         "company", "other", "?"}
KINDS = {"commitment", "proposal"}


def norm(s):
    return re.sub(r"\s+", " ", s).strip()


def located(lines, line, text):
    """True when text is on lines[line-1] or starts there and continues on the next lines."""
    if not 1 <= line <= len(lines):
        return False
    first = lines[line - 1]
    if text in first:
        return True
    joined = norm(" ".join(lines[line - 1:line - 1 + 12]))
    pos = joined.find(norm(text))
    return 0 <= pos < len(norm(first))


def check(json_path):
    errors = []
    txt = json_path.with_suffix(".txt")
    if not txt.exists():
        return [f"{json_path.name}: no .txt"]
    lines = txt.read_text(encoding="utf-8").split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    d = json.loads(json_path.read_text(encoding="utf-8"))
    name = json_path.stem
    if not 150 <= len(lines) <= 300:
        errors.append(f"{name}: {len(lines)} lines (150-300 expected)")
    for key in ("document_id", "source", "generation", "territory", "commitments",
                "indicators", "objectives"):
        if key not in d:
            errors.append(f"{name}: missing {key}")
    if d.get("document_id") != name:
        errors.append(f"{name}: document_id {d.get('document_id')!r}")
    if d.get("source") != f"tests/gold/bodies/{name}.txt":
        errors.append(f"{name}: source {d.get('source')!r}")
    c_lines = set()
    for c in d.get("commitments", []):
        c_lines.add(c.get("line"))
        if c.get("kind") not in KINDS:
            errors.append(f"{name}: L{c.get('line')} kind {c.get('kind')!r}")
        if c.get("partner_type") not in TYPES:
            errors.append(f"{name}: L{c.get('line')} partner_type {c.get('partner_type')!r}")
        if not c.get("partner"):
            errors.append(f"{name}: L{c.get('line')} no partner")
        if not isinstance(c.get("neighbourhoods"), list):
            errors.append(f"{name}: L{c.get('line')} neighbourhoods not a list")
    for group in ("commitments", "indicators", "objectives"):
        for e in d.get(group, []):
            if not located(lines, e.get("line", 0), e.get("text", "")):
                errors.append(f"{name}: {group} L{e.get('line')} not found: {e.get('text', '')[:70]!r}")
    for i in d.get("indicators", []):
        cl = i.get("commitment_line")
        if cl is not None and cl not in c_lines:
            errors.append(f"{name}: indicator L{i.get('line')} commitment_line {cl} is no commitment")
    return errors


def main(argv):
    paths = sorted(HERE.glob("*.json"))
    if argv:
        paths = [p for p in paths if p.stem in argv]
    errors = []
    for p in paths:
        errors += check(p)
    for e in errors:
        print(e)
    print(f"{len(paths)} documents checked, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
