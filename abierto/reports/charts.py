"""A bar chart of counts (core's bar chart is of percents), drawn the same accessible way."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from abierto.core.charts import FILL, INK, TRACK

_ids = itertools.count(1)


def count_bars(items: Sequence[tuple[str, int]], *, title: str, description: str) -> SafeString:
    """Horizontal bars, one per (label, count), each with its count written beside it."""
    uid = f"conteo-{next(_ids)}"
    row, top, label_w, bar_w, value_w = 26, 6, 230, 300, 50
    largest = max((count for _label, count in items), default=0) or 1
    rows = format_html_join(
        "",
        "<g><title>{0}: {1}</title>"
        '<text x="{2}" y="{3}" text-anchor="end" fill="{4}" font-size="13">{0}</text>'
        '<rect x="{5}" y="{6}" width="{7}" height="16" fill="{8}"/>'
        '<rect x="{5}" y="{6}" width="{9}" height="16" fill="{10}"/>'
        '<text x="{11}" y="{3}" fill="{4}" font-size="13">{1}</text></g>',
        (
            (
                label,
                count,
                label_w - 8,
                top + index * row + 13,
                INK,
                label_w,
                top + index * row + 1,
                bar_w,
                TRACK,
                f"{bar_w * count / largest:.1f}",
                FILL,
                label_w + bar_w + 6,
            )
            for index, (label, count) in enumerate(items)
        ),
    )
    return format_html(
        '<svg class="chart bar-chart" viewBox="0 0 {w} {h}" width="100%" role="img" '
        'aria-labelledby="{uid}-t {uid}-d"><title id="{uid}-t">{title}</title>'
        '<desc id="{uid}-d">{desc}</desc>{rows}</svg>',
        uid=uid,
        w=label_w + bar_w + value_w,
        h=top * 2 + row * max(len(items), 1),
        title=title,
        desc=description,
        rows=rows,
    )
