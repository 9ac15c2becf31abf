"""README's command table and the CLI say the same thing (issue 13.8): one row per command, and
every option the command takes is in its row (`--data` is said once for all, above the table),
with both spellings of a flag pair (`--units/--no-units`) and every value of a choice; a command
group (`contrats review`) names each of its commands and their options in its row."""

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


def _said(word: str, row: str) -> bool:
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", row) is not None


def _missing_from(command: click.Command, row: str) -> list[str]:
    """What of the command's options (names, negative spellings, choices) its row does not say."""
    missing = []
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        names = [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]
        if not names or names[0] in ("--data", "--help"):
            continue
        missing += [n for n in names if not _said(n, row)]
        if isinstance(param.type, click.Choice):
            missing += [f"{names[0]} {c}" for c in param.type.choices if not _said(str(c), row)]
    return missing


def test_one_row_per_command_and_every_option_in_it() -> None:
    rows = _rows()
    assert set(rows) == set(main.commands), (set(rows) ^ set(main.commands))
    for name, command in main.commands.items():
        assert len(rows[name]) == 1, f"contrats {name} has {len(rows[name])} rows in README"
        assert not _missing_from(command, rows[name][0]), f"README's row for {name} lacks {_missing_from(command, rows[name][0])}"


def test_a_group_row_names_each_of_its_commands_and_their_options() -> None:
    rows = _rows()
    groups = {n: c for n, c in main.commands.items() if isinstance(c, click.Group)}
    assert groups  # contrats review
    for name, group in groups.items():
        row = rows[name][0]
        for sub_name, sub in group.commands.items():
            assert _said(sub_name, row), f"README's row for {name} lacks its command {sub_name}"
            assert not _missing_from(sub, row), f"README's row for {name} {sub_name} lacks {_missing_from(sub, row)}"


def test_the_check_sees_a_missing_option() -> None:
    """The check itself can fail: an option the row does not name is reported."""
    command = click.Command("x", params=[click.Option(["--colour"], type=click.Choice(["red", "blue"])),
                                         click.Option(["--loud/--quiet"])])
    assert _missing_from(command, "| `contrats x [--colour red]` |") == ["--colour blue", "--loud", "--quiet"]
