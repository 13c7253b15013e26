"""SVG bars of money in one currency (core's bar chart is of percents), drawn the same way.

role="img" with <title> and <desc>, every figure written beside its bar, colours as
presentation attributes. One chart never mixes currencies: pages draw one per currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.safestring import SafeString

from abierto.core.charts import scaled_bars


def money_text(amount: Decimal | None, currency: str) -> str:
    """«1,234,567.89 MXN» with the active language's grouping."""
    if amount is None:
        return "—"
    return f"{number_format(amount, 2, force_grouping=True)} {currency}".strip()


def amount_bars(
    items: Sequence[tuple[str, Decimal]], *, currency: str, title: str, description: str
) -> SafeString:
    """Horizontal bars, one per (label, amount), scaled to the largest, figures beside them."""
    return scaled_bars(
        [(label, amount, money_text(amount, currency)) for label, amount in items],
        title=title,
        description=description,
        label_width=150,
        value_width=190,
    )
