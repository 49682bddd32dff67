"""Tables that fit the console: at a narrow width they leave out their least important
columns (and say which) instead of letting rich cut numbers into "1…" (pure rendering)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Col:
    name: str
    numeric: bool = True  # right-justified, never wrapped; text wraps at spaces
    keep: int = 0  # higher: kept longer when the console is narrow (0: dropped first)


Cell = str | Text


def _width(cell: Cell, wraps: bool) -> int:
    text = cell if isinstance(cell, Text) else Text(cell)
    if wraps:  # the longest word: the narrowest it can be without cutting one
        return max((len(word) for word in text.plain.split()), default=0)
    return max((len(line) for line in text.plain.splitlines()), default=0)


class FitTable:
    """A rich renderable: the table with as many columns as the width allows."""

    def __init__(self, title: str, columns: Sequence[Col], rows: Sequence[Sequence[Cell]],
                 styles: Sequence[str | None] = (), more: str = "see report.md") -> None:
        self.title = title
        self.more = more  # where the left-out columns can be read
        self.columns = list(columns)
        self.rows = [list(row) for row in rows]
        self.styles = list(styles) or [None] * len(self.rows)

    def _min_width(self, index: int) -> int:
        col = self.columns[index]
        cells = [row[index] for row in self.rows]
        header = _width(col.name, wraps=True)  # headings wrap at spaces
        return max([header, *(_width(c, wraps=not col.numeric) for c in cells)])

    def _natural_width(self, index: int) -> int:
        cells = [self.columns[index].name, *(row[index] for row in self.rows)]
        return max(_width(c, wraps=False) for c in cells)

    def _needed(self, kept: Sequence[int]) -> int:
        return sum(self._min_width(i) + 3 for i in kept) + 1  # padding 2 + border 1 each

    def _widths(self, kept: Sequence[int], max_width: int) -> dict[int, int]:
        """Fixed widths, so rich cannot squeeze a column below its longest number: each
        column's minimum, then room for whole headings, most important columns first."""
        widths = {i: self._min_width(i) for i in kept}
        spare = max_width - self._needed(kept)
        for i in sorted(kept, key=lambda i: -self.columns[i].keep):
            grow = min(spare, self._natural_width(i) - widths[i])
            if grow > 0:
                widths[i] += grow
                spare -= grow
        return widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        kept = list(range(len(self.columns)))
        # Drop the least important first; among equals, the rightmost.
        order = sorted(kept, key=lambda i: (self.columns[i].keep, -i))
        dropped: list[int] = []
        for index in order:
            if self._needed(kept) <= options.max_width or len(kept) <= 1 or \
                    self.columns[index].keep >= 99:
                break
            kept.remove(index)
            dropped.append(index)
        table = Table(title=self.title, title_justify="left")
        widths = self._widths(kept, options.max_width)
        for i in kept:
            col = self.columns[i]
            table.add_column(col.name, justify="right" if col.numeric else "left",
                             width=widths[i], overflow="fold")
        for row, style in zip(self.rows, self.styles, strict=True):
            # Strings as they are: names and reasons may hold brackets rich reads as markup.
            table.add_row(*(Text(c) if isinstance(c, str) else c
                            for c in (row[i] for i in kept)), style=style)
        yield table
        if dropped:
            names = ", ".join(self.columns[i].name for i in sorted(dropped))
            yield Text(f"(left out at {options.max_width} columns: {names}; {self.more})",
                       style="dim")


def fit(title: str, columns: Sequence[Col], rows: Sequence[Sequence[Cell]],
        styles: Sequence[str | None] = (), more: str = "see report.md") -> RenderableType:
    return FitTable(title, columns, rows, styles, more)
