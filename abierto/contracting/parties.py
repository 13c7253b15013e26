"""Who took part in a process, read from its compiled release: the rows of `RecordParty`.

Supplier and buyer pages, the search's buyer and supplier filters and the facets read this
index instead of every compiled release. The same organisation must get the same key in every
process, so the key is its identifier (`scheme-id`) when the data gives one and otherwise its
name normalised; both go through :func:`party_key`, which the page URLs use too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from abierto.contracting.models import Record, RecordParty, Stage
from abierto.core.rows import insert

Role = RecordParty.Role
# A path segment that needs no escaping and that no client normalises away ("." / "..").
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Awards that did not (or no longer) give anything to their suppliers.
_VOID_AWARDS = {"cancelled", "unsuccessful"}


def plain_name(name: str) -> str:
    """A name lowercased, without accents, with its spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return " ".join(text.split())


def _url_safe(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.")[:255]


def party_key(*, scheme: str = "", identifier: str = "", name: str = "") -> str:
    """The page key of a party: `scheme-id` when it has an identifier, else its plain name.

    Empty when the party has neither (such a party gets no page).
    """
    identifier = str(identifier or "").strip()
    if identifier:
        scheme = str(scheme or "").strip()
        key = _url_safe(f"{scheme}-{identifier}" if scheme else identifier)
        if key:
            return key
    return re.sub(r"[^a-z0-9]+", "-", plain_name(str(name or ""))).strip("-")[:255]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def money(value: Any) -> Decimal | None:
    """An OCDS amount as money (to the cent), or None when it is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        money = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return money if abs(money) < Decimal("1e17") else None


def _has_data(value: Any) -> bool:
    """True when a stage's object holds more than its own id."""
    if isinstance(value, dict):
        return any(_has_data(v) for k, v in value.items() if k != "id")
    if isinstance(value, list):
        return any(_has_data(item) for item in value)
    return value not in (None, "")


def stage_of(compiled: dict[str, Any]) -> str:
    """The furthest stage that has data: implementation > contract > award > tender > planning."""
    contracts = [_dict(c) for c in _list(compiled.get("contracts"))]
    if any(_has_data(c.get("implementation")) for c in contracts):
        return Stage.IMPLEMENTATION
    if any(_has_data(c) for c in contracts):
        return Stage.CONTRACT
    if _has_data(compiled.get("awards")):
        return Stage.AWARD
    if _has_data(compiled.get("tender")):
        return Stage.TENDER
    if _has_data(compiled.get("planning")):
        return Stage.PLANNING
    return ""


@dataclass(slots=True)
class PartyRow:
    """The values of one `RecordParty` row: a model object per row cost a tenth of a
    compilation, and these are only ever written as plain rows."""

    record_id: int
    role: str
    key: str
    name: str
    identifier: str
    amount: Decimal | None = None
    currency: str = ""


class _Parties:
    """The rows of one record, one per (role, key), in the order they were found."""

    def __init__(self, record: Record, compiled: dict[str, Any]) -> None:
        self.record = record
        self.by_id = {
            str(p.get("id")): p for p in map(_dict, _list(compiled.get("parties"))) if p.get("id")
        }
        self.rows: dict[tuple[str, str], PartyRow] = {}

    def add(self, role: str, reference: Any) -> str:
        """Index a party (a full party or an `{id, name}` reference); its key, or ""."""
        reference = _dict(reference)
        party = self.by_id.get(str(reference.get("id")), {}) if reference.get("id") else {}
        identifier = _dict(party.get("identifier")) or _dict(reference.get("identifier"))
        name = str(reference.get("name") or party.get("name") or identifier.get("legalName") or "")
        key = party_key(
            scheme=identifier.get("scheme") or "", identifier=identifier.get("id") or "", name=name
        )
        if not key:
            return ""
        if (role, key) not in self.rows:
            ident = str(identifier.get("id") or "")
            if ident and identifier.get("scheme"):
                ident = f"{identifier['scheme']}-{ident}"
            self.rows[role, key] = PartyRow(
                record_id=self.record.pk,
                role=role,
                key=key,
                name=(name or key)[:500],
                identifier=ident[:255],
            )
        return key


def party_rows(record: Record, compiled: dict[str, Any]) -> list[PartyRow]:
    """The `RecordParty` rows of one compiled release (not saved)."""
    parties = _Parties(record, compiled)
    tender = _dict(compiled.get("tender"))
    if compiled.get("buyer"):
        parties.add(Role.BUYER, compiled["buyer"])
    if tender.get("procuringEntity"):
        parties.add(Role.PROCURING_ENTITY, tender["procuringEntity"])
    for tenderer in _list(tender.get("tenderers")):
        parties.add(Role.TENDERER, tenderer)
    totals: dict[str, dict[str, Decimal]] = {}
    for award in map(_dict, _list(compiled.get("awards"))):
        found = (parties.add(Role.SUPPLIER, s) for s in _list(award.get("suppliers")))
        suppliers = [key for key in found if key]
        value = _dict(award.get("value"))
        amount = money(value.get("amount"))
        if not suppliers or amount is None or award.get("status") in _VOID_AWARDS:
            continue
        currency = str(value.get("currency") or "")[:3]
        # A consortium's award is split evenly, so suppliers' totals add up to the award.
        share = (amount / len(suppliers)).quantize(Decimal("0.01"))
        for key in suppliers:
            bucket = totals.setdefault(key, {})
            bucket[currency] = bucket.get(currency, Decimal(0)) + share
    role_of = {
        "buyer": Role.BUYER,
        "procuringEntity": Role.PROCURING_ENTITY,
        "supplier": Role.SUPPLIER,
        "tenderer": Role.TENDERER,
    }
    for party in parties.by_id.values():
        for role in _list(party.get("roles")):
            if role in role_of:
                parties.add(role_of[role], party)
    for (role, key), row in parties.rows.items():
        bucket = totals.get(key) if role == Role.SUPPLIER else None
        # Never one sum over two currencies: a supplier paid in both keeps no amount here.
        if bucket and len(bucket) == 1:
            row.currency, row.amount = next(iter(bucket.items()))
    return list(parties.rows.values())


def rebuild(records: list[Record]) -> dict[int, list[PartyRow]]:
    """Replace the party rows of these records: one delete and one insert, whatever their number.

    Returns the new rows by record id (written as plain values, core/rows.py).
    """
    RecordParty.objects.filter(record__in=[r.pk for r in records]).delete()
    by_record = {record.pk: party_rows(record, record.compiled_release) for record in records}
    insert(
        RecordParty,
        ("record", "role", "key", "name", "identifier", "amount", "currency"),
        (
            (p.record_id, p.role, p.key, p.name, p.identifier, p.amount, p.currency)
            for rows in by_record.values()
            for p in rows
        ),
    )
    return by_record
