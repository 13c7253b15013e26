"""Red flags: risk signals of the OCP "Red flags for integrity" guide over compiled releases.

Each indicator reads only `Record.compiled_release`. Indicators about one process are pure
functions of its compiled release; indicators about a buyer or a market (R013, R019, R040,
R050, R051, R055) first need totals over every record of the publisher, which `Aggregates`
collects in a first pass, so that `refresh` reads the records twice instead of holding them.

A flag is a signal to review, never a finding: the wording of titles and reasons says what
the published data shows and which threshold it crosses.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

COMPETITIVE = ("open", "selective")
NON_COMPETITIVE = ("limited", "direct")
# Award statuses that mean the award stands; "pending", "cancelled" and "unsuccessful" do not.
STANDING_AWARD = ("", "active")


@dataclass(frozen=True)
class Indicator:
    """One red flag: what it says, what it reads, its thresholds and how to word its reason."""

    code: str
    title: str
    description: str
    fields: tuple[str, ...]
    # Setting name → default; overridden by settings.CONTRACTING_RED_FLAGS[name].
    defaults: dict[str, Any] = field(default_factory=dict)
    # %-format over the flag's details, shown as "why it was raised".
    reason: str = ""
    computable: bool = True
    # When not computable: why the published data does not allow it.
    why_not: str = ""


def _indicator(*args: Any, **kwargs: Any) -> tuple[str, Indicator]:
    item = Indicator(*args, **kwargs)
    return item.code, item


NOT_COMPUTABLE = _("no calculable con los datos publicados")
NO_BIDS = _(
    "Requiere las ofertas de cada licitante (extensión bids de OCDS), que los datos publicados "
    "no incluyen."
)

DEFINITIONS: dict[str, Indicator] = dict(
    [
        _indicator(
            "R003",
            _("Periodo de presentación de propuestas corto"),
            _(
                "El plazo entre la apertura y el cierre del periodo para presentar propuestas es "
                "menor que el mínimo configurado para el método de contratación. Un plazo corto "
                "puede limitar la competencia; conviene revisar si estaba justificado."
            ),
            (
                "tender.tenderPeriod.startDate",
                "tender.tenderPeriod.endDate",
                "tender.procurementMethod",
            ),
            {"R003_MIN_DAYS": {"open": 15, "selective": 10}},
            _("periodo de %(days)s días, umbral %(threshold)s días (método %(method)s)"),
        ),
        _indicator(
            "R010",
            _("Procedimiento no competitivo sin justificación publicada"),
            _(
                "El proceso se adjudicó por un método no competitivo (adjudicación directa o "
                "invitación restringida) y no publica la justificación del método. Conviene "
                "revisar el fundamento legal de la excepción."
            ),
            ("tender.procurementMethod", "tender.procurementMethodRationale"),
            {},
            _("método %(method)s sin justificación publicada"),
        ),
        _indicator(
            "R013",
            _("Uso frecuente de métodos no competitivos"),
            _(
                "La proporción de procesos del comprador hechos por adjudicación directa o "
                "invitación restringida supera el umbral. Se señala cada proceso no competitivo "
                "de ese comprador."
            ),
            ("buyer", "tender.procurementMethod"),
            {"R013_MIN_SHARE": 0.5, "R013_MIN_PROCESSES": 5},
            _(
                "%(noncompetitive)s de %(processes)s procesos del comprador (%(percent)s %%) sin "
                "competencia, umbral %(threshold)s %%"
            ),
        ),
        _indicator(
            "R018",
            _("Un solo licitante en un procedimiento competitivo"),
            _(
                "Un proceso abierto o selectivo recibió una sola propuesta. La falta de "
                "competencia puede deberse a requisitos restrictivos o poca difusión."
            ),
            ("tender.procurementMethod", "tender.numberOfTenderers", "tender.tenderers"),
            {},
            _("%(tenderers)s licitante en un proceso con método %(method)s"),
        ),
        _indicator(
            "R019",
            _("Pocos licitantes para el tipo de bien y el comprador"),
            _(
                "El número de licitantes es bajo comparado con el promedio de los procesos "
                "competitivos del mismo comprador y la misma clasificación de bienes o servicios."
            ),
            (
                "buyer",
                "tender.items.classification",
                "tender.mainProcurementCategory",
                "tender.numberOfTenderers",
                "tender.tenderers",
            ),
            {"R019_MAX_RATIO": 0.5, "R019_MIN_PROCESSES": 3},
            _(
                "%(tenderers)s licitantes frente a un promedio de %(average)s en %(processes)s "
                "procesos comparables (clasificación %(category)s), umbral %(threshold)s %% del "
                "promedio"
            ),
        ),
        _indicator(
            "R040",
            _("Proveedor con una parte alta de los contratos del comprador"),
            _(
                "Un mismo proveedor ganó una proporción alta de los procesos adjudicados por el "
                "comprador."
            ),
            ("buyer", "awards.suppliers", "awards.status"),
            {"R040_MIN_SHARE": 0.5, "R040_MIN_PROCESSES": 5},
            _(
                "%(supplier)s ganó %(won)s de %(processes)s procesos del comprador "
                "(%(percent)s %%), umbral %(threshold)s %%"
            ),
        ),
        _indicator(
            "R049",
            _("Adjudicación directa en el límite o justo debajo del umbral"),
            _(
                "Una adjudicación directa tiene un monto igual o apenas inferior al máximo "
                "permitido para adjudicar sin licitación, lo que puede indicar un monto ajustado "
                "para evitar el procedimiento competitivo. El umbral debe configurarse con el "
                "monto legal vigente."
            ),
            ("tender.procurementMethod", "awards.value"),
            {"DIRECT_AWARD_THRESHOLDS": {"MXN": "1000000"}, "R049_MARGIN": 0.1},
            _(
                "monto %(amount)s %(currency)s, umbral %(threshold)s %(currency)s "
                "(margen %(margin)s %%)"
            ),
        ),
        _indicator(
            "R050",
            _("Proveedor con una participación de mercado alta"),
            _(
                "La parte del monto adjudicado en un mercado (categoría de contratación y "
                "moneda) que corresponde a un mismo proveedor supera el umbral."
            ),
            ("tender.mainProcurementCategory", "awards.suppliers", "awards.value"),
            {"R050_MIN_SHARE": 0.3, "R050_MIN_PROCESSES": 5},
            _(
                "%(supplier)s concentra %(percent)s %% del monto del mercado de %(market)s en "
                "%(currency)s, umbral %(threshold)s %%"
            ),
        ),
        _indicator(
            "R051",
            _("Alta concentración de proveedores del comprador"),
            _(
                "El índice Herfindahl-Hirschman (suma de los cuadrados de las participaciones de "
                "cada proveedor en el monto adjudicado por el comprador, por moneda) supera el "
                "umbral: pocos proveedores concentran las compras."
            ),
            ("buyer", "awards.suppliers", "awards.value"),
            {"R051_MIN_HHI": 2500, "R051_MIN_PROCESSES": 5},
            _("índice de concentración %(hhi)s en %(currency)s, umbral %(threshold)s"),
        ),
        _indicator(
            "R054",
            _("Adjudicación directa cuyo contrato supera el umbral"),
            _(
                "El proceso se adjudicó directamente por un monto dentro del umbral, pero el "
                "contrato (con sus modificaciones) lo supera."
            ),
            ("tender.procurementMethod", "awards.value", "contracts.value", "contracts.amendments"),
            {"DIRECT_AWARD_THRESHOLDS": {"MXN": "1000000"}},
            _(
                "adjudicado por %(award)s %(currency)s, contrato de %(contract)s %(currency)s, "
                "umbral %(threshold)s %(currency)s"
            ),
        ),
        _indicator(
            "R055",
            _("Varias adjudicaciones directas justo debajo del umbral al mismo proveedor"),
            _(
                "El comprador hizo varias adjudicaciones directas al mismo proveedor con montos "
                "en el límite o justo debajo del umbral; puede tratarse de una compra dividida."
            ),
            ("buyer", "tender.procurementMethod", "awards.suppliers", "awards.value"),
            {
                "DIRECT_AWARD_THRESHOLDS": {"MXN": "1000000"},
                "R049_MARGIN": 0.1,
                "R055_MIN_AWARDS": 3,
            },
            _(
                "%(awards)s adjudicaciones directas cerca del umbral a %(supplier)s, umbral "
                "%(threshold)s adjudicaciones"
            ),
        ),
        _indicator(
            "R059",
            _("Monto del contrato lejano al monto adjudicado"),
            _(
                "El monto del contrato difiere del monto de su adjudicación (misma moneda) en "
                "una proporción mayor al umbral."
            ),
            ("awards.value", "contracts.awardID", "contracts.value"),
            {"R059_MAX_DIFFERENCE": 0.2},
            _(
                "adjudicado %(award)s %(currency)s, contrato %(contract)s %(currency)s "
                "(diferencia %(percent)s %%), umbral %(threshold)s %%"
            ),
        ),
        _indicator(
            "R060",
            _("Mucho tiempo entre la adjudicación y la firma del contrato"),
            _(
                "Entre la fecha de adjudicación y la firma del contrato pasaron más días que el "
                "umbral."
            ),
            ("awards.date", "contracts.awardID", "contracts.dateSigned"),
            {"R060_MAX_DAYS": 60},
            _("firma %(days)s días después de la adjudicación, umbral %(threshold)s días"),
        ),
        _indicator(
            "R061",
            _("Periodo de evaluación muy corto"),
            _(
                "Entre el cierre de la presentación de propuestas y la adjudicación pasaron "
                "menos días que el mínimo configurado: la evaluación pudo no ser completa."
            ),
            ("tender.tenderPeriod.endDate", "awards.date"),
            {"R061_MIN_DAYS": 2},
            _(
                "adjudicación %(days)s días después del cierre de propuestas, "
                "umbral %(threshold)s días"
            ),
        ),
        _indicator(
            "R062",
            _("Periodo de evaluación muy largo"),
            _(
                "Entre el cierre de la presentación de propuestas y la adjudicación pasaron más "
                "días que el máximo configurado."
            ),
            ("tender.tenderPeriod.endDate", "awards.date"),
            {"R062_MAX_DAYS": 120},
            _(
                "adjudicación %(days)s días después del cierre de propuestas, "
                "umbral %(threshold)s días"
            ),
        ),
        _indicator(
            "R063",
            _("Contrato no publicado"),
            _(
                "Hay una adjudicación vigente de hace más días que el umbral y el proceso no "
                "publica ningún contrato."
            ),
            ("awards.status", "awards.date", "contracts"),
            {"R063_MAX_DAYS": 60},
            _(
                "adjudicación de hace %(days)s días sin contrato publicado, "
                "umbral %(threshold)s días"
            ),
        ),
        _indicator(
            "R064",
            _("Contrato con modificaciones"),
            _("Al menos un contrato del proceso publica modificaciones (amendments)."),
            ("contracts.amendments",),
            {"R064_MIN_AMENDMENTS": 1},
            _("%(amendments)s modificaciones publicadas, umbral %(threshold)s"),
        ),
        _indicator(
            "R068",
            _("Pagos mayores al monto del contrato"),
            _(
                "La suma de las transacciones de la ejecución de un contrato (misma moneda) "
                "supera el monto del contrato."
            ),
            ("contracts.value", "contracts.implementation.transactions.value"),
            {"R068_TOLERANCE": 0.0},
            _(
                "pagos por %(paid)s %(currency)s frente a un contrato de %(contract)s "
                "%(currency)s (tolerancia %(threshold)s %%)"
            ),
        ),
        _indicator(
            "R069",
            _("Modificaciones que aumentan el precio"),
            _(
                "Un contrato con modificaciones tiene un monto mayor que el de su adjudicación "
                "(misma moneda). El registro compilado guarda solo el monto final, así que se "
                "compara con el monto adjudicado."
            ),
            ("awards.value", "contracts.awardID", "contracts.value", "contracts.amendments"),
            {"R069_TOLERANCE": 0.0},
            _(
                "contrato modificado de %(contract)s %(currency)s, adjudicado por %(award)s "
                "%(currency)s (aumento de %(percent)s %%), tolerancia %(threshold)s %%"
            ),
        ),
        _indicator(
            "R011",
            _("Compras posiblemente divididas para no superar el umbral"),
            _(
                "En un mismo mes, el comprador hizo varias adjudicaciones directas al mismo "
                "proveedor, cada una por debajo del umbral de adjudicación directa, que juntas "
                "lo superan."
            ),
            (
                "buyer",
                "tender.procurementMethod",
                "awards.suppliers",
                "awards.value",
                "awards.date",
            ),
            {"DIRECT_AWARD_THRESHOLDS": {"MXN": "1000000"}},
            _(
                "%(awards)s adjudicaciones directas a %(supplier)s en %(month)s suman %(total)s "
                "%(currency)s, umbral %(threshold)s %(currency)s"
            ),
        ),
        _indicator(
            "R052",
            _("Primera compra pequeña y después compras mucho mayores"),
            _(
                "El comprador adjudicó al proveedor un monto muchas veces mayor que el de la "
                "primera adjudicación que le hizo (misma moneda)."
            ),
            ("buyer", "awards.suppliers", "awards.value", "awards.date"),
            {"R052_MIN_FACTOR": 10},
            _(
                "adjudicación de %(amount)s %(currency)s a %(supplier)s, %(factor)s veces la "
                "primera (%(first)s %(currency)s del %(first_date)s), umbral %(threshold)s veces"
            ),
        ),
        _indicator(
            "R012",
            _("Adjudicaciones directas contrarias al programa de compras"),
            _("Compara las adjudicaciones con el programa anual de adquisiciones del comprador."),
            ("planning",),
            computable=False,
            why_not=_(
                "OCDS no publica el programa anual de adquisiciones como lista de compras "
                "planeadas con su método, así que no hay contra qué comparar."
            ),
        ),
        _indicator(
            "R024",
            _("Precio cercano a la propuesta ganadora"),
            _("La segunda propuesta más baja es atípicamente cercana a la ganadora."),
            ("bids.details.value",),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R028",
            _("Propuestas con precios idénticos"),
            _("Licitantes distintos ofrecen el mismo precio."),
            ("bids.details.value",),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R030",
            _("Propuesta tardía ganadora"),
            _("La propuesta ganadora se recibió después del cierre."),
            ("bids.details.date", "tender.tenderPeriod.endDate"),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R035",
            _("Todas las propuestas descalificadas salvo la ganadora"),
            _("Todos los demás licitantes fueron descalificados."),
            ("bids.details.status",),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R036",
            _("Propuesta más baja descalificada"),
            _("Con criterio de solo precio, la propuesta más baja fue descalificada."),
            ("bids.details.status", "bids.details.value", "tender.awardCriteria"),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R038",
            _("Exceso de propuestas descalificadas"),
            _("La proporción de propuestas descalificadas es atípicamente alta."),
            ("bids.details.status",),
            computable=False,
            why_not=NO_BIDS,
        ),
        _indicator(
            "R058",
            _("Propuesta con descuento muy grande"),
            _("La ganadora es atípicamente más baja que la segunda propuesta."),
            ("bids.details.value",),
            computable=False,
            why_not=NO_BIDS,
        ),
    ]
)


def config() -> dict[str, Any]:
    """Thresholds: the indicators' defaults overridden by settings.CONTRACTING_RED_FLAGS."""
    merged: dict[str, Any] = {}
    for indicator in DEFINITIONS.values():
        merged.update(indicator.defaults)
    merged.update(getattr(settings, "CONTRACTING_RED_FLAGS", {}) or {})
    return merged


def reason(code: str, details: dict[str, Any]) -> str:
    """The human wording of why a flag was raised ("periodo de 5 días, umbral 15 días")."""
    indicator = DEFINITIONS.get(code)
    if indicator is None or not indicator.reason:
        return ""
    try:
        return str(indicator.reason) % {k: _shown(k, v) for k, v in (details or {}).items()}
    except (KeyError, TypeError, ValueError):
        # Details stored by an older version of an indicator: show the raw values.
        return ", ".join(f"{k}: {v}" for k, v in sorted((details or {}).items()))


METHODS = {
    "open": _("abierto"),
    "selective": _("selectivo"),
    "limited": _("limitado"),
    "direct": _("directo"),
}


def _shown(key: str, value: Any) -> Any:
    # Details keep the codelist value (stable for the API); people read its label.
    if key == "method" and value in METHODS:
        return METHODS[value]
    if isinstance(value, float):
        return f"{value:g}"
    return value


# Reading compiled releases. Publisher data is often incomplete or wrongly typed: every reader
# returns None (or an empty value) rather than raise, and an indicator that lacks a field is
# simply not raised.


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _date(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value[:10])
            parsed = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _money(value: Any) -> tuple[Decimal, str] | None:
    value = _dict(value)
    amount = value.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        return None
    try:
        decimal = Decimal(str(amount))
    except InvalidOperation:
        return None
    if not decimal.is_finite():
        return None
    return decimal, str(value.get("currency") or "")


@functools.lru_cache(maxsize=4096)
def _normalised(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))


def _amount_text(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}".rstrip("0").rstrip(".")


MARKETS = {"goods": _("bienes"), "works": _("obras"), "services": _("servicios")}


@dataclass
class Award:
    id: str
    date: dt.datetime | None
    value: tuple[Decimal, str] | None
    suppliers: list[tuple[str, str]]


@dataclass
class Contract:
    award_id: str
    value: tuple[Decimal, str] | None
    date_signed: dt.datetime | None
    amendments: int
    paid: dict[str, Decimal]


@dataclass
class Process:
    """The fields of a compiled release the indicators read, parsed once."""

    method: str = ""
    rationale: str = ""
    buyer: tuple[str, str] | None = None
    tenderers: int | None = None
    category: str = ""
    market: str = ""
    tender_start: dt.datetime | None = None
    tender_end: dt.datetime | None = None
    awards: list[Award] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)

    @classmethod
    def read(cls, compiled: dict[str, Any]) -> Process:
        compiled = _dict(compiled)
        parties = {str(p.get("id")): p for p in _dicts(compiled.get("parties")) if "id" in p}
        tender = _dict(compiled.get("tender"))
        period = _dict(tender.get("tenderPeriod"))
        buyer_ref = compiled.get("buyer")
        if not buyer_ref:
            buyer_ref = next(
                (p for p in parties.values() if "buyer" in (p.get("roles") or [])), None
            )
        items = _dicts(tender.get("items"))
        classification = _dict(items[0].get("classification")) if items else {}
        market = str(tender.get("mainProcurementCategory") or "")
        category = str(classification.get("id") or "").strip()
        if category:
            category = f"{classification.get('scheme') or ''}:{category}"
        return cls(
            method=str(tender.get("procurementMethod") or "").strip().lower(),
            rationale=str(tender.get("procurementMethodRationale") or "").strip(),
            buyer=_organisation(buyer_ref, parties),
            tenderers=_tenderers(tender),
            category=category or market,
            market=market,
            tender_start=_date(period.get("startDate")),
            tender_end=_date(period.get("endDate")),
            awards=[
                Award(
                    id=str(a.get("id") or ""),
                    date=_date(a.get("date")),
                    value=_money(a.get("value")),
                    suppliers=[
                        org
                        for org in (_organisation(s, parties) for s in _dicts(a.get("suppliers")))
                        if org
                    ],
                )
                for a in _dicts(compiled.get("awards"))
                if str(a.get("status") or "").lower() in STANDING_AWARD
            ],
            contracts=[_contract(c) for c in _dicts(compiled.get("contracts"))],
        )

    def award_of(self, contract: Contract) -> Award | None:
        for award in self.awards:
            if award.id and award.id == contract.award_id:
                return award
        # Without an awardID a contract belongs to the process's only award.
        if not contract.award_id and len(self.awards) == 1:
            return self.awards[0]
        return None


def _organisation(ref: Any, parties: dict[str, dict[str, Any]]) -> tuple[str, str] | None:
    """(key, name): the identifier when published, else the normalised name."""
    ref = _dict(ref)
    party = parties.get(str(ref.get("id"))) if "id" in ref else None
    party = party or {}
    name = str(ref.get("name") or party.get("name") or "").strip()
    identifier = _dict(party.get("identifier")) or _dict(ref.get("identifier"))
    if identifier.get("scheme") and identifier.get("id"):
        return f"{identifier['scheme']}-{identifier['id']}".strip(), name
    if _normalised(name):
        return f"name:{_normalised(name)}", name
    if ref.get("id") not in (None, ""):
        return f"id:{ref['id']}", name or str(ref["id"])
    return None


def _tenderers(tender: dict[str, Any]) -> int | None:
    number = tender.get("numberOfTenderers")
    if isinstance(number, int | float) and not isinstance(number, bool) and number >= 0:
        return int(number)
    tenderers = _dicts(tender.get("tenderers"))
    return len(tenderers) if tenderers else None


def _contract(data: dict[str, Any]) -> Contract:
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for transaction_ in _dicts(_dict(data.get("implementation")).get("transactions")):
        # OCDS 1.0 named the transaction's value "amount".
        money = _money(transaction_.get("value") or transaction_.get("amount"))
        if money:
            paid[money[1]] += money[0]
    return Contract(
        award_id=str(data.get("awardID") or ""),
        value=_money(data.get("value")),
        date_signed=_date(data.get("dateSigned")),
        amendments=len(_dicts(data.get("amendments"))),
        paid=dict(paid),
    )


def _direct_threshold(config: dict[str, Any], currency: str) -> Decimal | None:
    value = (config.get("DIRECT_AWARD_THRESHOLDS") or {}).get(currency)
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _near_threshold(award: Award, config: dict[str, Any]) -> Decimal | None:
    """The threshold a direct award is at or just below (within R049_MARGIN), if any."""
    if award.value is None:
        return None
    amount, currency = award.value
    threshold = _direct_threshold(config, currency)
    if threshold is None:
        return None
    floor = threshold * (1 - Decimal(str(config["R049_MARGIN"])))
    return threshold if floor <= amount <= threshold else None


class Aggregates:
    """Totals over every process of a publisher, for the buyer and market indicators."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.buyer_processes: dict[str, int] = defaultdict(int)
        self.buyer_noncompetitive: dict[str, int] = defaultdict(int)
        self.tenderer_groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.buyer_awarded: dict[str, int] = defaultdict(int)
        self.buyer_supplier_wins: dict[tuple[str, str], int] = defaultdict(int)
        self.market_processes: dict[tuple[str, str], int] = defaultdict(int)
        self.market_total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        self.market_supplier: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        self.buyer_currency_processes: dict[tuple[str, str], int] = defaultdict(int)
        self.buyer_supplier_amount: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(Decimal)
        )
        self.near_threshold: dict[tuple[str, str], int] = defaultdict(int)
        self.hhi: dict[tuple[str, str], int] = {}
        # (buyer, supplier, currency, "YYYY-MM") → [direct awards below the threshold, sum]
        self.split: dict[tuple[str, str, str, str], list] = defaultdict(lambda: [0, Decimal(0)])
        # (buyer, supplier, currency) → (date, amount) of the first award
        self.first_award: dict[tuple[str, str, str], tuple[dt.datetime, Decimal]] = {}

    def add(self, process: Process) -> None:
        buyer = process.buyer[0] if process.buyer else None
        if buyer and process.method:
            self.buyer_processes[buyer] += 1
            if process.method in NON_COMPETITIVE:
                self.buyer_noncompetitive[buyer] += 1
        if buyer and process.method in COMPETITIVE and process.tenderers is not None:
            group = self.tenderer_groups[(buyer, process.category)]
            group[0] += 1
            group[1] += process.tenderers
        suppliers = {key for award in process.awards for key, _name in award.suppliers}
        if buyer and suppliers:
            self.buyer_awarded[buyer] += 1
            for supplier in suppliers:
                self.buyer_supplier_wins[(buyer, supplier)] += 1
        markets, buyer_currencies = set(), set()
        for award in process.awards:
            if award.value is None or not award.suppliers:
                continue
            amount, currency = award.value
            share = amount / len(award.suppliers)
            markets.add((process.market, currency))
            self.market_total[(process.market, currency)] += amount
            for key, _name in award.suppliers:
                self.market_supplier[(process.market, currency, key)] += share
            if buyer:
                buyer_currencies.add((buyer, currency))
                for key, _name in award.suppliers:
                    self.buyer_supplier_amount[(buyer, currency)][key] += share
                if process.method == "direct" and _near_threshold(award, self.config):
                    for key, _name in award.suppliers:
                        self.near_threshold[(buyer, key)] += 1
            if buyer and award.date is not None:
                for key, _name in award.suppliers:
                    first = self.first_award.get((buyer, key, currency))
                    if first is None or award.date < first[0]:
                        self.first_award[(buyer, key, currency)] = (award.date, amount)
            if buyer and process.method == "direct" and award.date is not None:
                threshold = _direct_threshold(self.config, currency)
                if threshold is not None and amount < threshold:
                    for key, _name in award.suppliers:
                        bucket = self.split[(buyer, key, currency, f"{award.date:%Y-%m}")]
                        bucket[0] += 1
                        bucket[1] += share
        for market in markets:
            self.market_processes[market] += 1
        for pair in buyer_currencies:
            self.buyer_currency_processes[pair] += 1

    def finish(self) -> None:
        """Turn the buyers' supplier amounts into concentration indexes (0–10,000)."""
        for pair, amounts in self.buyer_supplier_amount.items():
            total = sum(amounts.values())
            if total > 0:
                self.hhi[pair] = round(sum(float(a / total * 100) ** 2 for a in amounts.values()))
        self.buyer_supplier_amount.clear()


# The indicators. Each takes the parsed process, the publisher's aggregates, the thresholds
# and today's date, and returns the details that explain the flag, or None.

Details = dict[str, Any] | None


def r003(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    threshold = (cfg["R003_MIN_DAYS"] or {}).get(p.method)
    if threshold is None or p.tender_start is None or p.tender_end is None:
        return None
    days = (p.tender_end - p.tender_start).days
    if 0 <= days < threshold:
        return {"days": days, "threshold": threshold, "method": p.method}
    return None


def r010(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method in NON_COMPETITIVE and not p.rationale:
        return {"method": p.method}
    return None


def r013(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method not in NON_COMPETITIVE or not p.buyer:
        return None
    processes = agg.buyer_processes[p.buyer[0]]
    noncompetitive = agg.buyer_noncompetitive[p.buyer[0]]
    if processes < cfg["R013_MIN_PROCESSES"] or noncompetitive / processes < cfg["R013_MIN_SHARE"]:
        return None
    return {
        "buyer": p.buyer[1],
        "noncompetitive": noncompetitive,
        "processes": processes,
        "percent": _percent(noncompetitive / processes),
        "threshold": _percent(cfg["R013_MIN_SHARE"]),
    }


def r018(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method in COMPETITIVE and p.tenderers == 1:
        return {"tenderers": 1, "method": p.method}
    return None


def r019(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method not in COMPETITIVE or p.tenderers is None or not p.buyer:
        return None
    count, total = agg.tenderer_groups[(p.buyer[0], p.category)]
    if count < cfg["R019_MIN_PROCESSES"]:
        return None
    average = total / count
    if p.tenderers < average * cfg["R019_MAX_RATIO"]:
        return {
            "tenderers": p.tenderers,
            "average": f"{average:.1f}",
            "processes": count,
            "category": p.category or "—",
            "threshold": _percent(cfg["R019_MAX_RATIO"]),
        }
    return None


def r040(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if not p.buyer:
        return None
    processes = agg.buyer_awarded[p.buyer[0]]
    if processes < cfg["R040_MIN_PROCESSES"]:
        return None
    best = None
    for award in p.awards:
        for key, name in award.suppliers:
            won = agg.buyer_supplier_wins[(p.buyer[0], key)]
            if won / processes >= cfg["R040_MIN_SHARE"] and (best is None or won > best[0]):
                best = (won, name)
    if best is None:
        return None
    return {
        "supplier": best[1],
        "won": best[0],
        "processes": processes,
        "percent": _percent(best[0] / processes),
        "threshold": _percent(cfg["R040_MIN_SHARE"]),
    }


def r049(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method != "direct":
        return None
    for award in p.awards:
        threshold = _near_threshold(award, cfg)
        if threshold is not None:
            return {
                "amount": _amount_text(award.value[0]),
                "currency": award.value[1],
                "threshold": _amount_text(threshold),
                "margin": _percent(cfg["R049_MARGIN"]),
            }
    return None


def r050(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    best = None
    for award in p.awards:
        if award.value is None:
            continue
        market = (p.market, award.value[1])
        total = agg.market_total[market]
        if agg.market_processes[market] < cfg["R050_MIN_PROCESSES"] or total <= 0:
            continue
        for key, name in award.suppliers:
            share = float(agg.market_supplier[(*market, key)] / total)
            if share >= cfg["R050_MIN_SHARE"] and (best is None or share > best[0]):
                best = (share, name, market)
    if best is None:
        return None
    share, name, (market, currency) = best
    return {
        "supplier": name,
        "percent": _percent(share),
        "market": str(MARKETS.get(market, market or _("compras sin categoría"))),
        "currency": currency,
        "threshold": _percent(cfg["R050_MIN_SHARE"]),
    }


def r051(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if not p.buyer:
        return None
    for currency in sorted({a.value[1] for a in p.awards if a.value and a.suppliers}):
        pair = (p.buyer[0], currency)
        hhi = agg.hhi.get(pair)
        if (
            hhi is not None
            and agg.buyer_currency_processes[pair] >= cfg["R051_MIN_PROCESSES"]
            and hhi >= cfg["R051_MIN_HHI"]
        ):
            return {"hhi": hhi, "currency": currency, "threshold": cfg["R051_MIN_HHI"]}
    return None


def r054(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method != "direct":
        return None
    for award in p.awards:
        if award.value is None:
            continue
        amount, currency = award.value
        threshold = _direct_threshold(cfg, currency)
        if threshold is None or amount > threshold:
            continue
        contracted = [
            c.value[0]
            for c in p.contracts
            if c.value and c.value[1] == currency and p.award_of(c) is award
        ]
        if contracted and sum(contracted) > threshold:
            return {
                "award": _amount_text(amount),
                "contract": _amount_text(sum(contracted)),
                "currency": currency,
                "threshold": _amount_text(threshold),
            }
    return None


def r055(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method != "direct" or not p.buyer:
        return None
    for award in p.awards:
        if _near_threshold(award, cfg) is None:
            continue
        for key, name in award.suppliers:
            count = agg.near_threshold[(p.buyer[0], key)]
            if count >= cfg["R055_MIN_AWARDS"]:
                return {"awards": count, "supplier": name, "threshold": cfg["R055_MIN_AWARDS"]}
    return None


def _contract_pairs(p: Process) -> Iterator[tuple[Contract, Award, Decimal, Decimal, str]]:
    """Contracts with their award, both valued in the same currency."""
    for contract in p.contracts:
        award = p.award_of(contract)
        if contract.value is None or award is None or award.value is None:
            continue
        if contract.value[1] != award.value[1] or award.value[0] <= 0:
            continue
        yield contract, award, award.value[0], contract.value[0], award.value[1]


def r059(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    best = None
    for _contract, _award, awarded, contracted, currency in _contract_pairs(p):
        difference = float(abs(contracted - awarded) / awarded)
        if difference > cfg["R059_MAX_DIFFERENCE"] and (best is None or difference > best[0]):
            best = (difference, awarded, contracted, currency)
    if best is None:
        return None
    return {
        "award": _amount_text(best[1]),
        "contract": _amount_text(best[2]),
        "currency": best[3],
        "percent": _percent(best[0]),
        "threshold": _percent(cfg["R059_MAX_DIFFERENCE"]),
    }


def r060(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    longest = None
    for contract in p.contracts:
        award = p.award_of(contract)
        if award is None or award.date is None or contract.date_signed is None:
            continue
        days = (contract.date_signed - award.date).days
        if days > cfg["R060_MAX_DAYS"] and (longest is None or days > longest):
            longest = days
    return None if longest is None else {"days": longest, "threshold": cfg["R060_MAX_DAYS"]}


def _decision_days(p: Process) -> int | None:
    dates = [a.date for a in p.awards if a.date is not None]
    if p.tender_end is None or not dates:
        return None
    days = (min(dates) - p.tender_end).days
    # An award dated before the deadline is a date error the validation reports, not a period.
    return days if days >= 0 else None


def r061(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    days = _decision_days(p)
    if days is not None and days < cfg["R061_MIN_DAYS"]:
        return {"days": days, "threshold": cfg["R061_MIN_DAYS"]}
    return None


def r062(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    days = _decision_days(p)
    if days is not None and days > cfg["R062_MAX_DAYS"]:
        return {"days": days, "threshold": cfg["R062_MAX_DAYS"]}
    return None


def r063(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    dates = [a.date for a in p.awards if a.date is not None]
    if p.contracts or not dates:
        return None
    days = (today - max(dates)).days
    if days > cfg["R063_MAX_DAYS"]:
        return {"days": days, "threshold": cfg["R063_MAX_DAYS"]}
    return None


def r064(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    amendments = sum(c.amendments for c in p.contracts)
    if amendments and amendments >= cfg["R064_MIN_AMENDMENTS"]:
        return {"amendments": amendments, "threshold": cfg["R064_MIN_AMENDMENTS"]}
    return None


def r068(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    tolerance = Decimal(str(cfg["R068_TOLERANCE"]))
    for contract in p.contracts:
        if contract.value is None:
            continue
        amount, currency = contract.value
        paid = contract.paid.get(currency)
        # Publishers round floats differently in transactions and contracts: compare cents.
        if paid is not None and _cents(paid) > _cents(amount * (1 + tolerance)):
            return {
                "paid": _amount_text(paid),
                "contract": _amount_text(amount),
                "currency": currency,
                "threshold": _percent(float(tolerance)),
            }
    return None


def r069(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    tolerance = Decimal(str(cfg["R069_TOLERANCE"]))
    for contract, _award, awarded, contracted, currency in _contract_pairs(p):
        if contract.amendments and _cents(contracted) > _cents(awarded * (1 + tolerance)):
            return {
                "contract": _amount_text(contracted),
                "award": _amount_text(awarded),
                "currency": currency,
                "percent": _percent(float((contracted - awarded) / awarded)),
                "threshold": _percent(float(tolerance)),
            }
    return None


def r011(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if p.method != "direct" or not p.buyer:
        return None
    for award in p.awards:
        if award.value is None or award.date is None:
            continue
        amount, currency = award.value
        threshold = _direct_threshold(cfg, currency)
        if threshold is None or amount >= threshold:
            continue
        month = f"{award.date:%Y-%m}"
        for key, name in award.suppliers:
            count, total = agg.split.get((p.buyer[0], key, currency, month), (0, 0))
            if count >= 2 and total > threshold:
                return {
                    "awards": count,
                    "supplier": name,
                    "month": month,
                    "total": _amount_text(total),
                    "currency": currency,
                    "threshold": _amount_text(threshold),
                }
    return None


def r052(p: Process, agg: Aggregates, cfg: dict[str, Any], today: dt.datetime) -> Details:
    if not p.buyer:
        return None
    factor = Decimal(str(cfg["R052_MIN_FACTOR"]))
    for award in p.awards:
        if award.value is None or award.date is None:
            continue
        amount, currency = award.value
        for key, name in award.suppliers:
            first = agg.first_award.get((p.buyer[0], key, currency))
            if first is None or award.date <= first[0] or first[1] <= 0:
                continue
            if amount >= first[1] * factor:
                return {
                    "amount": _amount_text(amount),
                    "currency": currency,
                    "supplier": name,
                    "factor": f"{amount / first[1]:.1f}",
                    "first": _amount_text(first[1]),
                    "first_date": f"{first[0]:%Y-%m-%d}",
                    "threshold": cfg["R052_MIN_FACTOR"],
                }
    return None


CHECKS = {
    "R003": r003,
    "R010": r010,
    "R011": r011,
    "R013": r013,
    "R018": r018,
    "R019": r019,
    "R040": r040,
    "R049": r049,
    "R050": r050,
    "R051": r051,
    "R052": r052,
    "R054": r054,
    "R055": r055,
    "R059": r059,
    "R060": r060,
    "R061": r061,
    "R062": r062,
    "R063": r063,
    "R064": r064,
    "R068": r068,
    "R069": r069,
}


def evaluate(
    process: Process,
    aggregates: Aggregates,
    config: dict[str, Any],
    today: dt.datetime,
) -> list[tuple[str, dict[str, Any]]]:
    """The flags one process raises: (code, details)."""
    raised = []
    for code, check in CHECKS.items():
        details = check(process, aggregates, config, today)
        if details is not None:
            raised.append((code, details))
    return raised


CHUNK = 200
BATCH = 1000


def refresh(publisher: Any = None, *, today: dt.datetime | None = None) -> dict[str, int]:
    """Recompute and store the red flags of every record (of one publisher): {code: count}.

    Two passes over the records, streamed; the old flags of a publisher are replaced in one
    transaction, so pages never show half a computation.
    """
    from abierto.contracting.models import Publisher

    if isinstance(publisher, str):
        publishers = list(Publisher.objects.filter(ocid_prefix=publisher))
        if not publishers:
            raise Publisher.DoesNotExist(f"No hay un publicador con el prefijo {publisher!r}.")
    elif publisher is not None:
        publishers = [publisher]
    else:
        publishers = list(Publisher.objects.all())
    today = today or timezone.now()
    thresholds = config()
    counts: dict[str, int] = defaultdict(int)
    for item in publishers:
        for code, n in _refresh_publisher(item, thresholds, today).items():
            counts[code] += n
    return dict(counts)


def _refresh_publisher(
    publisher: Any, config: dict[str, Any], today: dt.datetime
) -> dict[str, int]:
    from abierto.contracting.models import Record, RedFlag

    records = (
        Record.objects.filter(publisher=publisher)
        .order_by("pk")
        .values_list("pk", "compiled_release")
    )
    aggregates = Aggregates(config)
    for _pk, compiled in records.iterator(chunk_size=CHUNK):
        aggregates.add(Process.read(compiled))
    aggregates.finish()
    counts: dict[str, int] = defaultdict(int)
    with transaction.atomic():
        RedFlag.objects.filter(record__publisher=publisher).delete()
        batch: list[RedFlag] = []
        for pk, compiled in records.iterator(chunk_size=CHUNK):
            for code, details in evaluate(Process.read(compiled), aggregates, config, today):
                batch.append(RedFlag(record_id=pk, code=code, details=details))
                counts[code] += 1
            if len(batch) >= BATCH:
                RedFlag.objects.bulk_create(batch)
                batch = []
        RedFlag.objects.bulk_create(batch)
    return dict(counts)


def as_json(flags: Any) -> list[dict[str, Any]]:
    """Stored flags for the API: code, title, the reason in words and the raw details."""
    return [
        {
            "code": flag.code,
            "title": str(DEFINITIONS[flag.code].title) if flag.code in DEFINITIONS else flag.code,
            "reason": reason(flag.code, flag.details),
            "details": flag.details,
        }
        for flag in flags
    ]
