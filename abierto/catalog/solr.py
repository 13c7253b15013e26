"""The subset of Solr's query syntax that CKAN clients and harvesters send, as a Django Q.

Accepted: `field:value`, `field:"quoted value"`, `field:(a OR b)`, `*:*`, `AND`/`&&`,
`OR`/`||`, `NOT`/`!`, `+`/`-` prefixes, parentheses, ranges `[a TO b]` / `{a TO b}` (or mixed)
with `*`, ISO 8601 dates and `NOW` date math (`NOW-1DAY`, `NOW/DAY+1MONTH`), a trailing `*`
for prefixes, and bare words (full-text, like Solr's default field `text`).

Precedence, chosen so that what harvesters write means what they intend: clauses side by side
are ANDed and bind loosest; explicit `OR` binds tighter than that, and `AND` tighter still.
So ckanext-harvest's `organization:a OR organization:b metadata_modified:[X TO *]` is
`(a OR b) AND modified since X`. (Solr's own Lucene parser would make the OR'd clauses
optional there; nobody relies on that.)
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from abierto.catalog.models import Dataset, Resource


class SearchQueryError(ValueError):
    """A malformed `q`, `fq` or `sort`: the message says what and where."""


# Full-text filter for bare words and the text fields: (value, column or None) -> Q.
TextFilter = Callable[[str, "str | None"], Q]

TEXT_FIELDS = {"text": None, "title": "title", "notes": "body", "res_name": "body"}
DATE_FIELDS = {"metadata_modified": "metadata_modified", "metadata_created": "created_at"}
# Solr field -> Dataset lookup for single-valued fields.
DIRECT_FIELDS = {
    "organization": "publisher__name",
    "owner_org": "publisher__uuid",
    "license_id": "licence__key",
    "name": "name",
    "id": "uuid",
    "identifier": "identifier",
    "jurisdiction": "publisher__jurisdiction__inegi_code",
    "state": "state",
}
UUID_FIELDS = {"id", "owner_org"}
# Solr field -> (rows linking a dataset to a value, the lookup of the value in them).
LINKED_FIELDS: dict[str, tuple[Callable[[], QuerySet], str]] = {
    "tags": (lambda: Dataset.tags.through.objects.all(), "tag__name"),
    "groups": (lambda: Dataset.themes.through.objects.all(), "theme__name"),
    "res_format": (lambda: Resource.objects.active(), "format__iexact"),
}
SPECIAL_FIELDS = {"type", "dataset_type", "capacity"}
FIELDS = frozenset(
    set(TEXT_FIELDS) | set(DATE_FIELDS) | set(DIRECT_FIELDS) | set(LINKED_FIELDS) | SPECIAL_FIELDS
)

_UNITS = {
    "YEAR": "years",
    "MONTH": "months",
    "DAY": "days",
    "DATE": "days",
    "HOUR": "hours",
    "MINUTE": "minutes",
    "SECOND": "seconds",
    "MILLI": "milliseconds",
    "MILLISECOND": "milliseconds",
}
_DATE_MATH = re.compile(r"([+-]\d+|/)([A-Z]+?)S?(?=[-+/]|$)")


@dataclass
class _Cursor:
    text: str
    pos: int = 0

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_spaces()
        return self.pos >= len(self.text)

    def error(self, message: str) -> SearchQueryError:
        return SearchQueryError(
            _("%(message)s (posición %(pos)d de «%(text)s»)")
            % {"message": message, "pos": self.pos + 1, "text": self.text}
        )


def parse(text: str, *, text_filter: TextFilter) -> Q:
    """The Q selecting the datasets that the Solr query `text` matches.

    Raises SearchQueryError naming the problem and its position.
    """
    cursor = _Cursor(text)
    if cursor.at_end():
        return Q()
    parser = _Parser(cursor, text_filter)
    q = parser.sequence(default_field="text", closing=None)
    if not cursor.at_end():
        raise cursor.error(_("Sobra «%s»") % cursor.text[cursor.pos :])
    return q


def exact_q(field: str, value: str) -> Q:
    """The Q for `field` having exactly `value` (a facet selection): no syntax, no wildcards."""
    if field not in FIELDS:
        raise SearchQueryError(_("Campo desconocido «%s»") % field)
    return _field_q(field, value, _no_text, cursor=_Cursor(f"{field}:{value}"))


def _no_text(value: str, column: str | None) -> Q:
    raise SearchQueryError(_("Las selecciones exactas no admiten búsqueda de texto"))


def has_field_clause(text: str) -> bool:
    """Whether a `q` holds Solr syntax (field:value, ranges, `*:*`) rather than plain words."""
    if "*:*" in text:
        return True
    # Only known fields count: "salud: camas" typed in a search box is still plain words.
    return any(
        match.group(1) in FIELDS for match in re.finditer(r"(?<![\\\w])([A-Za-z_]+):(?!//)", text)
    )


class _Parser:
    def __init__(self, cursor: _Cursor, text_filter: TextFilter) -> None:
        self.c = cursor
        self.text_filter = text_filter

    # sequence := or_expr+          (implicit AND, loosest)
    def sequence(self, *, default_field: str, closing: str | None) -> Q:
        parts: list[Q] = []
        while True:
            self.c.skip_spaces()
            if self.c.at_end() or (closing and self.c.peek() == closing):
                break
            parts.append(self.or_expr(default_field))
        if not parts:
            raise self.c.error(_("Falta una condición"))
        return _and(parts)

    # or_expr := and_expr ((OR | ||) and_expr)*
    def or_expr(self, default_field: str) -> Q:
        parts = [self.and_expr(default_field)]
        while self._keyword("OR", "||"):
            parts.append(self.and_expr(default_field))
        if len(parts) == 1:
            return parts[0]
        q = parts[0]
        for part in parts[1:]:
            q |= part
        return q

    # and_expr := unary ((AND | &&) unary)*
    def and_expr(self, default_field: str) -> Q:
        parts = [self.unary(default_field)]
        while self._keyword("AND", "&&"):
            parts.append(self.unary(default_field))
        return _and(parts)

    # unary := (NOT | ! | - | +) unary | primary
    def unary(self, default_field: str) -> Q:
        self.c.skip_spaces()
        if self._keyword("NOT") or self._prefix("!") or self._prefix("-"):
            return ~self.unary(default_field)
        if self._prefix("+"):
            return self.unary(default_field)
        return self.primary(default_field)

    def primary(self, default_field: str) -> Q:
        c = self.c
        c.skip_spaces()
        if c.at_end():
            raise c.error(_("Falta una condición"))
        if c.peek() == "(":
            c.pos += 1
            q = self.sequence(default_field=default_field, closing=")")
            self._expect(")")
            return q
        if c.peek() == ")":
            raise c.error(_("Paréntesis «)» sin abrir"))
        operator = re.compile(r"(AND|OR|&&|\|\|)(?=\s|$)").match(c.text, c.pos)
        if operator:
            raise c.error(_("Operador «%s» sin condición") % operator.group(1))
        if c.peek(3) == "*:*":
            c.pos += 3
            return Q()
        match = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*):").match(c.text, c.pos)
        if match:
            field = match.group(1)
            if field not in FIELDS:
                raise c.error(
                    _("Campo desconocido «%(field)s»; se admiten: %(fields)s")
                    % {"field": field, "fields": ", ".join(sorted(FIELDS))}
                )
            c.pos = match.end()
            return self.value(field)
        return self.value(default_field)

    def value(self, field: str) -> Q:
        c = self.c
        start = c.peek()
        if start == "(":
            c.pos += 1
            q = self.sequence(default_field=field, closing=")")
            self._expect(")")
            return q
        if start == '"':
            return _field_q(field, self._quoted(), self.text_filter, cursor=c)
        if start in ("[", "{"):
            return self._range(field)
        raw = self._term()
        if not raw:
            raise c.error(_("Falta el valor del campo «%s»") % field)
        return _field_q(field, raw, self.text_filter, cursor=c, wildcard=True)

    def _quoted(self) -> str:
        c = self.c
        c.pos += 1
        out = []
        while c.pos < len(c.text):
            ch = c.text[c.pos]
            if ch == "\\" and c.pos + 1 < len(c.text):
                out.append(c.text[c.pos + 1])
                c.pos += 2
                continue
            if ch == '"':
                c.pos += 1
                return "".join(out)
            out.append(ch)
            c.pos += 1
        raise c.error(_("Comillas sin cerrar"))

    def _term(self) -> str:
        c = self.c
        out = []
        while c.pos < len(c.text):
            ch = c.text[c.pos]
            if ch == "\\" and c.pos + 1 < len(c.text):
                out.append("\\" + c.text[c.pos + 1])
                c.pos += 2
                continue
            if ch.isspace() or ch in "()":
                break
            out.append(ch)
            c.pos += 1
        return "".join(out)

    def _range(self, field: str) -> Q:
        c = self.c
        low_inclusive = c.peek() == "["
        c.pos += 1
        match = re.compile(r"\s*(\S+?)\s+TO\s+(\S+?)\s*([\]}])").match(c.text, c.pos)
        if not match:
            raise c.error(_("Rango mal formado; se espera [desde TO hasta] o {desde TO hasta}"))
        c.pos = match.end()
        low, high, closing = match.group(1), match.group(2), match.group(3)
        return _range_q(
            field,
            _unescape(low),
            _unescape(high),
            low_inclusive,
            closing == "]",
            cursor=c,
        )

    def _keyword(self, *words: str) -> bool:
        c = self.c
        c.skip_spaces()
        for word in words:
            end = c.pos + len(word)
            if c.text[c.pos : end] == word and (
                word in ("||", "&&")
                or end >= len(c.text)
                or c.text[end].isspace()
                or c.text[end] == "("
            ):
                c.pos = end
                return True
        return False

    def _prefix(self, symbol: str) -> bool:
        c = self.c
        if c.peek() == symbol and c.pos + 1 < len(c.text) and not c.text[c.pos + 1].isspace():
            c.pos += 1
            return True
        return False

    def _expect(self, symbol: str) -> None:
        self.c.skip_spaces()
        if self.c.peek() != symbol:
            raise self.c.error(_("Falta «%s»") % symbol)
        self.c.pos += 1


def _and(parts: list[Q]) -> Q:
    q = parts[0]
    for part in parts[1:]:
        q &= part
    return q


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw)


def _field_q(
    field: str, raw: str, text_filter: TextFilter, *, cursor: _Cursor, wildcard: bool = False
) -> Q:
    """The Q for `field:value`; with `wildcard`, a lone `*` or a trailing `*` is a pattern."""
    prefix = None
    if wildcard:
        if raw == "*":
            return _present_q(field)
        if raw.endswith("*") and not raw.endswith("\\*"):
            prefix = _unescape(raw[:-1])
        raw = _unescape(raw)
    if field in TEXT_FIELDS:
        return text_filter(raw, TEXT_FIELDS[field])
    if field in DATE_FIELDS:
        moment = _moment(raw, cursor)
        return Q(**{DATE_FIELDS[field]: moment})
    if field in ("type", "dataset_type"):
        return Q() if raw == "dataset" else Q(pk__in=[])
    if field == "capacity":
        if raw not in ("public", "private"):
            raise cursor.error(_("«capacity» admite «public» o «private», no «%s»") % raw)
        return Q(private=raw == "private")
    if field in LINKED_FIELDS:
        rows, lookup = LINKED_FIELDS[field]
        if prefix is not None:
            lookup = lookup.replace("__iexact", "") + "__startswith"
            value = prefix
        else:
            value = raw
        return Q(pk__in=rows().filter(**{lookup: value}).values("dataset_id"))
    lookup = DIRECT_FIELDS[field]
    if field in UUID_FIELDS:
        if prefix is not None:
            raise cursor.error(_("El campo «%s» no admite comodines") % field)
        try:
            return Q(**{lookup: uuid.UUID(raw)})
        except ValueError:
            return Q(pk__in=[])  # not an id: it matches nothing, as in CKAN
    if prefix is not None:
        return Q(**{f"{lookup}__startswith": prefix})
    return Q(**{lookup: raw})


def _present_q(field: str) -> Q:
    """`field:*`: the datasets that have some value for the field."""
    if field in LINKED_FIELDS:
        rows, _lookup = LINKED_FIELDS[field]
        return Q(pk__in=rows().values("dataset_id"))
    if field in ("capacity", "type", "dataset_type") or field in DATE_FIELDS:
        return Q()
    if field in TEXT_FIELDS:
        return Q()
    return ~Q(**{DIRECT_FIELDS[field]: ""}) if field not in UUID_FIELDS else Q()


def _range_q(
    field: str,
    low: str,
    high: str,
    low_inclusive: bool,
    high_inclusive: bool,
    *,
    cursor: _Cursor,
) -> Q:
    if field in TEXT_FIELDS or field in SPECIAL_FIELDS:
        raise cursor.error(_("El campo «%s» no admite rangos") % field)
    if field in DATE_FIELDS:
        lookup = DATE_FIELDS[field]
        low_value = None if low == "*" else _moment(low, cursor)
        high_value = None if high == "*" else _moment(high, cursor)
    elif field in LINKED_FIELDS:
        rows, lookup = LINKED_FIELDS[field]
        lookup = lookup.replace("__iexact", "")
        bounds = Q()
        if low != "*":
            bounds &= Q(**{f"{lookup}__{'gte' if low_inclusive else 'gt'}": low})
        if high != "*":
            bounds &= Q(**{f"{lookup}__{'lte' if high_inclusive else 'lt'}": high})
        return Q(pk__in=rows().filter(bounds).values("dataset_id"))
    else:
        lookup = DIRECT_FIELDS[field]
        low_value = None if low == "*" else low
        high_value = None if high == "*" else high
        if field in UUID_FIELDS:
            try:
                low_value = low_value and uuid.UUID(low_value)
                high_value = high_value and uuid.UUID(high_value)
            except ValueError:
                raise cursor.error(_("El rango de «%s» no es un identificador") % field) from None
    q = Q()
    if low_value is not None:
        q &= Q(**{f"{lookup}__{'gte' if low_inclusive else 'gt'}": low_value})
    if high_value is not None:
        q &= Q(**{f"{lookup}__{'lte' if high_inclusive else 'lt'}": high_value})
    return q


def _moment(raw: str, cursor: _Cursor) -> dt.datetime:
    """A Solr date: ISO 8601 (Z, offset or naive = UTC, as Solr) or NOW with date math."""
    text = raw.strip().upper()
    if text.startswith("NOW"):
        return _date_math(timezone.now(), text[3:], cursor, raw)
    for candidate in (raw.strip(), raw.strip().replace("Z", "+00:00")):
        try:
            value = dt.datetime.fromisoformat(candidate)
        except ValueError:
            continue
        if timezone.is_naive(value):
            value = value.replace(tzinfo=dt.UTC)
        return value
    raise cursor.error(
        _("Fecha no válida «%s»; use ISO 8601 (2024-01-31T00:00:00Z) o NOW-1DAY") % raw
    )


def _date_math(moment: dt.datetime, expression: str, cursor: _Cursor, raw: str) -> dt.datetime:
    moment = moment.astimezone(dt.UTC)
    pos = 0
    for match in _DATE_MATH.finditer(expression):
        if match.start() != pos:
            break
        operator, unit = match.group(1), match.group(2)
        if unit not in _UNITS:
            raise cursor.error(_("Unidad de tiempo desconocida «%s»") % unit)
        if operator == "/":
            moment = _round_down(moment, unit)
        else:
            moment = _shift(moment, _UNITS[unit], int(operator))
        pos = match.end()
    if pos != len(expression):
        raise cursor.error(_("Expresión de fecha no válida «%s»") % raw)
    return moment


def _round_down(moment: dt.datetime, unit: str) -> dt.datetime:
    if unit == "YEAR":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "MONTH":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit in ("DAY", "DATE"):
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "HOUR":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "MINUTE":
        return moment.replace(second=0, microsecond=0)
    if unit == "SECOND":
        return moment.replace(microsecond=0)
    return moment


def _shift(moment: dt.datetime, unit: str, amount: int) -> dt.datetime:
    if unit in ("years", "months"):
        months = moment.month - 1 + amount * (12 if unit == "years" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        # Solr clamps the day to the month's length (Jan 31 + 1 MONTH = Feb 28/29).
        for day in range(moment.day, 27, -1):
            try:
                return moment.replace(year=year, month=month, day=day)
            except ValueError:
                continue
        return moment.replace(year=year, month=month, day=min(moment.day, 28))
    return moment + dt.timedelta(**{unit: amount})
