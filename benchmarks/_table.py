"""The one table `make bench` prints: rows of ``(name, value, unit, reference/target note)``."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import NamedTuple, TextIO


class Row(NamedTuple):
    """One measured figure. ``note`` says what it is compared with and against which target
    (e.g. ``"2.1x the floor (target <= 3x): met"``); ``value`` None means not measured."""

    name: str
    value: float | None
    unit: str
    note: str = ""


def format_value(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_table(rows: Iterable[Row]) -> str:
    """A Markdown table, aligned so it also reads well in a terminal."""
    head = ("figure", "value", "unit", "reference / target")
    body = [(r.name, format_value(r.value), r.unit, r.note) for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(4)]

    def line(cells: tuple[str, str, str, str]) -> str:
        name, value, unit, note = cells
        return (
            f"| {name:<{widths[0]}} | {value:>{widths[1]}} | {unit:<{widths[2]}} "
            f"| {note:<{widths[3]}} |"
        )

    rule = f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 1)}:|{'-' * (widths[2] + 2)}|" + (
        f"{'-' * (widths[3] + 2)}|"
    )
    return "\n".join([line(head), rule, *(line(cells) for cells in body)])


def print_table(rows: Iterable[Row], stream: TextIO = sys.stdout) -> None:
    print(format_table(rows), file=stream, flush=True)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
