"""README's command table and the CLI say the same thing (issue 13.8): one row per command, and
every option the command takes is in its row (`--data` is said once for all, above the table)."""

from __future__ import annotations

import re
from pathlib import Path

import click

from kg.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def _rows() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`contrats (\w+)", line)
        if m:
            rows.setdefault(m.group(1), []).append(line)
    return rows


def test_one_row_per_command_and_every_option_in_it() -> None:
    rows = _rows()
    assert set(rows) == set(main.commands), (set(rows) ^ set(main.commands))
    for name, command in main.commands.items():
        assert len(rows[name]) == 1, f"contrats {name} has {len(rows[name])} rows in README"
        row = rows[name][0]
        for param in command.params:
            if not isinstance(param, click.Option):
                continue
            long = [o for o in param.opts if o.startswith("--")]
            if not long or long[0] in ("--data", "--help"):
                continue
            assert re.search(re.escape(long[0]) + r"(?![\w-])", row), f"README's row for {name} lacks {long[0]}"
