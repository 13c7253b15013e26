"""Server-rendered SVG charts: they work without JavaScript, print, and go into the PDF report.

Every chart is an image with a title and a description (role="img", <title>, <desc>) and
also writes its numbers as text, so nothing is told by colour or shape alone. Colours are
SVG presentation attributes (not style attributes, which the CSP forbids) so a chart keeps
them when it is copied out of the page.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

TRACK = "#d9d9d9"
FILL = "#00546b"
INK = "#1a1a1a"
# Completion levels: distinguishable for common colour blindness, ≥3:1 against white.
LEVEL_COLOURS = {
    "not_started": "#6b6b6b",
    "limited": "#b04a00",
    "substantial": "#0068a8",
    "complete": "#1e7a34",
    "withdrawn": "#8a2a6b",
}

_ids = itertools.count(1)


def _uid(prefix: str) -> str:
    return f"{prefix}-{next(_ids)}"


def percent_text(percent: Decimal | float | None) -> str:
    """«45,5 %» in the active language, or «sin dato» when the percent is unknown."""
    if percent is None:
        return _("sin dato")
    return _("%(value)s %%") % {"value": number_format(percent, 1)}


def _clamp(percent: Decimal | float | None) -> float:
    return max(0.0, min(100.0, float(percent or 0)))


def progress_bar(percent: Decimal | float | None, label: str = "") -> SafeString:
    """A thin horizontal bar filled to `percent`; its title says the figure in words."""
    uid = _uid("barra")
    title = _("%(label)s: avance %(percent)s") % {
        "label": label or _("Avance"),
        "percent": percent_text(percent),
    }
    return format_html(
        '<svg class="progress-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'width="100%" height="10" role="img" aria-labelledby="{uid}">'
        '<title id="{uid}">{title}</title>'
        '<rect x="0" y="0" width="100" height="10" fill="{track}"/>'
        '<rect x="0" y="0" width="{width}" height="10" fill="{fill}"/>'
        "</svg>",
        uid=uid,
        title=title,
        track=TRACK,
        fill=FILL,
        width=f"{_clamp(percent):.1f}",
    )


@dataclass(frozen=True)
class Bar:
    """One bar of a bar chart: a short label, a longer name and its percent."""

    label: str
    name: str
    percent: Decimal | float | None
    flagged: bool = False


def bar_chart(bars: Sequence[Bar], *, title: str, description: str) -> SafeString:
    """Horizontal bars of percent (0-100), one row per item, figures written beside them."""
    uid = _uid("grafica")
    row, top, label_w, bar_w, value_w = 26, 6, 56, 420, 84
    height = top * 2 + row * max(len(bars), 1)
    width = label_w + bar_w + value_w
    rows = []
    for index, bar in enumerate(bars):
        y = top + index * row
        rows.append(
            format_html(
                "<g><title>{name}: {value}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}" font-size="13">'
                "{label}</text>"
                '<rect x="{bx}" y="{by}" width="{bw}" height="16" fill="{track}"/>'
                '<rect x="{bx}" y="{by}" width="{fw}" height="16" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" fill="{ink}" font-size="13">{value}{mark}</text></g>',
                name=bar.name,
                label=bar.label,
                value=percent_text(bar.percent),
                mark=" ⚠" if bar.flagged else "",
                lx=label_w - 8,
                ty=y + 13,
                bx=label_w,
                by=y + 1,
                bw=bar_w,
                fw=f"{bar_w * _clamp(bar.percent) / 100:.1f}",
                vx=label_w + bar_w + 6,
                track=TRACK,
                fill=FILL,
                ink=INK,
            )
        )
    return format_html(
        '<svg class="chart bar-chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{title}</title>'
        '<desc id="{uid}-d">{desc}</desc>{rows}</svg>',
        uid=uid,
        w=width,
        h=height,
        title=title,
        desc=description,
        rows=mark_safe("".join(rows)),  # noqa: S308 - each row was built by format_html
    )


def scaled_bars(
    items: Sequence[tuple[str, float | Decimal, str]],
    *,
    title: str,
    description: str,
    label_width: int = 220,
    value_width: int = 50,
) -> SafeString:
    """Horizontal bars of (label, value, value as written), scaled to the largest value
    (counts, amounts: `bar_chart` is for percents), each figure written beside its bar."""
    uid = _uid("barras")
    row, top, bar_w = 26, 6, 300
    largest = max((float(value) for _label, value, _text in items), default=0) or 1
    rows = []
    for index, (label, value, text) in enumerate(items):
        y = top + index * row
        rows.append(
            format_html(
                "<g><title>{label}: {text}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}" font-size="13">'
                "{label}</text>"
                '<rect x="{bx}" y="{by}" width="{bw}" height="16" fill="{track}"/>'
                '<rect x="{bx}" y="{by}" width="{fw}" height="16" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" fill="{ink}" font-size="13">{text}</text></g>',
                label=label,
                text=text,
                lx=label_width - 8,
                ty=y + 13,
                bx=label_width,
                by=y + 1,
                bw=bar_w,
                fw=f"{bar_w * max(float(value), 0) / largest:.1f}",
                vx=label_width + bar_w + 6,
                track=TRACK,
                fill=FILL,
                ink=INK,
            )
        )
    return format_html(
        '<svg class="chart bar-chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{title}</title>'
        '<desc id="{uid}-d">{desc}</desc>{rows}</svg>',
        uid=uid,
        w=label_width + bar_w + value_width,
        h=top * 2 + row * max(len(items), 1),
        title=title,
        desc=description,
        rows=mark_safe("".join(rows)),  # noqa: S308 - each row was built by format_html
    )


@dataclass(frozen=True)
class Slice:
    """One part of a donut: a key (for its colour), its label and its count."""

    key: str
    label: str
    count: int


def donut(slices: Sequence[Slice], *, title: str, description: str) -> SafeString:
    """A donut of counts with the total in its centre; pair it with a legend in the page."""
    uid = _uid("dona")
    total = sum(s.count for s in slices)
    # A circle of circumference 100 turns each share into a dash length directly.
    radius = 15.91549
    arcs = []
    offset = 25.0  # start at twelve o'clock
    for part in slices:
        if not part.count:
            continue
        share = 100 * part.count / total
        arcs.append(
            format_html(
                '<circle cx="21" cy="21" r="{r}" fill="none" stroke="{colour}" '
                'stroke-width="6" stroke-dasharray="{share} {rest}" '
                'stroke-dashoffset="{offset}"><title>{label}: {count}</title></circle>',
                r=radius,
                colour=LEVEL_COLOURS.get(part.key, FILL),
                share=f"{share:.3f}",
                rest=f"{100 - share:.3f}",
                offset=f"{offset:.3f}",
                label=part.label,
                count=part.count,
            )
        )
        offset -= share
    return format_html(
        '<svg class="chart donut" viewBox="0 0 42 42" width="160" height="160" role="img" '
        'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{title}</title>'
        '<desc id="{uid}-d">{desc}</desc>'
        '<circle cx="21" cy="21" r="{r}" fill="none" stroke="{track}" stroke-width="6"/>'
        "{arcs}"
        '<text x="21" y="23.5" text-anchor="middle" font-size="8" fill="{ink}">{total}</text>'
        "</svg>",
        uid=uid,
        title=title,
        desc=description,
        r=radius,
        track=TRACK,
        arcs=mark_safe("".join(arcs)),  # noqa: S308 - each arc was built by format_html
        ink=INK,
        total=total,
    )


def legend_swatch(key: str) -> SafeString:
    """A small square in a slice's colour, for the legend beside a donut (decorative)."""
    return format_html(
        '<svg class="swatch" viewBox="0 0 10 10" width="12" height="12" aria-hidden="true" '
        'focusable="false"><rect width="10" height="10" fill="{}"/></svg>',
        LEVEL_COLOURS.get(key, FILL),
    )


def description_of(slices: Sequence[Slice]) -> str:
    """The donut's numbers in one sentence, for its <desc>."""
    return "; ".join(f"{s.label}: {s.count}" for s in slices)


__all__ = [
    "Bar",
    "Slice",
    "bar_chart",
    "description_of",
    "donut",
    "legend_swatch",
    "percent_text",
    "progress_bar",
]
