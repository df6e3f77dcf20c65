"""What the command line prints: safe text, tables that keep ids whole, plain lines in pipes.

Everything printed may hold server text (statuses, call names, error messages), and a
hostile server can put terminal escape sequences in it (set the window title, clear the
screen, hide text), so every string goes through :func:`safe` first. Ids are what people
copy, so a table never cuts one: it drops its less important columns instead, and falls
back to plain lines when even that does not fit. Piped, it prints one tab-separated line
per row, in full, for ``cut``, ``grep`` and ``xargs``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:  # rich is the optional cli extra: imported only when a table is drawn
    from rich.console import Console as _RichConsole

__all__ = ["Column", "print_table", "safe", "safe_json", "say"]


def safe(text: str) -> str:
    """``text`` with every control, format and separator character shown as an escape.

    ESC, BEL, CSI (U+009B), bidi overrides and line separators all become visible
    ``\\x1b``-style text, so nothing the server sent can drive the terminal.
    """
    if text.isprintable():  # the common case, checked in C
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def safe_json(text: str) -> str:
    """JSON text with every non-printable character inside its strings as a ``\\u`` escape.

    In JSON text made by an encoder, a raw non-printable character other than the
    indentation's newlines can only sit inside a string, where the escape means the same.
    """
    if all(char.isprintable() or char == "\n" for char in text):
        return text
    return "".join(
        char if char.isprintable() or char == "\n" else json.dumps(char)[1:-1] for char in text
    )


def say(text: str, *, err: bool = False) -> None:
    """Print one message, made safe, to stdout (or stderr)."""
    print(safe(text), file=sys.stderr if err else sys.stdout)


@dataclass(frozen=True)
class Column:
    """One table column.

    ``whole``: its cells (ids, single words) are never cut or wrapped. ``drop``: when the
    terminal is too narrow, columns with the highest ``drop`` go first; 0 is never dropped.
    """

    title: str
    whole: bool = False
    drop: int = 0


# Width a wrapped column needs to stay readable; narrower, it is dropped instead.
_MIN_TEXT_WIDTH = 10


def print_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    *,
    styles: Sequence[str] = (),
    caption: str | None = None,
    out: IO[str] | None = None,
) -> None:
    """A rich table on a terminal; plain tab-separated lines when piped or without rich."""
    stream = out or sys.stdout
    cells = [[safe(cell) for cell in row] for row in rows]
    console = _console(stream)
    shown = _fitting(columns, cells, console.width) if console is not None else None
    if console is None or shown is None:
        for row in cells:
            print("\t".join(row), file=stream)
        if caption:
            say(caption, err=True)  # stdout stays rows only, for scripts
        return
    _rich_table(console, columns, cells, shown, styles, caption)


def _console(stream: IO[str]) -> _RichConsole | None:
    if not stream.isatty():
        return None
    try:
        from rich.console import Console
    except ImportError:  # the cli extra is not installed: plain lines still work
        return None
    return Console(file=stream)


def _fitting(
    columns: Sequence[Column], cells: Sequence[Sequence[str]], width: int
) -> list[int] | None:
    """Indexes of the columns to show so that every whole column fits, or None."""
    shown = list(range(len(columns)))
    droppable = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop)
    while _needed(columns, cells, shown) > width:
        if not droppable:
            return None
        shown.remove(droppable.pop(0))
    return shown


def _needed(columns: Sequence[Column], cells: Sequence[Sequence[str]], shown: list[int]) -> int:
    def least(i: int) -> int:
        longest = max([len(columns[i].title), *(len(row[i]) for row in cells)])
        return longest if columns[i].whole else min(longest, _MIN_TEXT_WIDTH)

    # A boxed table: one bar before each column plus one at the end, one space each side.
    return sum(least(i) + 3 for i in shown) + 1


def _rich_table(
    console: _RichConsole,
    columns: Sequence[Column],
    cells: Sequence[Sequence[str]],
    shown: list[int],
    styles: Sequence[str],
    caption: str | None,
) -> None:
    from rich.table import Table
    from rich.text import Text

    # Cells are Text, never markup: "[bold]" in an id or a message is shown as typed.
    table = Table(caption=Text(caption) if caption else None)
    for i in shown:
        column = columns[i]
        longest = max([len(column.title), *(len(row[i]) for row in cells)])
        if column.whole:
            table.add_column(column.title, no_wrap=True, min_width=longest)
        else:
            table.add_column(column.title, overflow="fold")
    for n, row in enumerate(cells):
        style = styles[n] if n < len(styles) else ""
        table.add_row(*(Text(row[i]) for i in shown), style=style or None)
    console.print(table)
