"""Column types from a whole file, and the functions that turn its text into those types.

Inference reads every value (never only the first rows, the way CKAN's DataPusher does), one
column at a time over batches of rows so that most of the work runs in C. A column starts at
the narrowest type its first value fits and widens when a later value does not fit:
int → numeric → text, date → timestamp → text, bool → text.

What is recognised (values are stripped of surrounding spaces first):

- int: `-12`, `1234`, and with thousands separators `1.234.567` or `1,234,567`;
- numeric: `1234.56`, `1,234.56`, `1234,56`, `1.234,56`, `1e-3`, a leading `$`; a column uses
  one decimal separator throughout. `1.234` alone is ambiguous: read with a decimal point
  unless another value of the column (`1.234,5` or `0,5`) shows the comma is decimal;
- date: `2017-12-31`, `2017/12/31`, `31/12/2017`, `31-12-2017` (day first, as in Mexico;
  `12/31/2017` is therefore text);
- timestamp: ISO 8601 (`2017-12-31T10:30:00`, with a space, fractions, an offset, which is
  converted to UTC) and `31/12/2017 10:30[:00]`;
- bool: sí/si/no, verdadero/falso, true/false (any case; `1`/`0` stay int).

Null markers (`NULL_MARKERS`, compared without case or surrounding spaces: empty, N/A, NA,
N.A., N/D, ND, S/D, SD, «sin dato(s)», «no disponible», «no aplica», -, --, —, null, none,
nan, #N/A) become NULL in typed columns and never decide a column's type. In a text column
every value is kept as written except the empty string, which is NULL.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter

from django.utils.translation import gettext as _

from abierto.datastore.schema import BOOL, DATE, INT, NUMERIC, TEXT, TIMESTAMP

NULL_MARKERS = frozenset(
    {
        "",
        "n/a",
        "na",
        "n.a.",
        "n/d",
        "nd",
        "n.d.",
        "s/d",
        "sd",
        "s.d.",
        "sin dato",
        "sin datos",
        "no disponible",
        "no aplica",
        "-",
        "--",
        "—",
        "null",
        "none",
        "nan",
        "#n/a",
    }
)
_LONGEST_MARKER = max(len(m) for m in NULL_MARKERS)
TRUE_WORDS = frozenset({"sí", "si", "verdadero", "true"})
FALSE_WORDS = frozenset({"no", "falso", "false"})
_LONGEST_BOOL = max(len(w) for w in TRUE_WORDS | FALSE_WORDS)

# bigint holds 19 digits; anything longer is numeric.
_MAX_INT_DIGITS = 18

# Parsing is lenient (`007` is 7 when a column is declared int); inference is strict: a
# number written with leading zeros is a code (INEGI keys such as `001`, postal codes) and
# stays text.
_INT = re.compile(r"[+-]?\$?\d+")
_STRICT_INT = re.compile(r"[+-]?\$?(?:0|[1-9]\d{0,17})")
_POINT_DECIMAL = re.compile(
    r"[+-]?\$?(?:\d+|\d{1,3}(?:,\d{3})+)?\.\d+(?:[eE][+-]?\d+)?|[+-]?\d+[eE][+-]?\d+"
)
_COMMA_DECIMAL = re.compile(r"[+-]?\$?(?:\d+|\d{1,3}(?:\.\d{3})+)?,\d+")
# `1.234` is a Spanish int or an English decimal; `1.234.567` can only be a Spanish int.
_POINT_GROUPS = re.compile(r"[+-]?\$?[1-9]\d{0,2}(?:\.\d{3})+")
_COMMA_GROUPS = re.compile(r"[+-]?\$?[1-9]\d{0,2}(?:,\d{3})+")
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[-/](\d{1,2})[-/](\d{4})")
_ISO_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}.*")
_DMY_TIMESTAMP = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
# Whole-batch checks that are exact for a column already of that type and separator.
_QUICK = {
    (INT, None): _STRICT_INT.fullmatch,
    (NUMERIC, "."): re.compile(
        _STRICT_INT.pattern + "|" + _POINT_DECIMAL.pattern + "|" + _COMMA_GROUPS.pattern
    ).fullmatch,
    (NUMERIC, ","): re.compile(
        _STRICT_INT.pattern + "|" + _COMMA_DECIMAL.pattern + "|" + _POINT_GROUPS.pattern
    ).fullmatch,
}

# Dates PostgreSQL reads as written under DateStyle 'ISO, DMY' (the loader's raw COPY path).
_COPY_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}").fullmatch

# Kinds whose values are worth remembering once checked (few distinct values, slow checks).
_REMEMBERED = frozenset({DATE, TIMESTAMP, BOOL})
MAX_KNOWN = 50_000

# A column's decimal separator.
POINT, COMMA = ".", ","


class ParseError(ValueError):
    """A value that does not fit its column's type; the message is for the user."""


def is_null(value: str | None) -> bool:
    return (
        value is None
        or not value
        or (len(value) <= _LONGEST_MARKER + 2 and value.strip().casefold() in NULL_MARKERS)
    )


# ------------------------------------------------------------------------ single values


def _digits(value: str) -> str:
    return value.replace("$", "")


def parse_int(value: str, decimal: str | None = None) -> str:
    """The integer as plain digits; thousands separators go unless they are the column's
    decimal separator (`1.234` is 1234 unless the column writes `0.5`)."""
    text = value.strip()
    if _INT.fullmatch(text):
        digits = _digits(text)
    elif _POINT_GROUPS.fullmatch(text) and decimal != POINT:
        digits = _digits(text).replace(".", "")
    elif _COMMA_GROUPS.fullmatch(text) and decimal != COMMA:
        digits = _digits(text).replace(",", "")
    else:
        raise ParseError(_("no es un número entero"))
    if len(digits.lstrip("+-")) > _MAX_INT_DIGITS:
        raise ParseError(_("es un entero demasiado grande"))
    return str(int(digits))


def parse_numeric(value: str, decimal: str | None = None) -> str:
    """The number with a decimal point and no thousands separators, e.g. `1234.56`."""
    text = value.strip()
    if _INT.fullmatch(text):
        return _digits(text).lstrip("+")
    if decimal == COMMA:
        if _COMMA_DECIMAL.fullmatch(text) or _POINT_GROUPS.fullmatch(text):
            return _digits(text).replace(".", "").replace(",", ".").lstrip("+")
    elif _POINT_DECIMAL.fullmatch(text) or _COMMA_GROUPS.fullmatch(text):
        return _digits(text).replace(",", "").lstrip("+")
    elif _POINT_GROUPS.fullmatch(text):  # 1.234 with a decimal point
        return _digits(text).lstrip("+")
    raise ParseError(
        _("no es un número con coma decimal")
        if decimal == COMMA
        else _("no es un número con punto decimal")
    )


def _date(year: str, month: str, day: str) -> date:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise ParseError(_("no es una fecha válida")) from None


def parse_date(value: str, decimal: str | None = None) -> str:
    """ISO 8601 `YYYY-MM-DD` from `2017-12-31`, `2017/12/31`, `31/12/2017` or `31-12-2017`."""
    text = value.strip()
    if match := _ISO_DATE.fullmatch(text):
        return _date(*match.groups()).isoformat()
    if match := _DMY_DATE.fullmatch(text):
        day, month, year = match.groups()
        return _date(year, month, day).isoformat()
    raise ParseError(_("no es una fecha (AAAA-MM-DD o DD/MM/AAAA)"))


def parse_timestamp(value: str, decimal: str | None = None) -> str:
    """ISO 8601 `YYYY-MM-DDTHH:MM:SS[.ffffff]`, in UTC when the value had an offset."""
    text = value.strip()
    moment = None
    if _ISO_TIMESTAMP.fullmatch(text):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(text)
    elif match := _DMY_TIMESTAMP.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        with contextlib.suppress(ValueError):
            # Naive on purpose: the column is a timestamp without time zone, as written.
            moment = datetime(  # noqa: DTZ001
                int(year), int(month), int(day), int(hour), int(minute), int(second or 0)
            )
    elif _ISO_DATE.fullmatch(text) or _DMY_DATE.fullmatch(text):
        return parse_date(text) + "T00:00:00"
    if moment is None:
        raise ParseError(_("no es una fecha y hora (AAAA-MM-DD HH:MM:SS)"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat()


def parse_bool(value: str, decimal: str | None = None) -> str:
    """`1` or `0` (both databases read these as true and false)."""
    word = value.strip().casefold()
    if word in TRUE_WORDS:
        return "1"
    if word in FALSE_WORDS:
        return "0"
    raise ParseError(_("no es sí/no ni verdadero/falso"))


PARSERS: dict[str, Callable[[str, str | None], str]] = {
    INT: parse_int,
    NUMERIC: parse_numeric,
    DATE: parse_date,
    TIMESTAMP: parse_timestamp,
    BOOL: parse_bool,
}

TYPE_NAMES = {
    TEXT: _("texto"),
    INT: _("entero"),
    NUMERIC: _("número decimal"),
    DATE: _("fecha"),
    TIMESTAMP: _("fecha y hora"),
    BOOL: _("sí/no"),
}


# Values already in the form both databases read for the type: a column whose every value
# is canonical (pass 1 keeps track) is written as read, without converting anything.
CANONICAL_NUMBERS = {
    INT: r"-?(?:0|[1-9]\d{0,17})",
    # Not `007`: a whole number with leading zeros is a code, which makes the column text.
    NUMERIC: r"-?(?:0|[1-9]\d*|\d+\.\d+)",
}
_CANONICAL = {
    TEXT: None,
    **{kind: re.compile(pattern).fullmatch for kind, pattern in CANONICAL_NUMBERS.items()},
    DATE: re.compile(r"\d{4}-\d{2}-\d{2}").fullmatch,  # once inference found them valid
}


def converter(kind: str, decimal: str | None = None) -> Callable[[str | None], str | None]:
    """A function from a cell to what the database stores (a string both databases read as
    `kind`, or None); it raises ParseError for a value that does not fit."""
    if kind == TEXT:
        return lambda value: value if value else None
    parse = PARSERS[kind]

    def convert(value: str | None) -> str | None:
        if is_null(value):
            return None
        return parse(value, decimal)

    return convert


def column_converter(kind: str, decimal: str | None = None) -> Callable[[Sequence[str]], list[str]]:
    """Like `converter`, for a whole column of a batch at once, with "" for NULL (what both
    databases are told to read as NULL). Each distinct value is parsed once: dates,
    booleans and amounts repeat; up to MAX_KNOWN results are remembered across batches."""
    one = converter(kind, decimal)
    memo: dict[str, str] = {}

    def convert(values: Sequence[str]) -> list[str]:
        missing = set(values).difference(memo)
        if len(memo) + len(missing) > MAX_KNOWN:
            memo.clear()
            missing = set(values)
        for value in missing:
            memo[value] = one(value) or ""
        return list(map(memo.__getitem__, values))

    return convert


# --------------------------------------------------------------------------- inference


def _kind_of(text: str) -> tuple[str, str | None]:
    """The narrowest type of one stripped, non-null value, and the decimal separator it
    implies (None when it implies none)."""
    if _STRICT_INT.fullmatch(text):
        return INT, None
    if _INT.fullmatch(text):
        # Leading zeros: a code. Too many digits for bigint: a number.
        return (TEXT if text.lstrip("+-$").startswith("0") else NUMERIC), None
    if _POINT_GROUPS.fullmatch(text):
        return INT, (COMMA if text.count(".") > 1 else None)
    if _COMMA_GROUPS.fullmatch(text):
        return INT, (POINT if text.count(",") > 1 else None)
    if _POINT_DECIMAL.fullmatch(text):
        return NUMERIC, POINT
    if _COMMA_DECIMAL.fullmatch(text):
        return NUMERIC, COMMA
    if len(text) <= _LONGEST_BOOL and text.casefold() in TRUE_WORDS | FALSE_WORDS:
        return BOOL, None
    for kind in (DATE, TIMESTAMP):
        try:
            PARSERS[kind](text)
            return kind, None
        except ParseError:
            pass
    return TEXT, None


def _widen(current: str | None, new: str) -> str:
    if current is None or current == new:
        return new
    for family in ((INT, NUMERIC), (DATE, TIMESTAMP)):
        if current in family and new in family:
            return family[max(family.index(current), family.index(new))]
    return TEXT


@dataclass
class Column:
    """What inference knows of one column so far."""

    kind: str | None = None  # None while every value seen is null
    decimal: str | None = None
    # Single-group values (`1.234`, `1,234`) seen: ints if that character turns out to be
    # the thousands separator, decimals otherwise.
    point_groups: bool = False
    comma_groups: bool = False
    # Values already found to fit `kind` (bounded by MAX_KNOWN).
    known: set[str] = field(default_factory=set)
    # Every value so far is written as the database reads it (see _CANONICAL).
    canonical: bool = True
    # Every value so far is a date PostgreSQL reads as written, day first (see _COPY_DATE).
    dmy_dates: bool = True

    @property
    def final_kind(self) -> str:
        kind = self.kind or TEXT
        if kind == INT and (
            (self.point_groups and self.decimal != COMMA)
            or (self.comma_groups and self.decimal == COMMA)
        ):
            # `1.234` with no sign of a decimal comma is read as a decimal (as everywhere
            # but in Spanish-speaking spreadsheets); a dictionary override can make it int.
            return NUMERIC
        return kind

    @property
    def final_decimal(self) -> str | None:
        if self.final_kind not in (INT, NUMERIC):
            return None  # what a text column's values looked like on the way is no matter
        if self.decimal is None and self.point_groups and self.final_kind == NUMERIC:
            return POINT
        return self.decimal

    def see(self, value: str) -> None:
        """Widen the column to take `value` (known not null)."""
        text = value.strip()
        kind, decimal = _kind_of(text)
        if kind == INT and decimal is None and not _STRICT_INT.fullmatch(text):
            if "." in text:
                self.point_groups = True
            else:
                self.comma_groups = True
        if decimal is not None and kind != TEXT:
            if self.decimal not in (None, decimal):
                self.kind = TEXT
                return
            self.decimal = decimal
        self.kind = _widen(self.kind, kind)

    def fits(self, value: str) -> bool:
        """Does a (non-null) value fit the column as it is, without widening it?"""
        if self.kind in (None, INT, NUMERIC, TEXT):
            # Numbers go through `see`, which tracks the grouped forms and keeps `007` a
            # code: parsing would take it for 7, so that a column of decimals and codes
            # would be numeric or text depending on which value came first.
            return False
        try:
            PARSERS[self.kind](value, self.decimal)
        except ParseError:
            return False
        return True


class Inference:
    """Types for every column of a file, fed batches of rows (lists of strings)."""

    def __init__(self, width: int) -> None:
        self.columns = [Column() for _ in range(width)]

    def widen_to(self, width: int) -> None:
        """Add columns (a JSON-lines key first seen late: null in the rows before)."""
        self.columns.extend(Column() for _ in range(width - len(self.columns)))

    def feed(self, rows: Sequence[Sequence[str | None]]) -> None:
        """Take a batch of rows, each exactly as wide as the file."""
        if rows:
            self.feed_columns(lambda index: map(itemgetter(index), rows))

    def feed_columns(self, values: Callable[[int], Iterable[str | None]]) -> None:
        """Take a batch given as `values(index)`, the values of column `index`."""
        for index, column in enumerate(self.columns):
            if column.kind == TEXT:
                continue  # most columns of most files, after the first rows
            # The column's distinct non-empty values, gathered in C.
            if present := set(filter(None, values(index))):
                self.learn(column, present)
            # else nothing to learn (and how the rows are batched must not matter)

    def learn(self, column: Column, present: set[str]) -> None:
        """Take the distinct non-empty values of a column in one batch."""
        if (
            column.canonical
            and column.kind in (INT, NUMERIC)
            and all(map(_CANONICAL[column.kind], present))
        ):
            return  # plain numbers in a column of plain numbers: nothing to learn
        quick = _QUICK.get((column.kind, column.decimal))
        if quick is not None and all(map(quick, present)):
            column.canonical = False
            return
        # Dates, booleans and the like repeat: each distinct value is parsed once.
        present -= column.known
        for value in present:
            if is_null(value) or column.fits(value):
                continue
            column.see(value)
            if column.kind == TEXT:
                break
        canonical = _CANONICAL.get(column.kind)  # type: ignore[arg-type]
        if column.canonical and (canonical is None or not all(map(canonical, present))):
            column.canonical = False
        if column.dmy_dates and not all(map(_COPY_DATE, present)):
            column.dmy_dates = False
        if column.kind in _REMEMBERED:
            if len(column.known) > MAX_KNOWN:
                column.known.clear()
            column.known |= present

    def fields(self) -> list[tuple[str, str | None]]:
        """Each column's type and decimal separator (POINT, COMMA or None)."""
        return [(c.final_kind, c.final_decimal) for c in self.columns]

    def canonical(self) -> list[bool]:
        """Which columns hold only values the database reads as they are (text columns
        always do: only their empty cells matter, and the database makes those NULL)."""
        return [
            c.final_kind == TEXT or (c.canonical and c.final_kind == (c.kind or TEXT))
            for c in self.columns
        ]

    def copyable(self) -> list[bool]:
        """Which columns PostgreSQL's COPY reads straight from the file: the canonical ones
        and the dates written day first, under DateStyle 'ISO, DMY'."""
        return [
            canonical or (c.final_kind == c.kind == DATE and c.dmy_dates)
            for c, canonical in zip(self.columns, self.canonical(), strict=True)
        ]


def describe(kind: str) -> str:
    return str(TYPE_NAMES.get(kind, kind))
