"""The error a load reports: what failed, and where in the file (row, column, value)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


class LoadError(Exception):
    """A file that cannot be loaded. `row` is 1-based as the file shows it (the header line
    of a CSV is row 1; a spreadsheet's rows as numbered on screen; a JSON-lines line)."""

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.value = None if value is None else str(value)[:200]

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("fila %(row)s") % {"row": self.row})
        if self.column is not None:
            where.append(_("columna «%(column)s»") % {"column": self.column})
        if self.value is not None:
            where.append(_("valor «%(value)s»") % {"value": self.value})
        return f"{self.message} ({', '.join(where)})" if where else self.message
