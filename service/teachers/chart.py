"""The reach funnel as a small SVG drawn on the server: one bar per figure, no script.

Geometry only; the template writes the markup (``teachers/_funnel.html``). Bars grow from the
start side of the page (the right in Arabic). The SVG is laid out with ``direction="ltr"`` and
explicit anchors, so the same numbers place it whatever the page's direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.teachers.reach import Figure

WIDTH = 560
ROW = 58  # a label line, then the bar
BAR = 24
_VALUE_ROOM = 120  # room after the longest bar for its number (or "non disponible")


@dataclass(frozen=True, slots=True)
class Bar:
    figure: Figure
    label_x: int
    label_y: int
    label_anchor: str
    x: int
    y: int
    width: int
    value_x: int
    value_y: int
    value_anchor: str


@dataclass(frozen=True, slots=True)
class Funnel:
    width: int
    height: int
    bars: tuple[Bar, ...]


def funnel(figures: Sequence[Figure], *, rtl: bool = False) -> Funnel:
    """Where each bar and its texts go; a figure Relais cannot know gets no bar."""
    known = [f.value for f in figures if f.value is not None]
    top = max([*known, 1])
    room = WIDTH - _VALUE_ROOM
    bars = []
    for i, figure in enumerate(figures):
        y = i * ROW
        value = figure.value or 0
        width = round(room * value / top) if value else 0
        if value and width < 3:
            width = 3  # one family still shows
        if rtl:
            x, label_x, anchor = WIDTH - width, WIDTH, "end"
            value_x, value_anchor = WIDTH - width - 8, "end"
        else:
            x, label_x, anchor = 0, 0, "start"
            value_x, value_anchor = width + 8, "start"
        bars.append(Bar(figure, label_x, y + 18, anchor, x, y + 26, width, value_x,
                        y + 26 + BAR - 6, value_anchor))
    return Funnel(WIDTH, len(figures) * ROW, tuple(bars))
