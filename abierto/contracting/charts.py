"""SVG bars of money in one currency (core's bar chart is of percents), drawn the same way.

role="img" with <title> and <desc>, every figure written beside its bar, colours as
presentation attributes. One chart never mixes currencies: pages draw one per currency.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from abierto.core.charts import FILL, INK, TRACK

_ids = itertools.count(1)


def money_text(amount: Decimal | None, currency: str) -> str:
    """«1,234,567.89 MXN» with the active language's grouping."""
    if amount is None:
        return "—"
    return f"{number_format(amount, 2, force_grouping=True)} {currency}".strip()


def amount_bars(
    items: Sequence[tuple[str, Decimal]], *, currency: str, title: str, description: str
) -> SafeString:
    """Horizontal bars, one per (label, amount), scaled to the largest, figures beside them."""
    uid = f"montos-{next(_ids)}"
    row, top, label_w, bar_w, value_w = 26, 6, 150, 300, 190
    largest = max((amount for _label, amount in items), default=0) or 1
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
                money_text(amount, currency),
                label_w - 8,
                top + index * row + 13,
                INK,
                label_w,
                top + index * row + 1,
                bar_w,
                TRACK,
                f"{bar_w * max(float(amount), 0) / float(largest):.1f}",
                FILL,
                label_w + bar_w + 6,
            )
            for index, (label, amount) in enumerate(items)
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
