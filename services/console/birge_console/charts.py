"""Small charts as server-rendered SVG: horizontal bars, a band marker, an interval plot.

No chart library and no script: the SVG is part of the page, so it shows with JavaScript off
and prints. Each chart is an image with a <title> and a <desc> (named by aria-labelledby);
the page shows the same figures as a table, so nothing is only in the picture. Colours are
presentation attributes (not style=""), which the console's Content-Security-Policy allows.

A bar whose value is None is a suppressed figure: it is drawn as an empty outline with the
caller's "suppressed" text, never as a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Drawn at its own size on a laptop; on a 360 px phone scaled down by about a fifth, which
# keeps the 13 px text readable.
WIDTH = 420
LABEL_WIDTH = 140
VALUE_WIDTH = 90
BAR_HEIGHT = 26
GAP = 10
TOP = 8
AXIS_HEIGHT = 24

INK = "#1b1f24"
MUTED = "#4d5660"
LINE = "#c9d0d8"
BAND = "#dcebf9"
BAND_EDGE = "#0b5cad"
#: Bar colours, each at least 3:1 against white (WCAG non-text contrast).
COLOURS = ("#0b5cad", "#b34700", "#17612e", "#6b3fa0", "#8a4b00")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: suppressed
    text: str  # the value as the reader sees it, already formatted
    colour: str = COLOURS[0]


@dataclass(frozen=True)
class Band:
    """A range on the bars' scale that the values should fall in (the mix band)."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class Interval:
    label: str
    value: float | None  # None: suppressed
    low: float | None
    high: float | None
    text: str


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, description: str, height: int) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]


#: About the width of one character of the 13 px labels, to tell when one would not fit.
CHARACTER_WIDTH = 7
LABEL_ROOM = LABEL_WIDTH - 12


def _label(y: float, text: str) -> str:
    # A label too long for its column (a long word in Kyrgyz or Russian) is squeezed to fit
    # rather than cut off at the picture's edge.
    squeeze = (
        f' textLength="{LABEL_ROOM}" lengthAdjust="spacingAndGlyphs"'
        if len(text) * CHARACTER_WIDTH > LABEL_ROOM
        else ""
    )
    return (
        f'<text x="{LABEL_WIDTH - 8}" y="{_number(y)}" text-anchor="end" '
        f'dominant-baseline="middle" fill="{INK}"{squeeze}>{escape(text)}</text>'
    )


def _value(x: float, y: float, text: str, colour: str = INK) -> str:
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" dominant-baseline="middle" '
        f'fill="{colour}">{escape(text)}</text>'
    )


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[Bar],
    maximum: float,
    band: Band | None = None,
) -> Markup:
    """Horizontal bars on a scale from 0 to `maximum`, optionally with a band marked on it."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = plot / maximum if maximum > 0 else 0.0
    height = TOP + len(bars) * (BAR_HEIGHT + GAP) + (AXIS_HEIGHT if band else 0)
    parts = _open(chart_id, title, description, height)
    bottom = TOP + len(bars) * (BAR_HEIGHT + GAP) - GAP
    if band is not None:
        x_low = LABEL_WIDTH + band.low * scale
        x_high = LABEL_WIDTH + band.high * scale
        parts.append(
            f'<rect x="{_number(x_low)}" y="{TOP - 4}" width="{_number(x_high - x_low)}" '
            f'height="{bottom - TOP + 8}" fill="{BAND}"/>'
        )
        for x in (x_low, x_high):
            parts.append(
                f'<line x1="{_number(x)}" x2="{_number(x)}" y1="{TOP - 4}" y2="{bottom + 4}" '
                f'stroke="{BAND_EDGE}" stroke-width="2" stroke-dasharray="4 3"/>'
            )
        parts.append(
            f'<text x="{_number((x_low + x_high) / 2)}" y="{bottom + 18}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(band.label)}</text>'
        )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH}" y1="{TOP - 4}" y2="{bottom + 4}" '
        f'stroke="{MUTED}"/>'
    )
    for index, bar in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(_label(middle, bar.label))
        if bar.value is None:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{plot}" height="{BAR_HEIGHT}" '
                f'fill="none" stroke="{LINE}" stroke-dasharray="4 3"/>'
            )
            parts.append(_value(LABEL_WIDTH + 8, middle, bar.text, MUTED))
            continue
        length = max(0.0, min(bar.value, maximum)) * scale
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{_number(length)}" '
            f'height="{BAR_HEIGHT}" fill="{bar.colour}"/>'
        )
        parts.append(_value(LABEL_WIDTH + length + 6, middle, bar.text))
    parts.append("</svg>")
    return _markup(parts)


def interval_plot(
    *,
    chart_id: str,
    title: str,
    description: str,
    rows: Sequence[Interval],
    low: float,
    high: float,
    reference: float | None = 0.0,
    suppressed_text: str = "",
) -> Markup:
    """Points with their intervals on a scale from `low` to `high`, and a reference line."""
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    span = high - low

    def x_of(value: float) -> float:
        return LABEL_WIDTH + (min(max(value, low), high) - low) / span * plot

    height = TOP + len(rows) * (BAR_HEIGHT + GAP) + AXIS_HEIGHT
    bottom = TOP + len(rows) * (BAR_HEIGHT + GAP) - GAP
    parts = _open(chart_id, title, description, height)
    # The axis: its ends and the reference value, so the picture reads without the table.
    ticks = [low, high] + ([reference] if reference is not None else [])
    for tick in ticks:
        parts.append(
            f'<text x="{_number(x_of(tick))}" y="{bottom + 18}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(_signed(tick))}</text>'
        )
    if reference is not None:
        x = x_of(reference)
        parts.append(
            f'<line x1="{_number(x)}" x2="{_number(x)}" y1="{TOP - 4}" y2="{bottom + 4}" '
            f'stroke="{MUTED}" stroke-dasharray="4 3"/>'
        )
    for index, row in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(_label(middle, row.label))
        if row.value is None or row.low is None or row.high is None:
            parts.append(_value(LABEL_WIDTH + 8, middle, suppressed_text or row.text, MUTED))
            continue
        x_low, x_high, x_mean = x_of(row.low), x_of(row.high), x_of(row.value)
        parts.append(
            f'<line x1="{_number(x_low)}" x2="{_number(x_high)}" y1="{_number(middle)}" '
            f'y2="{_number(middle)}" stroke="{COLOURS[0]}" stroke-width="3"/>'
        )
        for x in (x_low, x_high):
            parts.append(
                f'<line x1="{_number(x)}" x2="{_number(x)}" y1="{y + 6}" '
                f'y2="{y + BAR_HEIGHT - 6}" stroke="{COLOURS[0]}" stroke-width="3"/>'
            )
        parts.append(
            f'<circle cx="{_number(x_mean)}" cy="{_number(middle)}" r="6" fill="{COLOURS[1]}"/>'
        )
        parts.append(_value(LABEL_WIDTH + plot + 8, middle, row.text))
    parts.append("</svg>")
    return _markup(parts)


def _markup(parts: list[str]) -> Markup:
    # Every text that came from outside went through `escape`; the rest is our own markup.
    return Markup("\n".join(parts))  # noqa: S704


def _signed(value: float) -> str:
    text = _number(value)
    return f"+{text}" if value > 0 else text
