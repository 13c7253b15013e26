"""A server-rendered SVG bar chart of counts (problems or sites by theme).

Same conventions as `abierto.core.charts`: role="img" with <title> and <desc>, figures
written as text beside each bar, colours as presentation attributes (the CSP forbids style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString

from abierto.core.charts import scaled_bars


@dataclass(frozen=True)
class CountBar:
    label: str
    count: int


def description_of(bars: Sequence[CountBar]) -> str:
    """The chart's numbers in one sentence, for its <desc>."""
    return "; ".join(f"{bar.label}: {bar.count}" for bar in bars)


def count_chart(bars: Sequence[CountBar], *, title: str) -> SafeString:
    """Horizontal bars of whole counts, scaled to the largest, each with its figure."""
    return scaled_bars(
        [(bar.label, bar.count, str(bar.count)) for bar in bars],
        title=title,
        description=description_of(bars),
    )
