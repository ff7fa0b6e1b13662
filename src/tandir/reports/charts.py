"""Charts of the dashboards and the network pages as inline SVG, drawn on the server: lines,
bars, stacked bars and a funnel. No JavaScript and no chart library, so they render offline, on
a phone and in print alike; the templates (`reports/dashboard_chart_*.html`) only place the
shapes computed here. Values are Decimals or ints; coordinates are rounded floats.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tandir.core.formatting import number

WIDTH = 640
HEIGHT = 240
LEFT = 56  # room for the value axis labels
RIGHT = 12
TOP = 12
BOTTOM = 28  # room for the category labels
# Colour-blind safe (Okabe-Ito), in the order series take them.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#d55e00",
    "#f0e442",
    "#000000",
)

Number = Decimal | int | float


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _nice_top(value: float) -> float:
    """A round upper bound of the axis at or above `value` (1, 2, 2.5 or 5 times a power of 10)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5):
        if step * power >= value:
            return step * power
    return 10 * power


def _fmt(value: float, percent: bool) -> str:
    shown = Decimal(str(round(value, 2))).normalize()
    text = number(shown if shown != shown.to_integral() else shown.quantize(Decimal(1)))
    return f"{text}%" if percent else text


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str  # the value as text, for the tooltip


@dataclass
class Line:
    name: str
    colour: str
    points: list[Point]

    @property
    def path(self) -> str:
        """SVG polyline points; a gap (no value) breaks nothing, the line joins what is there."""
        return " ".join(f"{p.x},{p.y}" for p in self.points)


@dataclass
class Axes:
    width: int
    height: int
    left: int
    top: int
    base: float
    right_x: int
    ticks: list[Tick]
    labels: list[XLabel]


@dataclass
class LineChart:
    axes: Axes
    lines: list[Line]

    @property
    def drawn(self) -> bool:
        return any(line.points for line in self.lines)


def _axes(top_value: float, labels: list[str], slots: int, *, percent: bool) -> Axes:
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(slots, 1)
    ticks = [
        Tick(round(TOP + plot * (1 - i / 4), 1), _fmt(top_value * i / 4, percent)) for i in range(5)
    ]
    every = max(1, -(-len(labels) // 12))  # at most twelve labels under the axis
    xs = [
        XLabel(round(LEFT + step * (i + 0.5), 1), label)
        for i, label in enumerate(labels)
        if i % every == 0 or i == len(labels) - 1
    ]
    return Axes(WIDTH, HEIGHT, LEFT, TOP, float(TOP + plot), WIDTH - RIGHT, ticks, xs)


def line_chart(
    labels: list[str], series: Mapping[str, Sequence[Number | None]], *, percent: bool = False
) -> LineChart:
    """One line per series over the labels (dates); None is a missing point."""
    values = [float(v) for vs in series.values() for v in vs if v is not None]
    top_value = _nice_top(max(values, default=0.0))
    axes = _axes(top_value, labels, len(labels), percent=percent)
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    lines = []
    for i, (name, vs) in enumerate(series.items()):
        points = [
            Point(
                round(LEFT + step * (j + 0.5), 1),
                round(TOP + plot * (1 - float(v) / top_value), 1),
                _fmt(float(v), percent),
            )
            for j, v in enumerate(vs)
            if v is not None
        ]
        lines.append(Line(name, colour(i), points))
    return LineChart(axes, lines)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    series: str
    label: str  # the value as text


@dataclass
class Column:
    label: str
    bars: list[Bar] = field(default_factory=list)


@dataclass
class BarChart:
    axes: Axes
    columns: list[Column]
    legend: list[tuple[str, str]]  # (colour, series name)

    @property
    def drawn(self) -> bool:
        return any(bar.height > 0 for column in self.columns for bar in column.bars)


def bar_chart(
    labels: list[str],
    series: Mapping[str, Sequence[Number]],
    *,
    stacked: bool = False,
    percent: bool = False,
) -> BarChart:
    """Bars per label: side by side per series, or stacked into one bar when `stacked`."""
    names = list(series)
    if stacked:
        totals = [sum(float(series[n][i]) for n in names) for i in range(len(labels))]
    else:
        totals = [float(v) for vs in series.values() for v in vs]
    top_value = _nice_top(max(totals, default=0.0))
    axes = _axes(top_value, labels, len(labels), percent=percent)
    plot = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = step * 0.7 if stacked else step * 0.8 / max(len(names), 1)
    columns = []
    for i, label in enumerate(labels):
        column = Column(label)
        x0 = LEFT + step * i + step * (0.15 if stacked else 0.1)
        base = float(TOP + plot)
        for k, name in enumerate(names):
            value = float(series[name][i])
            height = round(plot * value / top_value, 1)
            if stacked:
                base -= height
                bar = Bar(
                    round(x0, 1),
                    round(base, 1),
                    round(width, 1),
                    height,
                    colour(k),
                    name,
                    _fmt(value, percent),
                )
            else:
                bar = Bar(
                    round(x0 + width * k, 1),
                    round(TOP + plot - height, 1),
                    round(width, 1),
                    height,
                    colour(k),
                    name,
                    _fmt(value, percent),
                )
            column.bars.append(bar)
        columns.append(column)
    return BarChart(axes, columns, [(colour(k), name) for k, name in enumerate(names)])


@dataclass(frozen=True)
class Step:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    share: str  # of the first step, as text
    text_y: float


@dataclass
class Funnel:
    width: int
    height: int
    steps: list[Step]

    @property
    def center(self) -> float:
        return self.width / 2

    @property
    def drawn(self) -> bool:
        return any(step.width > 0 for step in self.steps)


FUNNEL_ROW = 44


def funnel(steps: list[tuple[str, int]]) -> Funnel:
    """Centred bars narrowing from the first step, each with its share of the first."""
    first = steps[0][1] if steps else 0
    most = max((v for _label, v in steps), default=0) or 1
    usable = WIDTH - 2 * RIGHT
    drawn = []
    for i, (label, value) in enumerate(steps):
        width = round(usable * value / most, 1)
        share = f"{number(round(Decimal(100) * value / first))}%" if first else "—"
        y = TOP + i * FUNNEL_ROW
        drawn.append(
            Step(
                label,
                value,
                round((WIDTH - width) / 2, 1),
                y,
                width,
                FUNNEL_ROW - 8,
                share,
                y + (FUNNEL_ROW - 8) / 2 + 4,
            )
        )
    return Funnel(WIDTH, TOP * 2 + FUNNEL_ROW * len(steps), drawn)
