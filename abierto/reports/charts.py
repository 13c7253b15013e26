"""A bar chart of counts (core's bar chart is of percents), drawn the same accessible way."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from abierto.core.charts import scaled_bars


def count_bars(items: Sequence[tuple[str, int]], *, title: str, description: str) -> SafeString:
    """Horizontal bars, one per (label, count), each with its count written beside it."""
    return scaled_bars(
        [(label, count, str(count)) for label, count in items],
        title=title,
        description=description,
        label_width=230,
    )
