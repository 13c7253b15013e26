"""A server-rendered SVG bar chart of counts (problems or sites by theme).

Same conventions as `abierto.core.charts`: role="img" with <title> and <desc>, figures
written as text beside each bar, colours as presentation attributes (the CSP forbids style).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from abierto.core.charts import FILL, INK, TRACK

_ids = itertools.count(1)


@dataclass(frozen=True)
class CountBar:
    label: str
    count: int


def description_of(bars: Sequence[CountBar]) -> str:
    """The chart's numbers in one sentence, for its <desc>."""
    return "; ".join(f"{bar.label}: {bar.count}" for bar in bars)


def count_chart(bars: Sequence[CountBar], *, title: str) -> SafeString:
    """Horizontal bars of whole counts, scaled to the largest, each with its figure."""
    uid = f"conteo-{next(_ids)}"
    row, top, label_w, bar_w, value_w = 26, 6, 220, 300, 50
    largest = max((bar.count for bar in bars), default=0) or 1
    rows = []
    for index, bar in enumerate(bars):
        y = top + index * row
        rows.append(
            format_html(
                "<g><title>{label}: {count}</title>"
                '<text x="{lx}" y="{ty}" text-anchor="end" fill="{ink}" font-size="13">'
                "{label}</text>"
                '<rect x="{bx}" y="{by}" width="{bw}" height="16" fill="{track}"/>'
                '<rect x="{bx}" y="{by}" width="{fw}" height="16" fill="{fill}"/>'
                '<text x="{vx}" y="{ty}" fill="{ink}" font-size="13">{count}</text></g>',
                label=bar.label,
                count=bar.count,
                lx=label_w - 8,
                ty=y + 13,
                bx=label_w,
                by=y + 1,
                bw=bar_w,
                fw=f"{bar_w * bar.count / largest:.1f}",
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
        w=label_w + bar_w + value_w,
        h=top * 2 + row * max(len(bars), 1),
        title=title,
        desc=description_of(bars),
        rows=mark_safe("".join(rows)),  # noqa: S308 - each row was built by format_html
    )
