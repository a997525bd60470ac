"""How commands present results: Rich for people, JSON for scripts, one style of error line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table

JSON_HELP = "Print JSON instead of a table (for scripts)."

# Width when output is not a terminal and COLUMNS is unset (Rich would squeeze to 80).
PIPE_WIDTH = 160


def _width(stream) -> int | None:
    """None (Rich asks the terminal or reads COLUMNS) on a terminal or with COLUMNS set."""
    if os.environ.get("COLUMNS", "").isdigit():
        return None
    isatty = getattr(stream, "isatty", None)
    return None if isatty is not None and isatty() else PIPE_WIDTH


def stdout(width: int | None = None) -> Console:
    # Built per call so CliRunner's swapped streams are honoured.
    return Console(
        file=sys.stdout, highlight=False, soft_wrap=True, width=width or _width(sys.stdout)
    )


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True, width=_width(sys.stderr))


def print_table(table: Table, *, wrap: Iterable[str] = (), console: Console | None = None) -> None:
    """Print ``table`` so that no name, id or time in it is ever cut.

    Every column keeps its cells on one line at full length, except the columns whose headers
    are in ``wrap`` (descriptions, messages), which wrap to fit. When even that is wider than
    the terminal, the table is printed wider than the terminal rather than truncated.
    """
    from rich.measure import Measurement

    wrappable = set(wrap)
    for column in table.columns:
        cells = [column.header, *column.cells]
        if str(column.header) in wrappable:
            # Wrapped at spaces only: a word (a setting name, a URL) is never split or cut.
            column.overflow = "fold"
            column.min_width = max(_cell_width(cell, longest_word=True) for cell in cells)
            continue
        column.no_wrap = True
        column.min_width = max(_cell_width(cell) for cell in cells)
    console = console or stdout()
    needed = Measurement.get(console, console.options.update_width(100_000), table).minimum
    if needed > console.width:
        console = stdout(width=needed) if console.file is sys.stdout else console
    console.print(table)


def _cell_width(cell: Any, *, longest_word: bool = False) -> int:
    from rich.cells import cell_len
    from rich.text import Text

    text = Text.from_markup(cell) if isinstance(cell, str) else cell
    if not isinstance(text, Text):
        return 0
    parts = text.plain.split() if longest_word else text.plain.splitlines()
    return max((cell_len(part) for part in parts), default=0)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, sort_keys=False) + "\n")


def print_error(message: str) -> None:
    from rich.markup import escape

    # Escaped: a message may hold brackets (pip install 'omc[openai]') that are not markup.
    stderr().print(f"[bold red]omc: error:[/] {escape(message)}", markup=True, highlight=False)


def print_hint(message: str) -> None:
    stderr().print(f"[dim]{message}[/]")


def key_value_table(rows: list[tuple[str, Any]], title: str | None = None) -> Table:
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in rows:
        table.add_row(name, "" if value is None else str(value))
    return table
