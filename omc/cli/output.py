"""How commands present results: Rich for people, JSON for scripts, one style of error line."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

JSON_HELP = "Print JSON instead of a table (for scripts)."


def stdout() -> Console:
    # Built per call so CliRunner's swapped streams are honoured.
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


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
