"""Server-side SVG charts for the report pages (retention, surveys) and the account page: no
JavaScript, nothing from a CDN.

A small line chart is all a trend needs, so it is drawn here rather than pulling in a
charting package: one ``<polyline>`` per unbroken run of values, a dot with a native
``<title>`` tooltip per value, and a hatched band where a month has no figures (a gap shows,
it is never drawn as a line through it or as zero). The chart names itself (``<title>``, and a
``<desc>`` when given) for a screen reader; the page puts the same figures in a table beside it.
"""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 44, 28, 12, 30


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: list[Decimal | None]
    dashed: bool = False


def _scale(values: list[Decimal]) -> tuple[float, float]:
    """Y range rounded out to tens, at least 10 points tall."""
    if not values:
        return 0.0, 100.0
    low, high = float(min(values)), float(max(values))
    low, high = math.floor(low / 10) * 10, math.ceil(high / 10) * 10
    if high - low < 10:
        high = low + 10
    return float(low), float(high)


def _runs(values: list[Decimal | None]) -> list[list[tuple[int, Decimal]]]:
    runs, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return runs


def line_chart(
    *,
    months: list[dt.date],
    series: list[Series],
    missing: set[int] = frozenset(),
    label: str,
    height: int = HEIGHT,
    width: int = WIDTH,
    gap: str = "",
    description: str = "",
    unit: str = " %",
) -> SafeString:
    """An inline SVG line chart of monthly figures (percentages unless ``unit`` says
    otherwise), ``width`` × ``height`` units (it scales to its box). ``missing`` are the
    indexes of months without figures, drawn as hatched bands whose tooltip is ``gap``
    (``%(month)s`` for the month's name); ``description`` becomes the chart's ``<desc>``."""
    every = [v for s in series for v in s.values if v is not None]
    low, high = _scale(every)
    n = max(len(months), 1)
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return LEFT + (i * step if n > 1 else plot_w / 2)

    def y(v) -> float:
        return TOP + plot_h - (float(v) - low) / (high - low) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="trend-chart" aria-label="{escape(label)}" '
        f'style="width:100%;height:auto;font:11px system-ui,sans-serif">',
        f"<title>{escape(label)}</title>",
        f"<desc>{escape(description)}</desc>" if description else "",
        '<defs><pattern id="gap-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="3" height="6" fill="#eef0f3"/></pattern>'
        "</defs>",
    ]
    ticks = 5 if height >= 200 else 2
    for t in range(ticks + 1):
        value = low + (high - low) * t / ticks
        ty = y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#eef0f3"/><text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" '
            f'fill="#667085">{value:g}{escape(unit)}</text>'
        )
    for i in sorted(missing):
        parts.append(
            f'<rect class="gap" x="{x(i) - step / 2:.1f}" y="{TOP}" width="{step:.1f}" '
            f'height="{plot_h}" fill="url(#gap-hatch)"><title>'
            f"{escape(gap % {'month': date_format(months[i], 'M Y')})}"
            "</title></rect>"
        )
    # about 57 units a month label (twelve on the report's 760-wide charts)
    label_every = max(1, math.ceil(n / max(1, int(plot_w // 57))))
    for i, month in enumerate(months):
        if (n - 1 - i) % label_every == 0:  # count from the newest month, which is labelled
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="middle" fill="#667085">'
                f"{escape(date_format(month, 'M y'))}</text>"
            )
    for s in series:
        dash = ' stroke-dasharray="5 4"' if s.dashed else ""
        for run in _runs(s.values):
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            parts.append(
                f'<polyline fill="none" stroke="{s.color}" stroke-width="2"{dash} '
                f'points="{points}"/>'
            )
            for i, v in run:
                tip = f"{s.name} {date_format(months[i], 'M Y')}: {v}{unit}"
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.6" fill="{s.color}">'
                    f"<title>{escape(tip)}</title></circle>"
                )
    parts.append("</svg>")
    # Everything interpolated above is a number, a colour of ours or escaped text.
    return mark_safe("".join(parts))
